"""A log's journal: its JSONL file, appended event by event, synced to disk by policy, read back by offset.

What a crash can lose depends on the :class:`Sync` policy (see docs/durability.md). Every event is
written and flushed as it is published, so it is in the operating system's page cache at once and
survives the *process* being killed. ``fsync`` is what makes it survive a power loss or a kernel
crash too: after every event (``event``), or at most ``sync_interval`` seconds after it was
published (``interval``, the default), or never (``flush``, for throwaway logs).

Reopening a journal that a crash cut short drops its torn last line (the file is truncated back to
the last whole event) and appends after it; a corrupt line anywhere else is an error.
"""

from __future__ import annotations

import asyncio
import enum
import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from microturn._core._codec import decode_event, decode_log, split_torn_tail
from microturn._core._events import Event
from microturn.errors import ConfigError

__all__ = ["Journal", "LogConfig", "Sync"]

_INDEX_EVERY = 256  # the journal remembers where every 256th event starts: 8 bytes per 256 events


class Sync(enum.Enum):
    """When a journal's writes are forced from the page cache to the disk."""

    EVENT = "event"  # fsync after every event: nothing published is lost, even on a power loss
    INTERVAL = "interval"  # fsync at most every sync_interval seconds: a power loss loses at most that much
    FLUSH = "flush"  # never fsync: a process crash loses nothing, a power loss what the OS had not written


@dataclass(frozen=True, slots=True)
class LogConfig:
    """How a bus keeps its logs: the journal's sync policy and how many events stay in memory."""

    sync: Sync = Sync.INTERVAL
    sync_interval: float = 0.2
    """Seconds (of the event loop's clock) an event may wait for its fsync under ``Sync.INTERVAL``."""
    window: int = 10_000
    """Events per log kept in memory. Older ones are read back from the journal; without a journal
    they are dropped, and reading them raises ``EventsExpired``."""

    def __post_init__(self) -> None:
        if not self.sync_interval > 0:
            raise ConfigError(f"sync_interval must be a positive number of seconds, got {self.sync_interval}")
        if self.window < 1:
            raise ConfigError(f"a log's in-memory window must hold at least 1 event, got {self.window}")


class Journal:
    """One log's file. :meth:`load` what a previous run left, then :meth:`append` and :meth:`read`."""

    def __init__(self, path: Path, config: LogConfig) -> None:
        self.path = path
        self.torn = b""  # the torn last line :meth:`load` cut off, if any
        self._config = config
        self._file: IO[bytes] | None = None
        self._index = array("q")  # byte offset of events 0, 256, 512, ...
        self._length = 0
        self._size = 0
        self._needs_newline = False
        self._sync_timer: asyncio.TimerHandle | None = None

    def load(self) -> Iterator[Event]:
        """The events a previous run wrote, in order; cuts a torn last line off the file first."""
        data = self.path.read_bytes() if self.path.exists() else b""
        complete, self.torn = split_torn_tail(data)
        if self.torn:
            with self.path.open("r+b") as file:
                file.truncate(len(complete))
                self._fsync(file)
        self._size = len(complete)
        self._needs_newline = bool(complete) and not complete.endswith(b"\n")
        start = 0
        for line in complete.splitlines(keepends=True):
            if line.strip():
                self._note(start)
            start += len(line)
        return decode_log(complete)  # raises MalformedEvent with the line number of a corrupt line

    def append(self, frame: bytes) -> None:
        if self._file is None:
            self._file = self._open()
        if self._needs_newline:  # the last event lost only its newline in a crash: end its line
            self._file.write(b"\n")
            self._size += 1
            self._needs_newline = False
        self._note(self._size)
        self._file.write(frame + b"\n")
        self._file.flush()  # in the page cache now: a process crash cannot lose it
        self._size += len(frame) + 1
        if self._config.sync is Sync.EVENT:
            os.fsync(self._file.fileno())
        elif self._config.sync is Sync.INTERVAL and self._sync_timer is None:
            # One fsync covers everything written before it, so one timer serves every event until then.
            loop = asyncio.get_running_loop()
            self._sync_timer = loop.call_later(self._config.sync_interval, self._sync_now)

    def read(self, start: int, stop: int) -> list[Event]:
        """Events ``start <= seq < stop`` from the file (the bus's in-memory window ends before ``stop``)."""
        if start >= stop:
            return []
        block = start // _INDEX_EVERY
        seq = block * _INDEX_EVERY
        events: list[Event] = []
        with self.path.open("rb") as file:
            file.seek(self._index[block])
            for line in file:
                if not line.strip():
                    continue
                if seq >= start:
                    events.append(decode_event(line))
                seq += 1
                if seq >= stop:
                    break
        return events

    def close(self) -> None:
        """Sync what is left (unless the policy never syncs) and close the file."""
        if self._sync_timer is not None:
            self._sync_timer.cancel()
            self._sync_timer = None
        if self._file is not None:
            self._file.flush()
            self._fsync(self._file)
            self._file.close()
            self._file = None

    def _note(self, offset: int) -> None:
        if self._length % _INDEX_EVERY == 0:
            self._index.append(offset)
        self._length += 1

    def _open(self) -> IO[bytes]:
        new = not self.path.exists()
        file = self.path.open("ab")
        if new and self._config.sync is not Sync.FLUSH:
            # A new file's name lives in its directory: sync that too, or a power loss may lose the file.
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        return file

    def _sync_now(self) -> None:
        self._sync_timer = None
        if self._file is not None:
            os.fsync(self._file.fileno())

    def _fsync(self, file: IO[bytes]) -> None:
        if self._config.sync is not Sync.FLUSH:
            os.fsync(file.fileno())
