"""Timeline: an append-only, time-stamped transcript that records exactly what was delivered."""

from __future__ import annotations

import re

import pytest

from microturn import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    AudioFrame,
    CancelJob,
    EndReason,
    Event,
    InputRejected,
    JobProgress,
    JobRequested,
    JobResult,
    Modality,
    Note,
    Overlap,
    SessionEnded,
    SessionStarted,
    Silence,
    StopOutput,
    Timeline,
    ToolCalled,
    ToolResult,
    UserErase,
    UserInput,
    UserSubmit,
)
from microturn._core._clock import VIRTUAL_WALL_EPOCH
from microturn._core._timeline import format_clock

CUT_OFF = re.compile(r'\[cut off by user after "([^"]*)"\]')


def agent_says(utterance: int, start: float, text: str, rate: float = 0.4) -> list[Event]:
    return [
        AgentWord(t=round(start + index * rate, 6), utterance=utterance, word=word, duration=rate)
        for index, word in enumerate(text.split())
    ]


def conversation() -> list[Event]:
    """A session's log as the loop records it: typing, speech, a cut-off, tools, jobs, rejects."""
    return [
        SessionStarted(t=0.0, session="s", wall=VIRTUAL_WALL_EPOCH, config={"tick": 0.2}),
        Silence(t=1.0, started=0.0, duration=1.0),
        UserInput(t=1.0, text="what is two plus"),
        Silence(t=2.6, started=1.4, duration=1.2),
        UserInput(t=2.6, text="three"),
        UserSubmit(t=2.6),
        AgentSpeechStarted(t=2.8, utterance=1),
        *agent_says(1, 2.8, "two plus three is five."),
        AgentSpeechEnded(t=4.8, utterance=1, reason=EndReason.COMPLETED, delivered="two plus three is five."),
        UserInput(t=5.0, text="tell me a story", modality=Modality.SPOKEN, duration=1.0),
        AgentSpeechStarted(t=6.6, utterance=2),
        AudioFrame(t=6.6, pcm=b"\x00\x00"),
        *agent_says(2, 6.6, "Once upon a time there"),
        UserInput(t=8.5, text="wait", modality=Modality.SPOKEN, duration=0.3),
        AgentSpeechEnded(t=8.5, utterance=2, reason=EndReason.INTERRUPTED, delivered="Once upon a time there"),
        Overlap(t=8.6, started=8.5, duration=0.0),
        UserInput(t=9.0, text="what time iz"),
        UserErase(t=9.1, count=2),
        UserInput(t=9.2, text="is it"),
        ToolCalled(t=9.4, call="call-3", tool="clock", arguments={"tz": "UTC"}),
        ToolResult(t=9.5, call="call-3", output="09:00"),
        JobRequested(t=9.6, job="job-4", task="find a train"),
        JobProgress(t=10.0, job="job-4", text="searching", fraction=0.5),
        AgentSpeechStarted(t=10.2, utterance=5),
        *agent_says(5, 10.2, "It is nine"),
        StopOutput(t=11.0, reason="escape key"),
        AgentSpeechEnded(t=11.0, utterance=5, reason=EndReason.STOPPED, delivered="It is"),
        AgentSpeechStarted(t=11.2, utterance=6),
        UserInput(t=11.2, text="no"),
        AgentSpeechEnded(t=11.2, utterance=6, reason=EndReason.INTERRUPTED, delivered=""),
        InputRejected(t=12.0, reason="not a JSON object frame", excerpt="{bad"),
        JobResult(t=13.0, job="job-4", text="the 10:15 to Bern"),
        CancelJob(t=13.1, job="job-4"),
        Note(t=14.0, text="the user opened a map"),
        SessionEnded(t=15.0, reason="requested"),
    ]


def test_feeding_only_ever_appends() -> None:
    timeline = Timeline()
    previous = timeline.text
    assert previous == ""
    for event in conversation():
        timeline.feed(event)
        assert timeline.text.startswith(previous), f"{event!r} rewrote the transcript"
        assert len(timeline) == len(timeline.text)
        previous = timeline.text
    assert previous.count("\n") >= 20


def test_the_transcript_reads_as_a_timeline() -> None:
    timeline = Timeline()
    for event in conversation()[:13]:  # up to the end of the first answer
        timeline.feed(event)
    assert timeline.text == (
        "[00:00.0] session started (Thu 2026-01-01 09:00 UTC)\n"
        "[00:01.0] (silence 1.0 s)\n"
        "[00:01.0] user: what is two plus\n"
        "[00:02.6] (silence 1.2 s)\n"
        "[00:02.6] user: three [enter]\n"
        "[00:02.8] agent: two plus three is five."
    )


def test_every_kind_that_matters_leaves_a_line() -> None:
    timeline = Timeline()
    for event in conversation():
        timeline.feed(event)
    text = timeline.text
    for expected in [
        "user: tell me a story",
        "user: what time iz⌫⌫is it",
        "(tool call call-3: clock {'tz': 'UTC'})",
        "(tool result call-3, data: «09:00»)",
        "(background job job-4 started: find a train)",
        "(background job job-4: searching)",
        "(background job job-4 result: «the 10:15 to Bern»)",
        "(background job job-4 cancelled)",
        "(stop requested: escape key)",
        "agent [stopped]",
        "agent [cut off by user before a word]",
        "(input rejected: not a JSON object frame)",
        "(note: the user opened a map)",
        "(overlap 0.0 s)",
        "[00:15.0] session ended (requested)",
    ]:
        assert expected in text
    assert "\x00" not in text  # audio adds nothing


def test_cut_off_marks_hold_exactly_the_delivered_words() -> None:
    events = conversation()
    timeline = Timeline()
    for event in events:
        timeline.feed(event)
    words: dict[int, list[str]] = {}
    for event in events:
        if isinstance(event, AgentWord):
            words.setdefault(event.utterance, []).append(event.word)
    marks = CUT_OFF.findall(timeline.text)
    assert marks == [" ".join(words[2])] == ["Once upon a time there"]
    assert "agent: Once upon a time there\n" in timeline.text
    assert '[00:08.5] agent [cut off by user after "Once upon a time there"]' in timeline.text


def test_a_cut_off_closes_the_open_agent_line() -> None:
    timeline = Timeline()
    for event in [
        AgentSpeechStarted(t=0.0, utterance=1),
        *agent_says(1, 0.0, "Once upon a"),
        AgentSpeechEnded(t=1.0, utterance=1, reason=EndReason.INTERRUPTED, delivered="Once upon a"),
        AgentWord(t=2.0, utterance=3, word="Sure.", duration=0.4),
    ]:
        timeline.feed(event)
    assert timeline.text == (
        '[00:00.0] agent: Once upon a — [cut off by user after "Once upon a"]\n[00:02.0] agent: Sure.'
    )


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.0, "00:00.0"), (1.04, "00:01.0"), (65.3, "01:05.3"), (3600.0, "60:00.0"), (-1.0, "00:00.0")],
)
def test_format_clock(seconds: float, shown: str) -> None:
    assert format_clock(seconds) == shown


@pytest.mark.parametrize(("seconds", "shown"), [(59.96, "01:00.0"), (119.99, "02:00.0")])
def test_format_clock_carries_rounding_into_the_minutes(seconds: float, shown: str) -> None:
    assert format_clock(seconds) == shown
