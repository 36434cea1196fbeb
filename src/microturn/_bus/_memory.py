"""The in-process bus: the embedded default.

Each log keeps its newest events in memory (a window, ``LogConfig.window``). With a ``log_dir`` every
event is also appended to ``<log_dir>/<session>.jsonl`` as it is published and synced to disk by the
``LogConfig.sync`` policy (see ``_journal.py``); reads that reach back past the window come from that
file, and a reopened bus finds the log where it left it, a torn last line cut off. Without a journal,
events that leave the window are gone (reading them raises ``EventsExpired``): memory stays bounded.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Callable
from pathlib import Path

import msgspec

from microturn._bus._base import Start, StartAt, SubscriptionStats
from microturn._bus._journal import Journal, LogConfig
from microturn._core._codec import encode_event
from microturn._core._events import Event, Lane, Overflow
from microturn.errors import BusClosed, ConfigError, EventsExpired, SlowConsumer, SubscriptionClosed

__all__ = ["MemoryBus", "MemorySubscription"]

_SESSION_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
_BACKLOG_SLICE = 1024


class MemorySubscription:
    def __init__(
        self,
        bus: MemoryBus,
        session: str,
        name: str,
        *,
        kinds: tuple[type[Event], ...] | None,
        exclude_sources: frozenset[str],
        capacity: int,
    ) -> None:
        if capacity < 1:
            raise ConfigError(f"subscription capacity must be at least 1, got {capacity}")
        self._bus = bus
        self._session = session
        self._name = name
        self._kinds = kinds
        self._exclude = exclude_sources
        self._capacity = capacity
        self._lanes: tuple[deque[Event], deque[Event]] = (deque(), deque())  # indexed by Lane
        self._listener: Callable[[], None] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._failure: Exception | None = None
        self._delivered = 0
        self._dropped = 0
        self._high_water = 0
        self._first = 0  # the offset it starts from: a start past the current end skips what comes before

    @property
    def name(self) -> str:
        return self._name

    @property
    def stats(self) -> SubscriptionStats:
        return SubscriptionStats(
            name=self._name,
            capacity=self._capacity,
            queued=self._queued(),
            delivered=self._delivered,
            dropped=self._dropped,
            high_water=self._high_water,
        )

    def set_listener(self, listener: Callable[[], None] | None) -> None:
        self._listener = listener

    def receive_nowait(self) -> Event | None:
        for lane in self._lanes:
            if lane:
                event = lane.popleft()
                self._delivered += 1
                self._bus._advance(self._session, self._name, self._resume_offset(event))
                return event
        if self._failure is not None:
            raise self._failure
        return None

    async def receive(self) -> Event:
        while True:
            event = self.receive_nowait()
            if event is not None:
                return event
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def close(self) -> None:
        if self._failure is None:
            self._failure = SubscriptionClosed(f"subscription {self._name!r} is closed")
        self._bus._detach(self._session, self)
        self._wake()

    def __aiter__(self) -> MemorySubscription:
        return self

    async def __anext__(self) -> Event:
        try:
            return await self.receive()
        except SubscriptionClosed:
            raise StopAsyncIteration from None

    # --- called by the bus ---

    def _offer(self, event: Event) -> None:
        if self._failure is not None or event.seq < self._first:
            return
        if self._kinds is not None and not isinstance(event, self._kinds):
            return
        if event.source in self._exclude:
            return
        if self._queued() >= self._capacity and not self._make_room(event):
            return
        self._lanes[type(event).lane].append(event)
        self._high_water = max(self._high_water, self._queued())
        self._wake()

    def _make_room(self, event: Event) -> bool:
        """The queue is full. Drop the oldest lossy event if any; else drop a lossy newcomer or fail."""
        data = self._lanes[Lane.DATA]
        for index, queued in enumerate(data):
            if type(queued).overflow is Overflow.DROP_OLDEST:
                del data[index]
                self._dropped += 1
                return True
        if type(event).overflow is Overflow.DROP_OLDEST:
            self._dropped += 1
            return False
        self._failure = SlowConsumer(self._name, self._capacity, next_offset=event.seq)
        self._bus._detach(self._session, self)
        self._wake()
        return False

    def _resume_offset(self, delivered: Event) -> int:
        # Control events overtake data, so an earlier data event may still be queued: resume from it
        # (at-least-once, like a JetStream durable consumer) rather than skip it.
        waiting = [lane[0].seq for lane in self._lanes if lane]
        return min(waiting) if waiting else delivered.seq + 1

    def _queued(self) -> int:
        return len(self._lanes[0]) + len(self._lanes[1])

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        if self._listener is not None:
            self._listener()


class _Log:
    """One log: its newest events in memory, all of them in the journal if it has one."""

    def __init__(self, name: str, journal: Journal | None, window: int) -> None:
        self.name = name
        self.journal = journal
        self._window = window
        # Evicting in slices of an eighth of the window keeps appends O(1) and memory within 1.125 windows.
        self._slack = max(1, window // 8)
        self._recent: list[Event] = []
        self._first = 0  # the seq of _recent[0]
        if journal is not None:
            for event in journal.load():
                self._keep(event)

    def __len__(self) -> int:
        return self._first + len(self._recent)

    def append(self, event: Event) -> None:
        if self.journal is not None:
            self.journal.append(encode_event(event))
        self._keep(event)

    def events(self, start: int, stop: int | None = None) -> list[Event]:
        """Events ``start <= seq < stop``: from memory, and from the journal before the window."""
        end = len(self) if stop is None else min(stop, len(self))
        if start >= end:
            return []
        older: list[Event] = []
        if start < self._first:
            if self.journal is None:
                raise EventsExpired(self.name, self._first, self._window)
            older = self.journal.read(start, min(end, self._first))
        return older + self._recent[max(start - self._first, 0) : end - self._first]

    def _keep(self, event: Event) -> None:
        self._recent.append(event)
        excess = len(self._recent) - self._window
        if excess >= self._slack:
            del self._recent[:excess]
            self._first += excess


class MemoryBus:
    def __init__(self, *, log_dir: Path | None = None, config: LogConfig | None = None) -> None:
        self._log_dir = log_dir
        self._config = config or LogConfig()
        self._logs: dict[str, _Log] = {}
        self._subs: dict[str, list[MemorySubscription]] = {}
        self._offsets: dict[tuple[str, str], int] = {}
        self._closed = False
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)

    @property
    def backend(self) -> str:
        return "memory"

    async def publish(self, session: str, event: Event) -> Event:
        log = self._log(session)
        stored = msgspec.structs.replace(event, seq=len(log))
        log.append(stored)
        for sub in tuple(self._subs.get(session, ())):
            sub._offer(stored)
        return stored

    async def subscribe(
        self,
        session: str,
        name: str,
        *,
        start: StartAt = Start.NEW,
        kinds: tuple[type[Event], ...] | None = None,
        exclude_sources: frozenset[str] = frozenset(),
        capacity: int = 1024,
    ) -> MemorySubscription:
        log = self._log(session)
        sub = MemorySubscription(self, session, name, kinds=kinds, exclude_sources=exclude_sources, capacity=capacity)
        if start is Start.BEGINNING:
            offset = 0
        elif start is Start.NEW:
            offset = len(log)
        elif start is Start.RESUME:
            offset = self._offsets.get((session, name), 0)
        else:
            if start < 0:
                raise ConfigError(f"a log offset cannot be negative, got {start}")
            offset = start
        sub._first = offset
        # The backlog is read in slices: a journal can be far longer than memory should hold at once.
        while offset < len(log) and sub._failure is None:  # past an overflow, reading on would be wasted
            backlog = log.events(offset, offset + _BACKLOG_SLICE)
            for event in backlog:
                sub._offer(event)
            offset += len(backlog)
        if sub._failure is None:
            self._subs.setdefault(session, []).append(sub)
        return sub

    async def read(self, session: str, start: int = 0, stop: int | None = None) -> list[Event]:
        if start < 0 or (stop is not None and stop < 0):
            raise ConfigError(f"log offsets cannot be negative, got start={start}, stop={stop}")
        return self._log(session).events(start, stop)

    async def aclose(self) -> None:
        self._closed = True
        for subs in self._subs.values():
            for sub in tuple(subs):
                sub.close()
        for log in self._logs.values():
            if log.journal is not None:
                log.journal.close()

    def torn(self, session: str) -> bytes:
        """The torn last line cut off the session's journal when the bus reopened it (``b""``: none)."""
        journal = self._log(session).journal
        return b"" if journal is None else journal.torn

    def _log(self, session: str) -> _Log:
        if self._closed:
            raise BusClosed("the bus is closed; open a new one")
        log = self._logs.get(session)
        if log is None:
            if not _SESSION_NAME.match(session):
                raise ConfigError(f"session id {session!r} is invalid: use 1-128 letters, digits, '_', '-' or '.'")
            journal = None if self._log_dir is None else Journal(self._log_dir / f"{session}.jsonl", self._config)
            log = self._logs[session] = _Log(session, journal, self._config.window)
        return log

    def _advance(self, session: str, name: str, offset: int) -> None:
        self._offsets[(session, name)] = offset

    def _detach(self, session: str, sub: MemorySubscription) -> None:
        subs = self._subs.get(session)
        if subs is not None and sub in subs:
            subs.remove(sub)
