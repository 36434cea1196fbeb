"""The in-process bus: the embedded default.

Logs live in memory; with a ``log_dir`` every event is also appended and flushed to
``<log_dir>/<session>.jsonl`` as it is published, so a crash loses nothing and a reopened bus finds
the session's log where it left it.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO

import msgspec

from microturn._bus._base import Start, StartAt, SubscriptionStats
from microturn._codec import decode_log, encode_event
from microturn._events import Event, Lane, Overflow
from microturn.errors import BusClosed, ConfigError, SlowConsumer, SubscriptionClosed

__all__ = ["MemoryBus", "MemorySubscription"]

_SESSION_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


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


class MemoryBus:
    def __init__(self, *, log_dir: Path | None = None) -> None:
        self._log_dir = log_dir
        self._logs: dict[str, list[Event]] = {}
        self._files: dict[str, IO[bytes]] = {}
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
        if self._log_dir is not None:
            journal = self._files.get(session)
            if journal is None:
                journal = self._files[session] = (self._log_dir / f"{session}.jsonl").open("ab")
            journal.write(encode_event(stored) + b"\n")
            journal.flush()
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
        for event in log[offset:]:
            sub._offer(event)
        if sub._failure is None:  # it may have overflowed on the backlog already
            self._subs.setdefault(session, []).append(sub)
        return sub

    async def read(self, session: str, start: int = 0, stop: int | None = None) -> list[Event]:
        if start < 0 or (stop is not None and stop < 0):
            raise ConfigError(f"log offsets cannot be negative, got start={start}, stop={stop}")
        return self._log(session)[start:stop]

    async def aclose(self) -> None:
        self._closed = True
        for subs in self._subs.values():
            for sub in tuple(subs):
                sub.close()
        for journal in self._files.values():
            journal.close()
        self._files.clear()

    def _log(self, session: str) -> list[Event]:
        if self._closed:
            raise BusClosed("the bus is closed; open a new one")
        log = self._logs.get(session)
        if log is None:
            if not _SESSION_NAME.match(session):
                raise ConfigError(f"session id {session!r} is invalid: use 1-128 letters, digits, '_', '-' or '.'")
            log = self._logs[session] = self._load(session)
        return log

    def _load(self, session: str) -> list[Event]:
        if self._log_dir is None:
            return []
        path = self._log_dir / f"{session}.jsonl"
        return list(decode_log(path.read_bytes())) if path.exists() else []

    def _advance(self, session: str, name: str, offset: int) -> None:
        self._offsets[(session, name)] = offset

    def _detach(self, session: str, sub: MemorySubscription) -> None:
        subs = self._subs.get(session)
        if subs is not None and sub in subs:
            subs.remove(sub)
