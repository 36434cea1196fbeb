"""The EventBus interface every backend implements.

A bus holds one append-only log per session. ``publish`` appends and assigns the event's ``seq`` (its
offset); subscriptions read a session's log from any offset and then follow it live, through a
bounded queue with a declared overflow policy per event kind. Subscriptions are named: a backend
remembers how far each name has read, so ``Start.RESUME`` continues a consumer where it stopped (a
JetStream durable consumer maps onto exactly this).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from microturn._core._events import Event

__all__ = ["EventBus", "Start", "StartAt", "Subscription", "SubscriptionStats"]


class Start(enum.Enum):
    BEGINNING = "beginning"  # the whole log, then live
    NEW = "new"  # only events published after subscribing
    RESUME = "resume"  # where this subscription name stopped last time (the beginning if never seen)


StartAt = Start | int  # an int is an absolute offset in the log


@dataclass(frozen=True, slots=True)
class SubscriptionStats:
    name: str
    capacity: int
    queued: int
    delivered: int
    dropped: int
    high_water: int


class Subscription(Protocol):
    """A bounded, ordered view of one session's log. Control-lane events are delivered first."""

    @property
    def name(self) -> str: ...

    @property
    def stats(self) -> SubscriptionStats: ...

    def receive_nowait(self) -> Event | None:
        """The next queued event, or None. Raises SlowConsumer/SubscriptionClosed once drained."""
        ...

    async def receive(self) -> Event:
        """Wait for the next event. Raises SlowConsumer/SubscriptionClosed once drained."""
        ...

    def set_listener(self, listener: Callable[[], None] | None) -> None:
        """Call ``listener`` (synchronously, cheaply) whenever an event is queued."""
        ...

    def close(self) -> None: ...

    def __aiter__(self) -> Subscription: ...

    async def __anext__(self) -> Event:
        """The next event; iteration stops when the subscription is closed."""
        ...


class EventBus(Protocol):
    @property
    def backend(self) -> str: ...

    async def publish(self, session: str, event: Event) -> Event:
        """Append ``event`` to the session's log; return it as stored (with its ``seq``)."""
        ...

    async def subscribe(
        self,
        session: str,
        name: str,
        *,
        start: StartAt = Start.NEW,
        kinds: tuple[type[Event], ...] | None = None,
        exclude_sources: frozenset[str] = frozenset(),
        capacity: int = 1024,
    ) -> Subscription:
        """Follow a session's log from ``start``, keeping only ``kinds`` and not ``exclude_sources``."""
        ...

    async def read(self, session: str, start: int = 0, stop: int | None = None) -> list[Event]:
        """The stored events with ``start <= seq < stop``."""
        ...

    async def aclose(self) -> None: ...
