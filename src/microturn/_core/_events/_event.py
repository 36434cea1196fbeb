"""The base of every event, and the two class-level properties that steer its delivery.

An event's *kind* is its class. Every event carries its event time ``t`` (seconds since the session
started, on the session clock), its ``seq`` (offset in the session log, set by the bus), the ``source``
that produced it and, when it was caused by another event, that event's ``seq`` as ``cause``.

The *lane* lets control events overtake data; the *overflow* policy says what a full subscription
queue does (lossless kinds fail the slow consumer, audio frames drop the oldest).
"""

from __future__ import annotations

import enum
from typing import ClassVar

import msgspec

__all__ = ["Event", "Lane", "Overflow", "event_kinds"]


class Lane(enum.IntEnum):
    """Delivery lane; a lower value is delivered first."""

    CONTROL = 0
    DATA = 1


class Overflow(enum.Enum):
    """What a full subscription queue does with one more event of this kind."""

    LOSSLESS = "lossless"  # the subscription fails with SlowConsumer; the log keeps everything
    DROP_OLDEST = "drop-oldest"  # the oldest queued event of a drop-oldest kind is discarded


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind", tag=True, omit_defaults=True, gc=False):
    """Base of every event. Subclasses are the event kinds."""

    lane: ClassVar[Lane] = Lane.DATA
    overflow: ClassVar[Overflow] = Overflow.LOSSLESS

    t: float = -1.0
    seq: int = -1
    source: str = ""
    cause: int | None = None


def event_kinds() -> tuple[type[Event], ...]:
    """Every concrete event kind, in a stable order (for the codec's union)."""
    found: list[type[Event]] = []
    pending: list[type[Event]] = list(Event.__subclasses__())
    while pending:
        kind = pending.pop(0)
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return tuple(found)
