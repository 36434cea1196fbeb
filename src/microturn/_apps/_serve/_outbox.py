"""What one socket's writer sends: two bounded lanes, control overtaking data.

An item is a run of frames sent back to back (an audio header and the PCM it announces travel as
one item, so nothing can come between them). The data lane (events, transcripts, agent audio)
blocks its producer when full: a client that reads too slowly slows the conversation's output
rather than losing speech. The control lane (flush, errors) is separate, so a barge-in never waits
behind queued audio; a flush also drops the queued audio of the utterance it stops, which the
client would only throw away.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

__all__ = ["Frames", "Outbox", "OutboxStats"]

Frames = tuple[str | bytes, ...]


@dataclass(frozen=True, slots=True)
class OutboxStats:
    queued: int
    high_water: int
    sent: int
    dropped_audio: int


class Outbox:
    def __init__(self, *, capacity: int = 256, control_capacity: int = 64) -> None:
        self._capacity = capacity
        self._control_capacity = control_capacity
        self._data: deque[tuple[int | None, Frames]] = deque()
        self._control: deque[Frames] = deque()
        self._changed = asyncio.Condition()
        self._closed = False
        self._high_water = 0
        self._sent = 0
        self._dropped_audio = 0

    @property
    def stats(self) -> OutboxStats:
        return OutboxStats(
            queued=len(self._data) + len(self._control),
            high_water=self._high_water,
            sent=self._sent,
            dropped_audio=self._dropped_audio,
        )

    async def put(self, *frames: str | bytes, audio_of: int | None = None) -> None:
        """Queue data, waiting while the lane is full; ``audio_of`` marks agent audio of that utterance."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._closed or len(self._data) < self._capacity)
            if self._closed:
                return
            self._data.append((audio_of, frames))
            self._high_water = max(self._high_water, len(self._data))
            self._changed.notify_all()

    async def put_control(self, *frames: str | bytes, flushes: int | None = None) -> None:
        """Queue a control message ahead of all data; ``flushes`` drops that utterance's queued audio."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._closed or len(self._control) < self._control_capacity)
            if self._closed:
                return
            if flushes is not None:
                kept = [item for item in self._data if item[0] != flushes]
                self._dropped_audio += len(self._data) - len(kept)
                self._data = deque(kept)
            self._control.append(frames)
            self._changed.notify_all()

    async def close(self) -> None:
        """Take nothing more; what is queued is still handed out, then :meth:`get` returns None."""
        async with self._changed:
            self._closed = True
            self._changed.notify_all()

    async def get(self) -> Frames | None:
        """The next item, control first; None once closed and empty."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._closed or self._control or self._data)
            if self._control:
                frames = self._control.popleft()
            elif self._data:
                frames = self._data.popleft()[1]
            else:
                return None
            self._sent += 1
            self._changed.notify_all()
            return frames
