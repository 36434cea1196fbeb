"""When the user's turn ends if nothing more comes: the one place that judges whether they are done.

A silence ends the turn; how long a silence depends on how the words end (``shape``):
``complete_silence`` after a complete sentence or a question; after unfinished words (a trailing
"and", "to the", "um", a comma) a longer wait, adapted to this speaker's pauses within turns; typed
input waits ``typed_silence`` (three times that when it looks unfinished) unless Enter ends it first.
Everything that decides how likely the turn is over is in this class, so another judge can replace it.
"""

from __future__ import annotations

import statistics
from collections import deque

from microturn._core._floor import FloorState
from microturn._core._language import Shape, shape

__all__ = ["EndOfTurn"]

SHORTEST_PAUSE = 0.3
"""A silence inside a turn shorter than this is the gap between two words, not a pause to learn from."""


class EndOfTurn:
    def __init__(
        self,
        *,
        complete_silence: float,
        incomplete_silence: float,
        max_incomplete_silence: float,
        typed_silence: float,
    ) -> None:
        self._complete = complete_silence
        self._incomplete = incomplete_silence
        self._max_incomplete = max(max_incomplete_silence, incomplete_silence)
        self._typed = typed_silence
        self._pauses: deque[float] = deque(maxlen=8)  # pauses inside turns: they teach the wait

    def paused(self, gap: float) -> None:
        """The user went on after ``gap`` seconds of silence: that was a pause, not the end of their turn."""
        if gap >= SHORTEST_PAUSE:
            self._pauses.append(gap)

    def deadline(self, state: FloorState, *, typed: bool) -> float:
        """When the user's turn ends if nothing more comes, judging by how their words end."""
        end = state.user_active_until
        unfinished = shape(state.user_text) is Shape.INCOMPLETE
        if typed:
            return end + (3 * self._typed if unfinished else self._typed)
        return end + (self._incomplete_wait() if unfinished else self._complete)

    def _incomplete_wait(self) -> float:
        """Long enough for this speaker's pauses: they pause longer, we wait longer (within bounds)."""
        if not self._pauses:
            return self._incomplete
        typical = max(statistics.median(self._pauses), max(self._pauses) * 0.8)
        return min(self._max_incomplete, max(self._incomplete, 1.3 * typical))
