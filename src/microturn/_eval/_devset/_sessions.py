"""Playing a case through a real session in virtual time: the policy under test, a scripted user, fixed replies.

The user's input is a scenario script (``ScriptSource``): spoken words at ``SPOKEN_RATE`` seconds each
(as ``microturn.testing.spoken``), keystrokes at ``TYPING_CPS``, and steps that wait for the agent ("once
its first utterance has ended") so a case plays the same under a policy that answers sooner or later.
The model is a fake that says given lines in order, then ``REPLY``: what the agent says is not measured,
only when it speaks; given the embedded model's recorded readings, it also reads the end of the user's turn as
that model did (``_signals.py``). A conversation that opens with the agent's line has it said by :class:`Opening`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from microturn._bus import open_bus
from microturn._core._actions import Action, Say
from microturn._core._clock import VirtualClock
from microturn._core._events import Event
from microturn._core._floor import FloorState
from microturn._eval._devset._signals import RecordedEndOfTurn
from microturn._eval._format import Scenario, Step
from microturn._eval._script import Mark, ScriptSource
from microturn._models import ModelRequest
from microturn._policies import MicroTurn, Policy
from microturn._session import Session
from microturn.testing import FakeModel

__all__ = ["REPLY", "SPOKEN_RATE", "TYPING_CPS", "Opening", "PolicyFactory", "Run", "play", "said"]

PolicyFactory = Callable[[], Policy]
"""Builds the policy under test, fresh for each case (a policy remembers the conversation it has seen)."""

SPOKEN_RATE = 0.3
"""Seconds per spoken user word (as ``microturn.testing.spoken``)."""
TYPING_CPS = 5.0
"""Keystrokes a second of a typing user: about 60 words a minute."""
REPLY = "Okay, I see what you mean there."
"""What the agent answers once the lines it was given are said: seven words, long enough to take over."""
GUARD = 120.0
"""Virtual seconds past a script's end after which a session that never ends fails instead of hanging."""


@dataclass(frozen=True, slots=True)
class Run:
    """A case played: the session log, and when each step with an id started and ended."""

    events: list[Event]
    marks: dict[str, Mark]


class Opening:
    """The policy under test, with the agent's opening line said at the first micro-turn (before the user
    speaks): a conversation that starts with the agent, as some cases' context does. Everything else is
    the wrapped policy's own; it sees the opening line as it sees any utterance of the agent's."""

    name: ClassVar[str] = "devset-opening"

    def __init__(self, policy: Policy, line: str) -> None:
        self._policy = policy
        self._line: str | None = line

    def react(self, state: FloorState, event: Event) -> Sequence[Action]:
        return self._policy.react(state, event)

    def decide(self, state: FloorState, turn: MicroTurn) -> Sequence[Action]:
        actions = list(self._policy.decide(state, turn))
        if self._line is not None:
            actions.insert(0, Say(self._line))
            self._line = None
        return actions

    def wake_at(self, state: FloorState) -> float | None:
        return self._policy.wake_at(state)


def said(lines: Sequence[str]) -> FakeModel:
    """A model that answers with ``lines`` in order, then with ``REPLY`` every time."""
    waiting = deque(lines)

    async def answer(request: ModelRequest) -> str:
        return waiting.popleft() if waiting else REPLY

    return FakeModel(answer)


def play(
    script: Sequence[Step],
    *,
    duration: float,
    policy: Policy,
    lines: Sequence[str] = (),
    readings: Mapping[str, float] | None = None,
) -> Run:
    """Run a session of ``duration`` virtual seconds over ``script`` under ``policy``; the model says
    ``lines`` (see :func:`said`) and, given ``readings`` (the user's words -> the embedded model's P(turn over)
    on them), reads the end of the user's turn as the embedded model did (:class:`RecordedEndOfTurn`); without,
    it reads nothing. Seconds pass instantly: a case takes milliseconds."""
    source = ScriptSource(Scenario(name="devset", duration=duration, script=list(script)))
    clock = VirtualClock()
    model = said(lines) if readings is None else RecordedEndOfTurn(said(lines), readings, clock)

    async def main() -> list[Event]:
        bus = open_bus("memory")
        session = Session(bus=bus, clock=clock, policy=policy, model=model, sources=[source])
        async with clock.timeout_at(duration + GUARD):
            await session.run()
        log = await bus.read(session.id)
        await bus.aclose()
        return log

    return Run(events=clock.run(main()), marks=source.marks)
