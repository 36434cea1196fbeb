"""Interactivity metrics over hand-built logs, each definition at its edges; and `eval --compare`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, ClassVar

import msgspec
import pytest

from microturn import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    CueFired,
    EndReason,
    Event,
    JobResult,
    ResultDropped,
    ResultWoven,
    SessionEnded,
    SpeechPurpose,
    TimerFired,
    UserInput,
)
from microturn._apps._cli import main
from microturn._core._actions import Action
from microturn._core._events import Modality
from microturn._core._floor import FloorState
from microturn._eval import Mark, Scenario, run_compare, run_eval
from microturn._eval._metrics import (
    CueMetrics,
    Metrics,
    TurnMetrics,
    backchannels,
    cues,
    interruptions,
    measure,
    merge,
    pauses,
    summarise,
    takes_over,
    timers,
    turns,
    utterances,
    weaves,
)
from microturn._policies import POLICIES, MicroTurn

# --- building logs by hand -------------------------------------------------------------------------------


class Log:
    """Events added in any order; :meth:`events` sorts them by time and numbers them as the bus would.

    Same-time events keep the order they were added in; ``cause`` links follow the renumbering.
    """

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._utterances = 0

    def add(self, event: Event) -> Event:
        event = msgspec.structs.replace(event, seq=len(self._events))
        self._events.append(event)
        return event

    def user(self, t: float, text: str = "word", duration: float = 0.4) -> Event:
        return self.add(UserInput(text=text, modality=Modality.SPOKEN, duration=duration, t=t))

    def say(
        self,
        t: float,
        words: int,
        *,
        each: float = 0.4,
        purpose: SpeechPurpose = SpeechPurpose.REPLY,
        end: EndReason | None = EndReason.COMPLETED,
        cause: int | None = None,
    ) -> int:
        """An utterance of ``words`` words from ``t``, ``each`` seconds apiece; returns its id."""
        self._utterances += 1
        number = self._utterances
        self.add(AgentSpeechStarted(utterance=number, purpose=purpose, t=t, cause=cause))
        for index in range(words):
            self.add(AgentWord(utterance=number, word=f"w{index}", duration=each, t=round(t + index * each, 6)))
        if end is not None:
            self.end(number, round(t + words * each, 6), end)
        return number

    def end(self, utterance: int, t: float, reason: EndReason = EndReason.COMPLETED) -> None:
        self.add(AgentSpeechEnded(utterance=utterance, reason=reason, delivered="", t=t))

    def events(self, *, end: float = 30.0) -> list[Event]:
        ordered = sorted(self._events, key=lambda e: e.t)
        renumber = {e.seq: new for new, e in enumerate(ordered)}
        numbered = [
            msgspec.structs.replace(e, seq=renumber[e.seq], cause=None if e.cause is None else renumber[e.cause])
            for e in ordered
        ]
        return [*numbered, SessionEnded(reason="over", t=end, seq=len(numbered))]


def scenario(**measure_fields: Any) -> Scenario:
    return msgspec.convert({"name": "case", "measure": measure_fields}, Scenario)


def mark(start: float, end: float, *inputs: tuple[float, str]) -> Mark:
    return Mark(start=start, end=end, inputs=inputs)


def words(count: int, each: float) -> list[AgentWord]:
    return [AgentWord(utterance=1, word="w", duration=each, t=i * each) for i in range(count)]


# --- take-over and backchannels --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "each", "expected"),
    [
        (3, 0.2, False),  # 3 words, 0.6 s: neither
        (4, 0.2, True),  # more than 3 words
        (3, 0.33, False),  # 0.99 s
        (2, 0.5, True),  # exactly 1.0 s
        (1, 1.0, True),
        (0, 0.0, False),
    ],
)
def test_take_over_is_more_than_three_words_or_at_least_a_second(count: int, each: float, expected: bool) -> None:
    assert takes_over(words(count, each)) is expected


def test_backchannel_is_a_short_utterance_or_one_said_as_a_backchannel() -> None:
    log = Log()
    short = log.say(0.0, 2, each=0.4)  # 0.8 s, 2 words
    long_enough = log.say(2.0, 2, each=0.5)  # 1.0 s
    three = log.say(4.0, 3, each=0.2)
    labelled = log.say(6.0, 3, each=0.4, purpose=SpeechPurpose.BACKCHANNEL)
    cut_off = log.say(8.0, 2, each=0.4, end=EndReason.INTERRUPTED)

    found = utterances(log.events())

    assert found[short].backchannel
    assert not found[long_enough].backchannel
    assert not found[three].backchannel
    assert found[labelled].backchannel
    assert not found[cut_off].backchannel  # a reply cut short by the user is still a reply


# --- pauses and turns ------------------------------------------------------------------------------------


def test_pause_window_runs_to_the_next_user_input() -> None:
    log = Log()
    log.user(1.6)  # step p1 ends at 2.0
    log.user(3.0)  # the user goes on: p1's window is [2.0, 3.0)
    log.say(3.2, 4)  # after the window: does not count
    log.user(5.6)  # step p2 ends at 6.0; no later input, so its window runs to the session end
    log.say(6.5, 4, each=0.2)  # 4 words: a take-over
    marks = {"p1": mark(1.6, 2.0, (1.6, "a")), "p2": mark(5.6, 6.0, (5.6, "b"))}

    result = pauses(log.events(), marks, scenario(pauses=["p1", "p2", "never"]))

    assert result.takeovers == [False, True]
    assert result.missing == ["never"]
    assert summarise(Metrics(pause=result)).pause_takeover == 0.5


def test_a_blurt_cut_off_in_a_pause_is_no_take_over_but_is_speech_in_the_pause() -> None:
    log = Log()
    log.user(1.6)  # the step ends at 2.0; the user goes on at 2.5
    log.say(2.1, 2, each=0.2, end=EndReason.INTERRUPTED)  # "So you" — cut off by the user's next word
    log.say(2.6, 1, each=0.3, purpose=SpeechPurpose.BACKCHANNEL)  # after the window: not counted either way
    log.user(2.5)
    marks = {"p": mark(1.6, 2.0, (1.6, "a"))}

    result = pauses(log.events(), marks, scenario(pauses=["p"]))

    assert result.takeovers == [False]  # Full-Duplex-Bench's threshold: under 1 s and 3 words
    assert result.spoke == [True]  # but the user heard the agent start talking over their pause
    assert summarise(Metrics(pause=result)).pause_any_speech == 1.0


def test_a_backchannel_in_a_pause_is_no_speech_over_it() -> None:
    log = Log()
    log.user(1.6)
    log.say(2.3, 1, each=0.3, purpose=SpeechPurpose.BACKCHANNEL)
    log.user(3.0)

    result = pauses(log.events(), {"p": mark(1.6, 2.0, (1.6, "a"))}, scenario(pauses=["p"]))

    assert result.spoke == [False]


def test_backchannels_in_a_pause_are_no_take_over() -> None:
    log = Log()
    log.user(1.6)
    log.say(2.2, 2, each=0.3)  # a backchannel
    log.say(3.0, 3, each=0.3, purpose=SpeechPurpose.BACKCHANNEL)
    log.user(5.0)
    marks = {"p": mark(1.6, 2.0, (1.6, "a"))}

    assert pauses(log.events(), marks, scenario(pauses=["p"])).takeovers == [False]


def test_turn_take_over_and_latency_from_the_end_of_the_users_turn() -> None:
    log = Log()
    log.user(0.6)  # turn a ends at 1.0
    log.say(1.25, 3, each=0.4)  # 1.2 s: a take-over, 250 ms after the turn
    log.user(4.0)  # turn b ends at 4.4; the agent says nothing before the next input
    log.user(6.0)
    log.say(6.5, 5)
    marks = {"a": mark(0.6, 1.0, (0.6, "x")), "b": mark(4.0, 4.4, (4.0, "y"))}

    result = turns(log.events(), marks, scenario(turn_ends=["a", "b"]))

    assert result.takeovers == [True, False]
    assert result.latencies == [0.25]


def test_latency_median_and_nearest_rank_p90() -> None:
    ten = [round(0.1 * i, 6) for i in range(1, 11)]
    summary = summarise(Metrics(turn=TurnMetrics(takeovers=[True] * 10, latencies=ten)))
    assert summary.turn_latency_median == 0.55
    assert summary.turn_latency_p90 == 0.9  # rank ceil(0.9 * 10) = 9
    assert summary.turn_takeover == 1.0
    assert summary.turn_n == 10

    skewed = summarise(Metrics(turn=TurnMetrics(latencies=[0.1, 0.2, 0.3, 0.4, 5.0])))
    assert skewed.turn_latency_median == 0.3
    assert skewed.turn_latency_p90 == 5.0  # rank ceil(4.5) = 5

    empty = summarise(Metrics())
    assert empty.turn_latency_median is None
    assert empty.turn_latency_p90 is None
    assert empty.turn_takeover is None
    assert empty.pause_takeover is None


# --- interruptions ---------------------------------------------------------------------------------------


def test_stop_latency_is_measured_on_the_utterance_active_at_onset() -> None:
    log = Log()
    done = log.say(0.0, 2)  # over at 0.8, before the user cuts in
    story = log.say(1.0, 20, end=None)
    log.user(2.45, "stop")  # onset of step "cut"
    log.end(story, 2.65, EndReason.INTERRUPTED)
    log.user(2.85, "please")  # the step ends at 3.25
    log.say(3.5, 4)  # answers the interruption
    marks = {"cut": mark(2.45, 3.25, (2.45, "stop"), (2.85, "please"))}

    result = interruptions(log.events(), marks, scenario(interruptions=["cut"]))

    assert done != story
    assert result.stop_latencies == [0.2]
    assert result.not_stopped == 0
    assert result.takeovers == [True]


def test_an_utterance_that_runs_on_over_the_user_is_not_stopped() -> None:
    log = Log()
    log.say(0.0, 10)  # completes at 4.0 despite the user
    log.user(1.0)
    marks = {"cut": mark(1.0, 1.4, (1.0, "word"))}

    result = interruptions(log.events(), marks, scenario(interruptions=["cut"]))

    assert result.stop_latencies == []
    assert result.not_stopped == 1
    assert result.takeovers == [True]  # it kept the floor after the user's turn: 6 words remain


def test_speech_starting_with_the_users_input_is_not_interrupted_by_it() -> None:
    log = Log()
    log.user(2.0, "hey")  # arrives first in the pass
    log.say(2.0, 2, end=EndReason.INTERRUPTED)
    marks = {"cut": mark(2.0, 2.4, (2.0, "hey"))}

    summary = summarise(Metrics(interruption=interruptions(log.events(), marks, scenario(interruptions=["cut"]))))

    assert summary.stop_latency_median is None
    assert summary.not_stopped == 0
    assert summary.interruption_n == 1


# --- backchannel frequency -------------------------------------------------------------------------------


def test_backchannels_per_second_of_user_speech_and_overlaps() -> None:
    log = Log()
    for index in range(10):
        log.user(index * 0.4)  # 4 s of speech, until 4.0
    log.say(1.0, 1, each=0.3, purpose=SpeechPurpose.BACKCHANNEL)  # over the user
    log.say(4.2, 1, each=0.3)  # in the silence after
    log.say(5.0, 6)  # a reply
    log.add(UserInput(text="pasted", t=9.0))  # typed in one chunk: no duration

    measured = backchannels(log.events(), {}, scenario(backchannels=True))
    ignored = backchannels(log.events(), {}, scenario())

    assert (measured.scenarios, measured.count, measured.user_seconds, measured.overlapping) == (1, 2, 4.0, 1)
    assert summarise(Metrics(backchannel=measured)).backchannels_per_second == 0.5
    assert ignored.scenarios == 0
    assert summarise(Metrics(backchannel=ignored)).backchannels_per_second is None


# --- cues ------------------------------------------------------------------------------------------------


def test_cue_matching_true_and_false_positives_and_negatives() -> None:
    log = Log()
    log.add(CueFired(cue="c", matched="seven", t=0.5))  # before any anchor: false positive
    log.add(CueFired(cue="c", matched="seven", t=1.5))  # anchor a at 1.0: true positive
    log.say(1.7, 3)  # interjection: latency 0.7 from the anchor
    log.add(CueFired(cue="c", matched="nine", t=8.2))  # anchor b at 6.0: 2.2 s late, so b is missed
    log.add(CueFired(cue="c", matched="two", t=12.0))  # anchor c at 10.0: exactly 2.0 s, still in time
    log.say(12.3, 1)  # its interjection: 2.3 s after the anchor
    marks = {
        "a": mark(0.6, 1.4, (0.6, "I'm"), (1.0, "Seven,")),
        "b": mark(6.0, 6.4, (6.0, "nine")),
        "c": mark(10.0, 10.4, (10.0, "two")),
    }
    measure_cues = [
        {"step": "a", "word": "seven"},
        {"step": "b", "word": "nine"},
        {"step": "c", "word": "two"},
        {"step": "c", "word": "absent"},
        {"step": "gone", "word": "x"},
    ]

    result = cues(log.events(), marks, scenario(cues=measure_cues))

    assert (result.true_positives, result.false_positives, result.false_negatives) == (2, 2, 1)
    assert result.latencies == [0.7, 2.3]
    assert result.missing == ["c: absent", "gone: x"]
    summary = summarise(Metrics(cue=result))
    assert summary.cue_precision == 0.5
    assert summary.cue_recall == pytest.approx(2 / 3, abs=1e-6)


def test_a_fired_cue_matches_one_anchor_only() -> None:
    log = Log()
    log.add(CueFired(cue="c", matched="one", t=1.2))
    marks = {"s": mark(1.0, 1.8, (1.0, "one"), (1.4, "two"))}

    result = cues(log.events(), marks, scenario(cues=[{"step": "s", "word": "one"}, {"step": "s", "word": "two"}]))

    assert (result.true_positives, result.false_positives, result.false_negatives) == (1, 0, 1)
    assert result.latencies == []  # the agent never said anything


def test_cue_anchor_in_typed_keystrokes_is_the_key_completing_the_word() -> None:
    log = Log()
    log.add(CueFired(cue="c", matched="paris", t=1.3))  # before the word is complete: too early
    log.add(CueFired(cue="c", matched="paris", t=1.4))
    keys = tuple((round(0.5 + 0.125 * i, 6), char) for i, char in enumerate("to paris"))
    marks = {"s": Mark(start=0.5, end=1.5, inputs=keys)}  # its final "s" is typed at 1.375

    result = cues(log.events(), marks, scenario(cues=[{"step": "s", "word": "Paris"}]))

    assert (result.true_positives, result.false_positives, result.false_negatives) == (1, 1, 0)


# --- timed speech ----------------------------------------------------------------------------------------


def test_timer_onsets_pair_with_expected_onsets_and_missing_firings_are_misses() -> None:
    log = Log()
    log.add(TimerFired(timer="t", text="tick", t=3.0))
    log.say(3.2, 1, purpose=SpeechPurpose.ANNOUNCE)  # expected at 3.0: error 0.2
    log.add(TimerFired(timer="t", text="tick", t=6.0))
    log.say(6.1, 1, purpose=SpeechPurpose.ANNOUNCE)  # expected at 6.0: error 0.1
    marks = {"go": mark(0.5, 1.0, (0.5, "go"))}  # the third firing, due at 9.0, never comes

    result = timers(log.events(), marks, scenario(timers=[{"after": "go", "seconds": 2, "every": 3, "count": 3}]))

    assert sorted(result.errors) == [0.1, 0.2]
    assert (result.misses, result.extra, result.missing) == (1, 0, [])
    summary = summarise(Metrics(timer=result))
    assert summary.timer_error_mean == 0.15
    assert summary.timer_error_max == 0.2


def test_timer_speech_is_the_utterance_it_caused_before_the_nearest_one() -> None:
    log = Log()
    log.say(5.0, 3)  # a reply to something else, starting with the firing
    fired = log.add(TimerFired(timer="t", text="tick", t=5.0))
    log.add(AgentSpeechStarted(utterance=9, purpose=SpeechPurpose.ANNOUNCE, cause=fired.seq, t=6.5))
    log.add(AgentWord(utterance=9, word="tick", duration=0.4, t=6.5))
    log.add(TimerFired(timer="u", text="extra", t=20.0))
    log.say(20.0, 1)
    marks = {"go": mark(0.0, 1.0, (0.0, "go"))}

    result = timers(log.events(), marks, scenario(timers=[{"after": "go", "seconds": 4}]))

    assert result.errors == [1.5]  # the caused utterance at 6.5, not the reply at 5.0
    assert (result.misses, result.extra) == (0, 1)


# --- weaving ---------------------------------------------------------------------------------------------


def test_weave_delay_overlap_double_delivery_and_drops() -> None:
    log = Log()
    log.add(JobResult(job="job-1", text="done", t=5.0))
    log.add(ResultWoven(job="job-1", t=6.0))
    log.say(6.0, 2, purpose=SpeechPurpose.ANNOUNCE)  # words at [6.0, 6.4) and [6.4, 6.8)
    log.user(6.5, duration=0.4)  # overlaps the second word for 0.3 s
    log.add(ResultWoven(job="job-1", t=9.0))  # delivered twice
    log.say(9.0, 2, purpose=SpeechPurpose.ANNOUNCE)
    log.add(JobResult(job="job-2", text="old", t=7.0))
    log.add(ResultDropped(job="job-2", reason="stale", t=7.0))

    result = weaves(log.events(), {}, scenario(weaves=["job-1", "job-2", "job-3"]))

    assert result.delays == [1.0]
    assert result.overlap == 0.3
    assert (result.doubled, result.undelivered) == (1, 1)
    assert result.dropped == ["job-2: stale"]
    assert result.missing == ["job-3"]
    summary = summarise(Metrics(weave=result))
    assert (summary.weave_delay_median, summary.weave_overlap, summary.weave_n) == (1.0, 0.3, 2)


def test_progress_woven_before_the_result_is_not_a_double_delivery() -> None:
    log = Log()
    log.add(ResultWoven(job="job-1", t=1.0))  # progress, before the result exists
    log.say(1.0, 3, purpose=SpeechPurpose.ANNOUNCE)
    log.add(JobResult(job="job-1", text="done", t=3.0))
    log.add(ResultWoven(job="job-1", t=3.2))
    log.say(3.2, 3, purpose=SpeechPurpose.ANNOUNCE)

    result = weaves(log.events(), {}, scenario(weaves=["job-1"]))

    assert (result.delays, result.doubled, result.overlap) == ([0.2], 0, 0.0)


# --- pooling ---------------------------------------------------------------------------------------------


def test_merge_pools_samples_and_adds_counts_and_is_json_ready() -> None:
    one = Metrics(cue=CueMetrics(true_positives=1, false_negatives=1, latencies=[0.5]))
    two = Metrics(cue=CueMetrics(true_positives=1, false_positives=2, latencies=[1.5], missing=["s: w"]))

    merged = merge([one, two])

    assert merged.cue == CueMetrics(
        true_positives=2, false_positives=2, false_negatives=1, latencies=[0.5, 1.5], missing=["s: w"]
    )
    assert merge([]) == Metrics()
    summary = summarise(merged)
    assert (summary.cue_precision, summary.cue_latency_median) == (0.5, 1.0)
    assert summary.cue_recall == pytest.approx(2 / 3, abs=1e-6)
    assert summary.missing_anchors == 1
    json.dumps(asdict(merged))
    json.dumps(asdict(summary))


def test_measure_gathers_every_family() -> None:
    log = Log()
    log.user(0.0)
    log.say(1.0, 4)
    marks = {"t": mark(0.0, 0.4, (0.0, "word"))}

    result = measure(log.events(), marks, scenario(turn_ends=["t"], pauses=["t"], backchannels=True))

    assert result.turn.latencies == [0.6]
    assert result.pause.takeovers == [True]
    assert result.backchannel.user_seconds == 0.4


# --- end to end: eval --compare --------------------------------------------------------------------------


class MutePolicy:
    """A test baseline that never says anything."""

    name: ClassVar[str] = "mute"

    def react(self, state: FloorState, event: Event) -> Sequence[Action]:
        return ()

    def decide(self, state: FloorState, turn: MicroTurn) -> Sequence[Action]:
        return ()

    def wake_at(self, state: FloorState) -> float | None:
        return None


ANSWERS = """\
family: turn-taking
duration: 6
script:
  - {at: 0.3, say: "what is two", id: first}
  - {at: 3.0, say: "plus three", id: second}
measure:
  pauses: [first]
  turn_ends: [second]
expect:
  - {check: speaks, after: second, within: 2.0}
"""
STORY = """\
family: barge-in
duration: 8
script:
  - {at: 0.1, type: "tell me a story", cps: 0, submit: true, id: ask}
  - {when: {agent: speaks, words: 3}, delay: 0.1, say: "stop please", id: cut}
measure:
  turn_ends: [ask]
  interruptions: [cut]
expect:
  - {check: replay}
"""
PINNED = """\
family: barge-in
duration: 4
config: {policy: turn-based}
script:
  - {at: 0.3, type: "hello", cps: 0, submit: true}
expect:
  - {check: says, text: "hello"}
"""


@pytest.fixture
def scenarios(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setitem(POLICIES, MutePolicy.name, MutePolicy)
    directory = tmp_path / "scenarios"
    directory.mkdir()
    for name, text in [("answers.yaml", ANSWERS), ("story.yaml", STORY), ("pinned.yaml", PINNED)]:
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def test_run_compare_runs_each_policy_and_pins_scenarios_that_name_theirs(scenarios: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"

    comparison = run_compare([scenarios], ["turn-based", "mute"], out_dir=out)

    assert comparison.passed
    data = json.loads((out / "compare.json").read_text())
    assert (data["candidate"], data["passed"]) == ("turn-based", True)
    assert [run["policy"] for run in data["runs"]] == ["turn-based", "mute"]
    candidate, mute = data["runs"]
    assert candidate["families"] == {
        "barge-in": {"passed": 1, "failed": 0},
        "turn-taking": {"passed": 1, "failed": 0},
    }
    assert mute["families"]["turn-taking"] == {"passed": 0, "failed": 1}
    assert [r["name"] for r in candidate["results"]] == ["answers", "story"]
    assert [r["name"] for r in data["pinned"]["results"]] == ["pinned"]
    assert data["pinned"]["results"][0]["policy"] == "turn-based"
    assert candidate["summary"]["turn_n"] == 2
    assert candidate["summary"]["stop_latency_median"] == 0.0
    assert candidate["summary"]["interruption_takeover"] == 1.0
    assert mute["summary"]["turn_takeover"] == 0.0
    assert mute["summary"]["turn_latency_median"] is None
    assert mute["summary"]["interruption_n"] == 0  # the agent never spoke, so the user never cut in
    assert mute["summary"]["missing_anchors"] == 1
    assert candidate["results"][0]["metrics"]["turn"]["takeovers"] == [True]
    assert (out / "logs" / "turn-based" / "answers.jsonl").exists()
    assert (out / "logs" / "mute" / "answers.jsonl").exists()
    assert (out / "logs" / "turn-based" / "pinned.jsonl").exists()
    assert not (out / "logs" / "mute" / "pinned.jsonl").exists()


def test_eval_compare_exit_code_follows_the_first_policy(
    scenarios: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"

    assert main(["eval", "--compare", "turn-based,mute", str(scenarios), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert lines[0].split() == ["family", "turn-based", "mute", "pinned"]
    assert lines[2].split() == ["barge-in", "1/1", "1/1", "1/1"]
    assert lines[3].split() == ["turn-taking", "1/1", "0/1", "-"]
    assert lines[4].split() == ["all", "2/2", "1/2", "1/1"]
    assert any(line.split()[:3] == ["metric", "turn-based", "mute"] for line in lines)
    assert "turn take-over rate" in printed
    assert "candidate turn-based: passed" in printed
    assert f"results: {out / 'compare.json'}" in printed

    assert main(["eval", "--compare", "mute,turn-based", str(scenarios), "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "candidate mute: FAILED" in printed
    assert "answers (" in printed  # the candidate's failure is spelled out


def test_a_policy_named_twice_runs_twice_and_writes_one_log(scenarios: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"

    comparison = run_compare([scenarios], ["turn-based", "turn-based"], out_dir=out)

    first, second = comparison.runs
    assert first.summary == second.summary
    assert sorted(p.name for p in (out / "logs" / "turn-based").iterdir()) == [
        "answers.jsonl",
        "pinned.jsonl",
        "story.jsonl",
    ]


def test_eval_compare_and_policy_exclude_each_other_and_names_are_checked(
    scenarios: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as both:
        main(["eval", "--compare", "turn-based,mute", "--policy", "mute", str(scenarios)])
    assert both.value.code == 2
    with pytest.raises(SystemExit) as unknown:
        main(["eval", "--compare", "turn-based,nope", str(scenarios)])
    assert unknown.value.code == 2
    assert "unknown policy 'nope'" in capsys.readouterr().err


def test_eval_results_carry_each_scenarios_metrics(scenarios: Path, tmp_path: Path) -> None:
    results = run_eval([scenarios / "story.yaml"], out_dir=tmp_path)

    data = json.loads((tmp_path / "results.json").read_text())
    assert results[0].metrics is not None
    assert data[0]["metrics"]["interruption"]["stop_latencies"] == [0.0]
