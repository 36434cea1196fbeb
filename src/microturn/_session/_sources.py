"""Sources the loop polls in event time (bytewax-style ``next_awake``), for deterministic drivers.

Live transports publish to the session's ingress whenever input arrives. Drivers that know their
input ahead of time (a scenario script, a log being replayed) instead tell the loop when they next
have something, and hand it over when polled. Polling happens at a fixed point of the loop pass, so
the same inputs always interleave with ticks and speech the same way.

What a source may hand over depends on how it is wired (``_ingress.py``): a source passed as
``Session(sources=...)`` is a script (the user, and an outside world reporting on its own jobs), the
one passed as ``Session(replay=...)`` feeds back a log's outside input as recorded, and raw frames
from either are read as any transport's.
"""

from __future__ import annotations

from typing import Protocol

from microturn._core._events import Event
from microturn._core._floor import FloorState

__all__ = ["Source"]


class Source(Protocol):
    """A driver that knows its input ahead of time (a scenario script, a log being replayed): the loop asks
    it when it next has input, and polls it then."""

    @property
    def name(self) -> str: ...

    def next_awake(self, state: FloorState) -> float | None:
        """Session time of the next input, or None when nothing is scheduled.

        Called at the end of every loop pass with the state as of then (``state.now``), so a source
        can arm inputs that follow the agent ("interrupt 0.8 s after the agent starts talking").
        """
        ...

    def poll(self, now: float, state: FloorState) -> list[Event | bytes]:
        """Inputs due at ``now``: events, or raw wire frames to decode (and reject if malformed)."""
        ...
