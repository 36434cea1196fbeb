"""Speculative replies: decoded from the moment the user pauses, heard only if the turn ends on those words."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import ClassVar

import pytest

from microturn import (
    AgentSpeechStarted,
    AgentWord,
    ComponentFailed,
    Event,
    ModelAsked,
    ModelRequest,
    VirtualClock,
    encode_log,
)
from microturn._eval import replay_log
from microturn._policies import TurnBasedPolicy
from microturn.testing import Step, end, run_session, spoken, typed

THINK = 0.6
"""Virtual seconds a reply takes to its first word: a local model's prompt processing."""


class SlowLocalModel:
    """A FAKE local model: its first word comes THINK seconds after a request; it can prefill."""

    name: ClassVar[str] = "slow-local"

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self.asked: list[str] = []
        self.cancelled: list[str] = []

    async def prefill(self, request: ModelRequest) -> None:
        return None

    async def stream(self, request: ModelRequest) -> AsyncIterator[str]:
        self.asked.append(request.user_text)
        try:
            await self._clock.sleep_until(self._clock.now() + THINK)
        except asyncio.CancelledError:
            self.cancelled.append(request.user_text)
            raise
        for word in f"you asked {request.user_text}".split():
            yield word + " "


class SlowRemoteModel(SlowLocalModel):
    """The same FAKE, without prefill: a remote model, which the session never speculates on."""

    prefill = None  # type: ignore[assignment]


def first_word_after(log: list[Event], t: float) -> float:
    return next(event.t for event in log if isinstance(event, AgentWord) and event.t > t)


def said(log: list[Event]) -> str:
    return " ".join(event.word for event in log if isinstance(event, AgentWord))


def run(model_type: type[SlowLocalModel], steps: list[Step]) -> tuple[SlowLocalModel, list[Event]]:
    clock = VirtualClock()
    model = model_type(clock)

    async def main() -> list[Event]:
        return (await run_session(clock, steps, model=model, policy=TurnBasedPolicy(end_silence=0.8)))[1]

    return model, clock.run(main())


def test_a_reply_speculated_in_the_pause_is_heard_sooner() -> None:
    steps = [*spoken("what is the time", 0.5), *end(6.0)]
    local, log = run(SlowLocalModel, steps)
    remote, remote_log = run(SlowRemoteModel, steps)
    assert said(log) == said(remote_log) == "you asked what is the time"
    speech_ended = 0.5 + 4 * 0.3
    speculated, waited = first_word_after(log, speech_ended), first_word_after(remote_log, speech_ended)
    assert round(waited - speculated, 6) >= THINK - 0.2  # the model's time was spent in the pause
    assert local.asked == ["what is the time"]  # decoded once, in the pause, and kept
    assert remote.asked == ["what is the time"]


async def test_a_speculated_reply_is_discarded_unheard_when_the_user_goes_on(clock: VirtualClock) -> None:
    steps = [*spoken("what is the time", 0.5), *spoken("in paris", 2.0), *end(8.0)]
    model = SlowLocalModel(clock)
    _, log = await run_session(clock, steps, model=model, policy=TurnBasedPolicy(end_silence=0.8))
    assert model.cancelled == ["what is the time"]  # started in the pause, dropped when the user went on
    assert model.asked[-1] == "what is the time in paris"
    assert said(log) == "you asked what is the time in paris"
    (started,) = [event for event in log if isinstance(event, AgentSpeechStarted)]
    assert started.reply_to == "what is the time in paris"


# --- under the default policy: the speculation starts where the user's input pauses ------------------------


def asked_at(log: list[Event]) -> list[tuple[float, bool]]:
    return [(event.t, event.speculative) for event in log if isinstance(event, ModelAsked)]


def run_default(model_type: type[SlowLocalModel], steps: list[Step]) -> tuple[SlowLocalModel, list[Event]]:
    """``steps`` through a session with every default of the policy (``FullDuplexPolicy()``) on a FAKE model."""
    clock = VirtualClock()
    model = model_type(clock)
    return model, clock.run(run_session(clock, steps, model=model))[1]


def test_under_the_default_policy_a_spoken_reply_is_speculated_at_the_pause_and_taken() -> None:
    steps = [*spoken("what is the time", 0.5), *end(6.0)]
    local, log = run_default(SlowLocalModel, steps)
    _, remote_log = run_default(SlowRemoteModel, steps)
    pause = 1.7  # the end of the last word (0.5 + 4 words of 0.3 s)
    assert asked_at(log) == [(pause, True)]  # at the very end of the last word, and only that one request
    assert asked_at(remote_log) == [(pause + 0.1, False)]  # the policy answers 0.1 s later (complete_silence)
    assert said(log) == said(remote_log) == "you asked what is the time"
    assert local.asked == ["what is the time"]
    assert first_word_after(log, pause) == pytest.approx(pause + THINK)  # the policy's wait was spent thinking
    assert first_word_after(remote_log, pause) == pytest.approx(pause + 0.1 + THINK)


def test_under_the_default_policy_typed_words_are_speculated_on_before_enter() -> None:
    steps = [*typed("what is the time", at=1.0, submit_at=2.05), *end(6.0)]
    _, log = run_default(SlowLocalModel, steps)
    _, remote_log = run_default(SlowRemoteModel, steps)
    assert asked_at(log) == [(1.0, True)]  # pasted words end at once: the pause begins with them
    assert first_word_after(log, 2.0) == pytest.approx(2.05)  # decoded before Enter: spoken at once
    assert first_word_after(remote_log, 2.0) == pytest.approx(2.05 + THINK)


def test_under_the_default_policy_a_speculation_on_words_the_user_goes_on_from_is_cancelled_unheard() -> None:
    # Unfinished words: the policy waits (incomplete_silence); the speculation starts at the pause all the same.
    steps = [*spoken("what is the time and", 0.5), *spoken("in paris", 2.4), *end(8.0)]
    model, log = run_default(SlowLocalModel, steps)
    assert asked_at(log) == [(2.0, True), (3.0, True)]
    assert model.cancelled == ["what is the time and"]
    assert model.asked == ["what is the time and", "what is the time and in paris"]
    assert said(log) == "you asked what is the time and in paris"
    (started,) = [event for event in log if isinstance(event, AgentSpeechStarted)]
    assert started.reply_to == "what is the time and in paris"


def test_no_speculation_starts_between_words_that_follow_each_other() -> None:
    # Each spoken word lasts until the next one begins: the end of one is no pause, whatever the loop's order.
    steps = [*spoken("tell me what the time is in paris", 0.5), *end(6.0)]
    _, log = run_default(SlowLocalModel, steps)
    assert asked_at(log) == [(2.9, True)]  # 0.5 + 8 words of 0.3 s


def test_a_model_failing_while_speculating_costs_the_reply_nothing() -> None:
    class FailsSpeculating(SlowLocalModel):
        async def stream(self, request: ModelRequest) -> AsyncIterator[str]:
            if not self.asked:  # the speculation, at the pause: it fails at once
                self.asked.append(request.user_text)
                raise RuntimeError("out of memory")
            async for word in super().stream(request):
                yield word

    steps = [*spoken("what is the time", 0.5), *end(6.0)]
    _, log = run_default(FailsSpeculating, steps)
    _, remote_log = run_default(SlowRemoteModel, steps)
    (failure,) = [event for event in log if isinstance(event, ComponentFailed)]
    assert failure.component == "speculation"
    assert said(log) == said(remote_log) == "you asked what is the time"  # nothing about it is heard
    assert first_word_after(log, 1.7) == first_word_after(remote_log, 1.7)  # and it is no later


def test_speculations_under_the_default_policy_replay_byte_for_byte() -> None:
    steps = [*spoken("what is the time and", 0.5), *spoken("in paris", 2.4), *typed("thanks", 8.0, 8.5), *end(12.0)]
    _, log = run_default(SlowLocalModel, steps)
    data = encode_log(log)
    assert replay_log(data) == data
