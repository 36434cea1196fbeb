"""Replay: re-run a recorded session from its outside input, in virtual time, and compare the logs."""

from __future__ import annotations

import asyncio
from typing import Any

from microturn._bus import open_bus
from microturn._clock import VirtualClock
from microturn._codec import decode_log, encode_log
from microturn._config import SessionConfig
from microturn._events import EndSession, Event, SessionStarted
from microturn._floor import FloorState
from microturn._session import RUNTIME_SOURCES, Session
from microturn._tools import Progress
from microturn.errors import MalformedEvent, ReplayMismatch

__all__ = ["ReplaySource", "compare_logs", "replay_log"]

_EPSILON = 1e-9


class ReplaySource:
    """Feeds a log's outside input (everything not produced by the runtime) back at its event times."""

    def __init__(self, events: list[Event]) -> None:
        self._inputs = [event for event in events if event.source not in RUNTIME_SOURCES]
        if not any(isinstance(event, EndSession) for event in self._inputs):
            # A log cut short (a crash) has no end: end the replay where the log ends, so it terminates
            # and the comparison shows what is missing.
            last = events[-1].t if events else 0.0
            self._inputs.append(EndSession(reason="log ended", t=last, source=self.name))
        self._next = 0

    @property
    def name(self) -> str:
        return "replay"

    def next_awake(self, state: FloorState) -> float | None:
        return self._inputs[self._next].t if self._next < len(self._inputs) else None

    def poll(self, now: float, state: FloorState) -> list[Event | bytes]:
        due: list[Event | bytes] = []
        while self._next < len(self._inputs) and self._inputs[self._next].t <= now + _EPSILON:
            due.append(self._inputs[self._next])
            self._next += 1
        return due


class _RecordedTools:
    """Tools in a replay never answer: their recorded results come back from the log instead."""

    async def call(self, tool: str, arguments: dict[str, Any], *, progress: Progress | None = None) -> str:
        await asyncio.Event().wait()  # cancelled when the replayed session ends
        raise AssertionError("unreachable")


def replay_log(data: bytes) -> bytes:
    """Re-run the session recorded in ``data`` and return the log the replay wrote."""
    events = list(decode_log(data))
    if not events or not isinstance(events[0], SessionStarted):
        raise MalformedEvent(
            "a session log must start with a SessionStarted event",
            excerpt=data[:120].decode(errors="replace"),
        )
    started = events[0]
    config = SessionConfig.from_dict(started.config)
    clock = VirtualClock(wall_epoch=started.wall)

    async def main() -> bytes:
        bus = open_bus("memory")
        session = Session(
            bus=bus,
            clock=clock,
            config=config,
            session_id=started.session,
            sources=[ReplaySource(events)],
            tools=_RecordedTools(),
            tool_specs=started.tools,
        )
        await session.run()
        log = encode_log(await bus.read(session.id))
        await bus.aclose()
        return log

    return clock.run(main())


def compare_logs(expected: bytes, actual: bytes) -> None:
    """Raise ReplayMismatch at the first line that differs."""
    if expected == actual:
        return
    old, new = expected.splitlines(), actual.splitlines()
    for number, (left, right) in enumerate(zip(old, new, strict=False), start=1):
        if left != right:
            raise ReplayMismatch(number, left.decode(errors="replace"), right.decode(errors="replace"))
    shorter = min(len(old), len(new))
    missing = "(log ended)"
    raise ReplayMismatch(
        shorter + 1,
        old[shorter].decode(errors="replace") if len(old) > shorter else missing,
        new[shorter].decode(errors="replace") if len(new) > shorter else missing,
    )
