"""The accurate recogniser's work: each stretch's final text, in order, and an early run at a pause.

Whisper costs ~0.25 s a stretch here, and the reply waits for its text. So when the voice activity
detector hears a short pause in a stretch (``SpeechPause``), Whisper starts on the stretch so far —
an *early run* — in case the user has finished. If the stretch then ends with no more speech, the
early text is its final text and there is no second run; if the speech goes on (``SpeechResumed``)
the early run is discarded (one already running is let finish: a native call cannot be interrupted)
and the next pause starts another.

One engine, one call at a time, so the work is ordered: a stretch that has ended always goes before
an early run (it is certain, the early run a guess), and an early run waiting for its turn is
replaced by a later one. A discarded run wastes at most one Whisper call of CPU; ``VoiceStats``
counts them.
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from dataclasses import dataclass

from microturn._voice._listening import SpeechEnd
from microturn._voice._stats import VoiceStats
from microturn._voice._turn_signals import Slot

__all__ = ["EarlyRun", "Finals", "Stretch"]


class _Run(enum.Enum):
    WANTED = "wanted"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(eq=False, slots=True)
class EarlyRun:
    """Whisper on a stretch so far, taken at a pause in it."""

    pcm: bytes
    duration: float
    """Seconds of speech in it (the segmenter's count at the pause): the stretch's own if it ends with no more."""
    text: str | None = None
    state: _Run = _Run.WANTED

    def finished(self, text: str) -> None:
        self.text, self.state = text, _Run.DONE

    def failed(self) -> None:
        self.state = _Run.FAILED


@dataclass(slots=True)
class Stretch:
    """A stretch of speech that has ended, waiting for its final text."""

    pcm: bytes | None
    """Its audio; None once given up (too many waiting): the rough text stands in, unless the early text came."""
    rough: str
    early: EarlyRun | None
    turn_end: Slot | None = None
    """Its audio end-of-turn signal, if there is a model for it: it goes out after the final text."""

    def early_text(self) -> str | None:
        """The final text if an early run covering the whole stretch has it."""
        if self.early is None or self.early.state is not _Run.DONE:
            return None
        return self.early.text


class Finals:
    """Stretches waiting for the accurate recogniser, in order, and the early run of the one being heard.

    At most ``keep`` waiting stretches keep their audio: past that, the oldest gives it up and is
    finalised with its early or rough text, so a slow recogniser costs accuracy, never memory or order.
    """

    def __init__(self, stats: VoiceStats, keep: int = 3) -> None:
        self._stats = stats
        self._keep = keep
        self._items: deque[Stretch] = deque()
        self._early: EarlyRun | None = None  # of the stretch being heard
        self._ready = asyncio.Event()

    # --- from listening ------------------------------------------------------------------------------

    def paused(self, pcm: bytes, duration: float) -> None:
        """The stretch being heard paused after ``duration`` s of speech; ``pcm`` is all of it so far."""
        self._discard()
        self._early = EarlyRun(pcm, duration)
        self._ready.set()

    def resumed(self) -> None:
        """The speech went on: the early run (if any) no longer covers the stretch."""
        self._discard()

    def ended(self, end: SpeechEnd) -> EarlyRun | None:
        """The stretch being heard ended: its early run, if it covers all of it."""
        early = self._early
        if early is not None and early.duration == end.duration:
            self._early = None
            return early
        self._discard()
        return None

    def put(self, stretch: Stretch) -> None:
        """An ended stretch (after its end went to the session), to finalise after those before it."""
        self._items.append(stretch)
        with_audio = [item for item in self._items if item.pcm is not None]
        for item in with_audio[: max(0, len(with_audio) - self._keep)]:
            item.pcm = None
        self._ready.set()

    # --- for the recogniser's worker -----------------------------------------------------------------

    async def next(self) -> Stretch | EarlyRun:
        """The next stretch to finalise or, when none waits, an early run to make (marked running)."""
        while True:
            if self._items:
                return self._items.popleft()
            early = self._early
            if early is not None and early.state is _Run.WANTED:
                early.state = _Run.RUNNING
                self._stats.early_runs += 1
                return early
            self._ready.clear()
            await self._ready.wait()

    def _discard(self) -> None:
        early, self._early = self._early, None
        if early is None:
            return
        if early.state is not _Run.WANTED:
            self._stats.early_wasted += 1
