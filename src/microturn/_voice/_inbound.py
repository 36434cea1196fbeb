"""The bounded queues audio goes through on its way in: the microphone's, and the rough recogniser's.

Audio in is lossy: when listening falls behind, each queue drops its oldest audio rather than grow
without end or block ``hear``. The markers of a stretch of speech (its start and end) are never
dropped: they are what the session hears of the user's turn, and they cost nothing to keep.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from microturn._voice._finals import EarlyRun
from microturn._voice._listening import SpeechAudio, SpeechEnd, SpeechStart
from microturn._voice._turn_signals import Slot

__all__ = ["EndedStretch", "MicrophoneBuffer", "Speech", "SpeechQueue"]


@dataclass(frozen=True, slots=True)
class EndedStretch:
    """A stretch of speech ended, with all its audio (for the accurate recogniser), its early run if any, and the
    slot of its audio end-of-turn signal if there is a model for it."""

    end: SpeechEnd
    pcm: bytes
    early: EarlyRun | None
    turn_end: Slot | None = None


Speech = SpeechStart | SpeechAudio | EndedStretch


class MicrophoneBuffer:
    """PCM waiting to be listened to, at most ``capacity`` bytes: the oldest goes first."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self.ready = asyncio.Event()

    def put(self, pcm: bytes) -> int:
        """Queue ``pcm``; return how many bytes were dropped to make room."""
        if not pcm:
            return 0
        dropped = 0
        if len(pcm) > self._capacity:
            dropped, pcm = len(pcm) - self._capacity, pcm[len(pcm) - self._capacity :]
        self._chunks.append(pcm)
        self._size += len(pcm)
        while self._size > self._capacity:
            oldest = self._chunks.popleft()
            self._size -= len(oldest)
            dropped += len(oldest)
        self.ready.set()
        return dropped

    def take(self) -> bytes:
        audio = b"".join(self._chunks)
        self._chunks.clear()
        self._size = 0
        self.ready.clear()
        return audio


class SpeechQueue:
    """Speech for the rough recogniser: starts and ends always kept, audio bounded (oldest dropped)."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: deque[Speech] = deque()
        self._audio = 0
        self._ready = asyncio.Event()
        self.dropped = 0  # bytes

    def put(self, item: Speech) -> None:
        self._items.append(item)
        if isinstance(item, SpeechAudio):
            self._audio += len(item.pcm)
            while self._audio > self._capacity:
                oldest = next(queued for queued in self._items if isinstance(queued, SpeechAudio))
                self._items.remove(oldest)
                self._audio -= len(oldest.pcm)
                self.dropped += len(oldest.pcm)
        self._ready.set()

    async def get(self) -> Speech:
        """The next start or end, or all the audio queued before the next one as one piece."""
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        first = self._items.popleft()
        if not isinstance(first, SpeechAudio):
            return first
        pieces = [first.pcm]
        while self._items:
            following = self._items[0]
            if not isinstance(following, SpeechAudio):
                break
            pieces.append(following.pcm)
            self._items.popleft()
        audio = b"".join(pieces)
        self._audio -= len(audio)
        return SpeechAudio(audio)
