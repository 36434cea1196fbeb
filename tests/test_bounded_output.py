"""Runaway output ends: a model that repeats itself or runs on is stopped by the runtime, never heard going on.

The bound (``_session/_bounds.py``) on its own, then through a real Session in virtual time: a reply, fixed
speech (a background result) and a translation alike, recorded as STOPPED with the bound it reached (not as
the user cutting in), the config that sets it in the log, and replays byte for byte, of logs recorded with a
bound and without one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import ClassVar, TypeVar

import pytest

from microturn import SessionConfig
from microturn._core._actions import Say
from microturn._core._clock import VirtualClock
from microturn._core._codec import encode_log
from microturn._core._config import MAX_UTTERANCE_WORDS
from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    EndReason,
    Event,
    SessionStarted,
    SpeechBound,
    UserSubmit,
)
from microturn._core._floor import FloorState
from microturn._eval._replay import replay_log
from microturn._models import ModelRequest
from microturn._policies import FullDuplexPolicy
from microturn._session._bounds import Bound
from microturn.testing import FakePolicy, end, run_session, typed

LOOPING = "I'm sorry, " * 40
STORY = (
    "I'm a 20-year-old girl. I'm from the United States. I'm a student at a university in Tokyo. "
    "I'm a student at a university in Tokyo. I'm a student at a university in Tokyo."
)
STORY_HEARD = "I'm a 20-year-old girl. I'm from the United States. I'm a student at a university in Tokyo."


def bounded(text: str, *, size: int = 3, max_words: int | None = MAX_UTTERANCE_WORDS) -> tuple[str, SpeechBound | None]:
    """What the bound lets through of ``text`` streamed in chunks of ``size`` characters, and the bound reached."""
    bound = Bound(max_words)
    said = "".join(bound.take(text[i : i + size]) for i in range(0, len(text), size)) + bound.flush()
    return said, bound.reached


# --- the bound on its own ----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 3, 7, 1000])
def test_a_phrase_said_over_and_over_is_said_once_however_the_text_is_chunked(size: int) -> None:
    assert bounded(LOOPING, size=size) == ("I'm sorry, ", SpeechBound.REPETITION)


def test_a_repeated_sentence_ends_the_utterance_before_the_repeat() -> None:
    said, reached = bounded(STORY)
    assert said == STORY_HEARD + " "
    assert reached is SpeechBound.REPETITION


def test_a_repeat_at_the_very_end_is_not_said_either() -> None:
    assert bounded("The cat sat down. Then it slept. The cat sat down") == (
        "The cat sat down. Then it slept. ",
        SpeechBound.REPETITION,
    )


@pytest.mark.parametrize(
    "text",
    [
        "We walked and walked and walked until dawn. Then we slept.",  # a phrase three times is speech
        "Okay. Okay. Fine, fine, fine then.",  # short sentences may come twice
        "I think so. I think it will rain. I think we should go.",  # sentences that begin alike
        "It is 12:00. The train leaves at 12:30, platform 2, car 2.",
    ],
)
def test_ordinary_repetition_in_speech_is_said_whole(text: str) -> None:
    assert bounded(text) == (text, None)


def test_an_utterance_ends_at_its_longest() -> None:
    text = " ".join(f"word{n}" for n in range(20))
    assert bounded(text, max_words=5) == ("word0 word1 word2 word3 word4 ", SpeechBound.LENGTH)


def test_no_bound_passes_every_chunk_as_it_came() -> None:
    bound = Bound(None)
    assert [bound.take(chunk) for chunk in ("I'm sorry, ", "I'm sorry, ", "I'm sorry, ", "I'm sorry, ")] == [
        "I'm sorry, "
    ] * 4
    assert bound.flush() == ""
    assert bound.reached is None


# --- through a session -------------------------------------------------------------------------------------


class Chunks:
    """A model that streams ``text`` in chunks of ``size`` characters, whatever it is asked."""

    name: ClassVar[str] = "chunks"

    def __init__(self, text: str, size: int = 5, *, clock: VirtualClock | None = None) -> None:
        """With a ``clock``, a chunk every 50 ms of it (faster than speech), else all at once."""
        self._text = text
        self._size = size
        self._clock = clock
        self.chunks = 0

    async def stream(self, request: ModelRequest) -> AsyncIterator[str]:
        for i in range(0, len(self._text), self._size):
            if self._clock is not None:
                await self._clock.sleep_until(self._clock.now() + 0.05)
            self.chunks += 1
            yield self._text[i : i + self._size]


E = TypeVar("E", bound=Event)


def of_kind(log: Sequence[Event], kind: type[E]) -> list[E]:
    return [event for event in log if isinstance(event, kind)]


def words_of(log: Sequence[Event], utterance: int) -> str:
    return " ".join(word.word for word in of_kind(log, AgentWord) if word.utterance == utterance)


ASK = typed("tell me about yourself", 1.0, submit_at=1.5)


async def test_a_looping_reply_is_heard_once_and_ends_as_the_runtime_stopping_it(clock: VirtualClock) -> None:
    model = Chunks(LOOPING, clock=clock)
    _, log = await run_session(clock, [*ASK, *end(30.0)], model=model)
    (reply,) = of_kind(log, AgentSpeechStarted)
    assert words_of(log, reply.utterance) == "I'm sorry,"
    (ended,) = of_kind(log, AgentSpeechEnded)
    assert (ended.reason, ended.bound, ended.delivered) == (EndReason.STOPPED, SpeechBound.REPETITION, "I'm sorry,")
    assert ended.t == pytest.approx(1.5 + 2 * 0.4, abs=0.21)  # at the end of the one phrase, not at the session's end
    assert model.chunks < len(LOOPING) // 5  # the model was stopped, not read to its end


async def test_a_story_that_repeats_its_sentences_ends_before_the_first_repeat(clock: VirtualClock) -> None:
    _, log = await run_session(clock, [*ASK, *end(60.0)], model=Chunks(STORY))
    (ended,) = of_kind(log, AgentSpeechEnded)
    assert ended.delivered == STORY_HEARD
    assert ended.bound is SpeechBound.REPETITION


async def test_a_reply_that_runs_on_stops_at_the_configured_length(clock: VirtualClock) -> None:
    endless = " ".join(f"w{n}" for n in range(500))
    config = SessionConfig(max_utterance_words=12)
    _, log = await run_session(clock, [*ASK, *end(60.0)], model=Chunks(endless), config=config)
    (ended,) = of_kind(log, AgentSpeechEnded)
    assert ended.delivered == " ".join(f"w{n}" for n in range(12))
    assert (ended.reason, ended.bound) == (EndReason.STOPPED, SpeechBound.LENGTH)
    started = log[0]
    assert isinstance(started, SessionStarted)
    assert started.config["max_utterance_words"] == 12


async def test_fixed_speech_is_bounded_too(clock: VirtualClock) -> None:
    """A background job's result, a timer's words: said by the policy (``Say``), through the same bound."""

    def announce(state: FloorState, event: Event) -> list[Say]:
        return [Say("The result is: all done. " * 5)] if isinstance(event, UserSubmit) else []

    _, log = await run_session(clock, [*ASK, *end(30.0)], policy=FakePolicy(announce, FullDuplexPolicy()))
    said = [e for e in of_kind(log, AgentSpeechEnded) if e.bound is not None]
    assert [e.delivered for e in said] == ["The result is: all done."]


async def test_a_translation_that_loops_is_cut_like_a_reply(clock: VirtualClock) -> None:
    steps = [*typed("translate into spanish", 1.0, submit_at=1.2), *typed("good morning ", 4.0), *end(40.0)]
    _, log = await run_session(clock, steps, model=Chunks("Lo siento, " * 50))
    looped = [e for e in of_kind(log, AgentSpeechEnded) if e.bound is SpeechBound.REPETITION]
    assert looped
    assert all(e.delivered.endswith("Lo siento,") for e in looped)  # the phrase once, then the bound
    assert all(e.delivered.count("siento") == 1 for e in looped)


# --- the log ------------------------------------------------------------------------------------------------


def test_the_bound_round_trips_in_the_config_and_older_logs_ran_without_it() -> None:
    assert SessionConfig().max_utterance_words == MAX_UTTERANCE_WORDS
    assert SessionConfig.from_dict(SessionConfig(max_utterance_words=40).to_dict()).max_utterance_words == 40
    unbounded = SessionConfig(max_utterance_words=None)
    assert "max_utterance_words" not in unbounded.to_dict()  # as every log before the bound: no such key
    old = unbounded.to_dict()
    assert SessionConfig.from_dict(old) == unbounded  # a log that names no bound ran without one
    assert SessionConfig.from_dict({"tick": 0.1}, partial=True).max_utterance_words == MAX_UTTERANCE_WORDS


@pytest.mark.parametrize("max_words", [None, MAX_UTTERANCE_WORDS, 8])
def test_logs_with_and_without_a_bound_replay_byte_for_byte(max_words: int | None) -> None:
    clock = VirtualClock()

    async def record() -> bytes:
        config = SessionConfig(max_utterance_words=max_words)
        _, log = await run_session(clock, [*ASK, *end(30.0)], model=Chunks(STORY + " " + LOOPING, 4), config=config)
        return encode_log(log)

    recorded = clock.run(record())
    assert replay_log(recorded) == recorded
