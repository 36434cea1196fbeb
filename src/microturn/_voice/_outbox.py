"""What a voice channel sends its client, in order: the agent's audio, transcripts and session events.

Two writers share one bounded box: the agent's voice (``VoiceOutput``, which must never wait) and
the session log, forwarded by the channel (which may: the log keeps every event meanwhile).
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from microturn._core._events import Event
from microturn._voice._output import AgentAudioChunk, AudioOut, FlushAudio
from microturn._voice._stats import VoiceStats

__all__ = ["Outbox", "SessionEvent", "Transcript", "VoiceOut"]


@dataclass(frozen=True, slots=True)
class Transcript:
    """What the user said: the rough text so far (``final`` false) or the final text of a stretch of speech."""

    text: str
    final: bool


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """An event of the session log (the user's and the agent's words, floor facts, jobs, ...)."""

    event: Event


VoiceOut = AgentAudioChunk | FlushAudio | Transcript | SessionEvent


class Outbox:
    """What goes to the client, bounded.

    Agent audio never waits: when the box is full the oldest queued piece of audio is dropped (or
    the new one, if no audio is queued). A flush drops the queued audio of the utterance it stops and
    then always fits. Events wait for room (the session log keeps them meanwhile).
    """

    def __init__(self, capacity: int, stats: VoiceStats) -> None:
        self._capacity = capacity
        self._stats = stats
        self._items: deque[VoiceOut] = deque()
        self._changed = asyncio.Event()
        self._closed = False
        self.high_water = 0

    def put_nowait(self, item: AudioOut) -> None:
        if self._closed:
            return
        if isinstance(item, FlushAudio):
            self._items = deque(
                queued
                for queued in self._items
                if not (isinstance(queued, AgentAudioChunk) and queued.utterance == item.utterance)
            )
        elif len(self._items) >= self._capacity:
            oldest = next((queued for queued in self._items if isinstance(queued, AgentAudioChunk)), None)
            self._stats.audio_dropped += 1
            if oldest is None:
                return
            self._items.remove(oldest)
        self._append(item)

    async def put(self, item: VoiceOut) -> None:
        while len(self._items) >= self._capacity and not self._closed:
            self._changed.clear()
            await self._changed.wait()
        if not self._closed:
            self._append(item)

    def close(self) -> None:
        self._closed = True
        self._changed.set()

    async def get(self) -> VoiceOut | None:
        """The next item; None once closed and empty."""
        while not self._items:
            if self._closed:
                return None
            self._changed.clear()
            await self._changed.wait()
        item = self._items.popleft()
        self._changed.set()
        return item

    def _append(self, item: VoiceOut) -> None:
        self._items.append(item)
        self.high_water = max(self.high_water, len(self._items))
        self._changed.set()
