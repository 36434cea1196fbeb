"""Run a session over timed input in virtual time and get its log back."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from microturn._bus import open_bus
from microturn._core._clock import VirtualClock
from microturn._core._config import SessionConfig
from microturn._core._events import EndSession, Event, Modality, UserInput, UserSubmit
from microturn._core._floor import FloorState
from microturn._core._tools import Toolbox, ToolSpec
from microturn._models import ChatModel, ScriptedModel
from microturn._policies import FullDuplexPolicy, Policy
from microturn._session import Session

__all__ = ["Step", "TimedSource", "end", "run_session", "spoken", "typed"]

Step = tuple[float, Event | bytes]
"""Input at a session time: an event, or a raw wire frame."""

GUARD = 600.0
"""Virtual seconds after which a session that never ends fails instead of hanging the test."""


class TimedSource:
    """A Source that hands over each step's input at its session time."""

    name = "script"

    def __init__(self, steps: Sequence[Step]) -> None:
        self._steps = deque(sorted(steps, key=lambda step: step[0]))

    def next_awake(self, state: FloorState) -> float | None:
        return self._steps[0][0] if self._steps else None

    def poll(self, now: float, state: FloorState) -> list[Event | bytes]:
        due: list[Event | bytes] = []
        while self._steps and self._steps[0][0] <= now + 1e-9:
            due.append(self._steps.popleft()[1])
        return due


async def run_session(
    clock: VirtualClock,
    steps: Sequence[Step],
    *,
    policy: Policy | None = None,
    tools: Toolbox | None = None,
    tool_specs: Sequence[ToolSpec] = (),
    config: SessionConfig | None = None,
    model: ChatModel | None = None,
    driver: Callable[[Session], Coroutine[Any, Any, None]] | None = None,
) -> tuple[Session, list[Event]]:
    """Run a session over ``steps`` (which must end it, see :func:`end`); return it with its log.

    The policy is the default full-duplex one unless given; the model, the deterministic ``ScriptedModel``.

    ``driver``, if given, runs beside the session like a live transport, injecting as it likes.
    """
    bus = open_bus("memory")
    session = Session(
        bus=bus,
        clock=clock,
        config=config,
        policy=policy or FullDuplexPolicy(),
        model=model or ScriptedModel(),
        tools=tools,
        tool_specs=tool_specs,
        sources=[TimedSource(steps)],
    )
    async with clock.timeout_at(clock.now() + GUARD), asyncio.TaskGroup() as group:
        group.create_task(session.run())
        if driver is not None:
            group.create_task(driver(session))
    log = await bus.read(session.id)
    await bus.aclose()
    return session, log


def spoken(text: str, start: float, rate: float = 0.3) -> list[Step]:
    """One spoken word every ``rate`` seconds from ``start``."""
    return [
        (round(start + index * rate, 6), UserInput(text=word, modality=Modality.SPOKEN, duration=rate))
        for index, word in enumerate(text.split())
    ]


def typed(text: str, at: float, submit_at: float | None = None) -> list[Step]:
    """``text`` typed (pasted) at ``at``, and Enter at ``submit_at`` if given."""
    steps: list[Step] = [(at, UserInput(text=text))]
    if submit_at is not None:
        steps.append((submit_at, UserSubmit()))
    return steps


def end(at: float, reason: str = "test over") -> list[Step]:
    """The step that ends the session at ``at`` (an EndSession): a script for :func:`run_session` needs one,
    or the run times out."""
    return [(at, EndSession(reason=reason))]
