"""When the user's turn ends if nothing more comes: the one place that asks whether they are done.

A silence ends the turn; how long a silence is the policy's :class:`TurnEnd` to judge (``_decisions``), from
the words so far, whether they were typed, and this speaker's pauses within turns, which this class learns
from their input (the rules: a short wait after a complete sentence, a longer one after a trailing "and",
adapted to those pauses; typed input waits longer unless Enter ends it first).
"""

from __future__ import annotations

from collections import deque

from microturn._core._floor import FloorState
from microturn._policies._full_duplex._decisions import TurnEnd, TurnEndContext

__all__ = ["EndOfTurn"]

SHORTEST_PAUSE = 0.3
"""A silence inside a turn shorter than this is the gap between two words, not a pause to learn from."""


class EndOfTurn:
    def __init__(self, turn_end: TurnEnd) -> None:
        self._turn_end = turn_end
        self._pauses: deque[float] = deque(maxlen=8)  # pauses inside turns: they teach the wait
        # Asked at every input: the two contexts are made once, and read the pauses as they are at the call.
        self._spoken = TurnEndContext(typed=False, pauses=self._pauses)
        self._typed = TurnEndContext(typed=True, pauses=self._pauses)

    def paused(self, gap: float) -> None:
        """The user went on after ``gap`` seconds of silence: that was a pause, not the end of their turn."""
        if gap >= SHORTEST_PAUSE:
            self._pauses.append(gap)

    def deadline(self, state: FloorState, *, typed: bool) -> float:
        """When the user's turn ends if nothing more comes, judging by their words so far."""
        estimate = self._turn_end.estimate(state.user_text, self._typed if typed else self._spoken)
        return state.user_active_until + estimate.wait
