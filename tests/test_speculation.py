"""Speculative replies: decoded while the user pauses, heard only if the turn ends on those words."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import ClassVar

from microturn import AgentSpeechStarted, AgentWord, Event, ModelRequest, VirtualClock
from microturn._policies import TurnBasedPolicy
from microturn.testing import Step, end, run_session, spoken

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
    steps = [*spoken("what is the time", 0.5), *spoken("in paris", 2.3), *end(8.0)]
    model = SlowLocalModel(clock)
    _, log = await run_session(clock, steps, model=model, policy=TurnBasedPolicy(end_silence=0.8))
    assert model.cancelled == ["what is the time"]  # started in the pause, dropped when the user went on
    assert model.asked[-1] == "what is the time in paris"
    assert said(log) == "you asked what is the time in paris"
    (started,) = [event for event in log if isinstance(event, AgentSpeechStarted)]
    assert started.reply_to == "what is the time in paris"
