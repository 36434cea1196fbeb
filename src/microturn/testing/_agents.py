"""Run an agent over timed input in virtual time, and look at what it did."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from microturn._agent import Agent, AgentSession
from microturn._core._clock import VirtualClock
from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    EndSession,
    Event,
    SpeechPurpose,
)
from microturn.testing._sessions import GUARD, Step

__all__ = ["AgentRun", "run_agent"]

E = TypeVar("E", bound=Event)


@dataclass(frozen=True, slots=True)
class AgentRun:
    """What happened in a session :func:`run_agent` ran: its log, and views of it."""

    log: list[Event]
    transcript: str
    """The conversation as the models saw it (see ``AgentSession.transcript``)."""

    @property
    def replies(self) -> list[str]:
        """What the agent said, utterance by utterance, as the user got it (backchannels left out)."""
        purposes = {event.utterance: event.purpose for event in self.of(AgentSpeechStarted)}
        return [
            event.delivered
            for event in self.of(AgentSpeechEnded)
            if event.delivered.strip() and purposes.get(event.utterance) is not SpeechPurpose.BACKCHANNEL
        ]

    def of(self, kind: type[E]) -> list[E]:
        """The log's events of one kind, in order."""
        return [event for event in self.log if isinstance(event, kind)]

    def first(self, kind: type[E]) -> E:
        """The log's first event of ``kind``; AssertionError (with the transcript) if there is none."""
        found = self.of(kind)
        assert found, f"no {kind.__name__} in the session; its transcript:\n{self.transcript}"
        return found[0]


def run_agent(
    agent: Agent, steps: Sequence[Step], *, clock: VirtualClock | None = None, settle: float = 30.0
) -> AgentRun:
    """Run ``agent`` in virtual time over ``steps`` (see :func:`typed`, :func:`spoken`, :func:`end`) and
    return what happened. Without an :func:`end` step the session ends ``settle`` seconds after the last
    step. Seconds pass instantly: a test of a minute-long conversation takes milliseconds (with a scripted
    model). ``clock`` defaults to a fresh ``VirtualClock``."""
    clock = clock or VirtualClock()
    ordered = sorted(steps, key=lambda step: step[0])
    if not any(isinstance(event, EndSession) for _, event in ordered):
        last = ordered[-1][0] if ordered else 0.0
        ordered.append((last + settle, EndSession(reason="the test is over")))

    async def main() -> AgentRun:
        async with clock.timeout_at(clock.now() + GUARD), agent.session(clock=clock, session_id="test") as talk:
            await _drive(talk, ordered, clock)
            await talk.end()
            return AgentRun(log=await talk.log(), transcript=talk.transcript)

    return clock.run(main())


async def _drive(talk: AgentSession, steps: Sequence[Step], clock: VirtualClock) -> None:
    start = clock.now()
    for at, item in steps:
        await clock.sleep_until(start + at)
        if talk.ended:
            return
        if isinstance(item, bytes):
            await talk.session.inject_raw(item, source=talk.source)
        else:
            await talk.inject(item)
