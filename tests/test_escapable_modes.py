"""Live modes and cues are always escapable, hear words (not keystrokes), and never cut the agent off (issue 14).

Every case runs a real Session over the scripted model in virtual time, typed (key by key, slowly or fast, or
pasted at once) and spoken (``spoken()``: a word every 0.3 s), under the rules and the learned decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import pytest

from microturn import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    CueFired,
    EndReason,
    Event,
    Modality,
    SpeechPurpose,
    UserInput,
    UserSubmit,
    VirtualClock,
)
from microturn._core._actions import Reply
from microturn._core._floor import FloorState
from microturn._policies import FullDuplexPolicy
from microturn._policies._full_duplex._decisions import RulesIntent
from microturn._policies._full_duplex._intents import StartLive
from microturn._policies._full_duplex._live import TYPED_PAUSE, LiveMode
from microturn.testing import Step, end, run_session, spoken, typed

E = TypeVar("E", bound=Event)

DECISIONS = ["rules", "learned"]
STOPPED = "Okay, I've stopped."
CUE_STOPPED = "Okay, I've stopped listening for that."


def keys(text: str, at: float, *, gap: float = 0.1, enter: bool = True) -> list[Step]:
    """``text`` typed key by key from ``at``, a key every ``gap`` seconds (as the terminal chat sends it), then
    Enter."""
    steps: list[Step] = [
        (round(at + index * gap, 6), UserInput(text=key, modality=Modality.TYPED, duration=0.3))
        for index, key in enumerate(text)
    ]
    return [*steps, (round(at + len(text) * gap, 6), UserSubmit())] if enter else steps


GAPS = {"typed slowly": 0.7, "typed fast": 0.08}
"""Seconds between keys: slowly, the user pauses at every key (a key holds the floor 0.3 s)."""
STYLES = ["spoken", "pasted", "typed slowly", "typed fast"]


def how(style: str, text: str, at: float) -> list[Step]:
    """``text`` said or typed at ``at`` in one of the ways a user gives it."""
    if style == "spoken":
        return spoken(text, at)
    if style == "pasted":
        return typed(text, at, submit_at=at + 0.2)
    return keys(text, at, gap=GAPS[style])


def script(style: str, *turns: tuple[str, float]) -> tuple[list[Step], list[float]]:
    """Each turn's text given in ``style`` once the one before is over, then ``wait`` seconds of the user's silence;
    the steps (ended after the last wait) and when each turn began."""
    steps: list[Step] = []
    starts: list[float] = []
    at = 0.5
    for text, wait in turns:
        given = how(style, text, at)
        starts.append(at)
        steps += given
        at = given[-1][0] + wait
    return [*steps, *end(at)], starts


async def run(clock: VirtualClock, steps: list[Step], decisions: str) -> list[Event]:
    _, log = await run_session(clock, steps, policy=FullDuplexPolicy(decisions=decisions))
    return log


def of_kind(log: Sequence[Event], kind: type[E]) -> list[E]:
    return [event for event in log if isinstance(event, kind)]


def said_after(log: Sequence[Event], t: float) -> str:
    return " ".join(word.word for word in of_kind(log, AgentWord) if word.t >= t - 1e-9)


TRANSLATE = ("translate into Spanish as I speak", 6.0)
"""Then the acknowledgement (9 words, 3.6 s) has been said."""


# --- 1. words, not keystrokes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("decisions", DECISIONS)
@pytest.mark.parametrize("style", STYLES)
async def test_a_live_mode_hears_whole_words(clock: VirtualClock, style: str, decisions: str) -> None:
    steps, (_, talk) = script(style, TRANSLATE, ("good morning my friend", 6.0))
    log = await run(clock, steps, decisions)
    assert "bueno mañana mi amigo" in said_after(log, talk)
    phrases = [event.reply_to for event in of_kind(log, AgentSpeechStarted) if event.purpose is SpeechPurpose.REPLY]
    assert phrases
    assert all(len(word) > 1 for phrase in phrases for word in phrase.split()), phrases


def test_a_pasted_paragraph_is_translated_a_chunk_at_a_time() -> None:
    live = LiveMode(RulesIntent(), chunk_words=3)
    live.handle(FloorState(), StartLive(language="spanish"))
    replies = live.hear("one two three four five six seven")
    assert [action.text for action in replies if isinstance(action, Reply)] == ["one two three", "four five six"]
    assert live.flush() == [Reply(text="seven", instruction="Translate into Spanish", append=True)]


# --- 2. escape ---------------------------------------------------------------------------------------------------

STOPS = ["stop", "stop translating", "that's enough", "ok stop", "wait wait", "enough", "you can stop now"]


@pytest.mark.parametrize("decisions", DECISIONS)
@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("stop", STOPS)
async def test_every_way_of_asking_ends_a_live_mode(clock: VirtualClock, stop: str, style: str, decisions: str) -> None:
    steps, (_, talk, asked, question) = script(
        style, TRANSLATE, ("I want coffee", 4.0), (stop, 4.0), ("what is two plus three", 4.0)
    )
    log = await run(clock, steps, decisions)
    assert "quiero café" in said_after(log, talk)
    assert said_after(log, asked).startswith(STOPPED)
    assert "2 plus 3 is 5." in said_after(log, question)  # answered, not translated


@pytest.mark.parametrize("decisions", DECISIONS)
async def test_a_stop_typed_without_enter_ends_the_mode_at_the_pause(clock: VirtualClock, decisions: str) -> None:
    steps = [*how("typed fast", TRANSLATE[0], 0.5), *keys("stop translating", 10.0, gap=0.08, enter=False)]
    log = await run(clock, [*steps, *end(20.0)], decisions)
    (stopped,) = [event for event in of_kind(log, AgentSpeechEnded) if event.delivered == STOPPED]
    started = next(event for event in of_kind(log, AgentSpeechStarted) if event.utterance == stopped.utterance)
    assert started.t == pytest.approx(10.0 + 15 * 0.08 + 0.3 + TYPED_PAUSE)  # the last key, its hold, the pause


@pytest.mark.parametrize("decisions", DECISIONS)
@pytest.mark.parametrize("style", ["spoken", "pasted", "typed fast"])
async def test_a_stop_inside_a_longer_phrase_is_heard(clock: VirtualClock, style: str, decisions: str) -> None:
    steps, (_, talk) = script(style, TRANSLATE, ("I want coffee and bread please stop translating", 6.0))
    log = await run(clock, steps, decisions)
    assert said_after(log, talk).endswith(STOPPED)
    translated = [event.reply_to for event in of_kind(log, AgentSpeechStarted) if event.t >= talk]
    assert translated[0] == "I want coffee"  # what came before the stop (a paste's, cut off by the stop)


@pytest.mark.parametrize("decisions", DECISIONS)
@pytest.mark.parametrize("style", ["spoken", "pasted", "typed fast"])
@pytest.mark.parametrize("words", ["please don't stop translating", "the bus stop is near", "stop the car please"])
async def test_stop_as_content_or_negated_keeps_translating(
    clock: VirtualClock, words: str, style: str, decisions: str
) -> None:
    steps, (_, talk, more) = script(style, TRANSLATE, (words, 4.0), ("hello my friend", 4.0))
    log = await run(clock, steps, decisions)
    assert "stopped" not in said_after(log, talk)
    assert "hola mi amigo" in said_after(log, more)


CUE_STOPS = ["cancel the cue", "stop listening for numbers", "forget the cue", "no more cues"]


@pytest.mark.parametrize("decisions", DECISIONS)
@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("stop", CUE_STOPS)
async def test_every_way_of_asking_ends_a_cue(clock: VirtualClock, stop: str, style: str, decisions: str) -> None:
    steps, (_, _, asked, _) = script(
        style, ("tell me when I say a number", 6.0), ("I have two cats", 4.0), (stop, 4.0), ("and three dogs", 4.0)
    )
    log = await run(clock, steps, decisions)
    assert [fired.matched for fired in of_kind(log, CueFired)] == ["two"]
    assert CUE_STOPPED in said_after(log, asked)


# --- 3. cues never cut the agent off ------------------------------------------------------------------------------


@pytest.mark.parametrize("decisions", DECISIONS)
@pytest.mark.parametrize("style", ["spoken", "typed fast"])
async def test_a_cue_hears_the_user_only_and_the_answer_is_not_cut(
    clock: VirtualClock, style: str, decisions: str
) -> None:
    steps, (_, question) = script(style, ("tell me when I say a number", 6.0), ("what is two plus three", 4.0))
    log = await run(clock, steps, decisions)
    assert [fired.matched for fired in of_kind(log, CueFired)] == ["two", "three"]  # not the answer's "5"
    assert "2 plus 3 is 5." in said_after(log, question)
    assert all(ended.reason is EndReason.COMPLETED for ended in of_kind(log, AgentSpeechEnded))


@pytest.mark.parametrize("decisions", DECISIONS)
async def test_a_cue_firing_while_the_agent_translates_follows_it(clock: VirtualClock, decisions: str) -> None:
    steps, (_, _, talk) = script(
        "spoken",
        ("tell me when I say a number", 6.0),
        TRANSLATE,
        ("I want coffee and two breads and three teas please", 6.0),
    )
    log = await run(clock, steps, decisions)
    assert [fired.matched for fired in of_kind(log, CueFired)] == ["two", "three"]
    after = said_after(log, talk)
    assert "Number: two." in after
    assert "Number: three." in after
    assert "quiero café" in after
    assert all(ended.reason is EndReason.COMPLETED for ended in of_kind(log, AgentSpeechEnded))


@pytest.mark.parametrize("decisions", DECISIONS)
async def test_a_cue_in_words_that_cut_the_agent_off_is_said_after_the_cut(clock: VirtualClock, decisions: str) -> None:
    steps = [
        *spoken("tell me when I say a number", 0.5),
        *typed("tell me a story", 8.0, submit_at=8.1),
        *spoken("wait three", 11.0),
        *end(20.0),
    ]
    log = await run(clock, steps, decisions)
    ends = {ended.delivered.split()[0]: ended.reason for ended in of_kind(log, AgentSpeechEnded)}
    assert ends["Once"] is EndReason.INTERRUPTED  # the user cut the story off, not the cue
    assert ends["Number:"] is EndReason.COMPLETED


# --- 4. the agent says how to stop ----------------------------------------------------------------------------------


@pytest.mark.parametrize("decisions", DECISIONS)
async def test_the_agent_says_how_to_end_a_mode_or_a_cue(clock: VirtualClock, decisions: str) -> None:
    steps = [
        *spoken("translate into Spanish as I speak", 0.5),
        *spoken("stop", 9.0),
        *spoken("tell me when I say a number", 14.0),
        *spoken("repeat after me", 24.0),
        *end(32.0),
    ]
    log = await run(clock, steps, decisions)
    said = [ended.delivered for ended in of_kind(log, AgentSpeechEnded)]
    assert said == [
        "Okay, I'll translate into Spanish. Say 'stop' to end.",
        STOPPED,
        "Listening for a number. Say 'cancel the cue' to stop.",
        "Okay, I'll repeat after you. Say 'stop' to end.",
    ]
