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
    """Where a subscription starts reading a session's log (``EventBus.subscribe(..., start=...)``).

    An int offset instead starts at that ``seq`` (see ``StartAt``).
    """

    BEGINNING = "beginning"
    """The whole log, then live."""
    NEW = "new"
    """Only events published after subscribing."""
    RESUME = "resume"
    """Where this subscription name stopped last time (the beginning if never seen)."""


StartAt = Start | int  # an int is an absolute offset in the log


@dataclass(frozen=True, slots=True)
class SubscriptionStats:
    """How a subscription's queue is doing (``Subscription.stats``): a snapshot, to watch a slow consumer.

    A full queue makes room by dropping its oldest lossy event (an audio frame, say), or a lossy newcomer;
    any other newcomer fails the subscription with SlowConsumer, whose ``next_offset`` says where to read
    the log from again. No other event is ever dropped.
    """

    name: str
    capacity: int
    """The most events it queues (``subscribe(capacity=...)``)."""
    queued: int
    """Events queued now, not yet received."""
    delivered: int
    """Events received so far."""
    dropped: int
    """Lossy events dropped because the queue was full."""
    high_water: int
    """The most events it has had queued at once."""


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
    """The sessions' logs: one append-only log per session, read from any offset and followed live.

    :func:`open_bus` opens the built-in one (in memory; durable with a ``log_dir``). Share one you opened
    with ``Agent.session(bus=...)`` to read a session's events as they are recorded (``subscribe``) or
    afterwards (``read``). ``publish`` assigns each event its ``seq``, its offset in the log.
    """

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
