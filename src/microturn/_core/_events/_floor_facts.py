"""Floor facts: what the loop derives about who was producing what, recorded when a stretch of it ends."""

from __future__ import annotations

from microturn._core._events._event import Event

__all__ = ["Overlap", "Silence"]


class Silence(Event, frozen=True):
    """Nobody produced anything from ``started`` for ``duration`` seconds (emitted when it ends)."""

    started: float
    duration: float


class Overlap(Event, frozen=True):
    """User and agent both produced output from ``started`` for ``duration`` seconds."""

    started: float
    duration: float
