"""The micro-turn clock: a tick every ``tick`` seconds of session time, and the loop's statistics.

A pass at or after a tick's time runs that tick's micro-turn. A pass that comes late (a busy host)
runs one micro-turn for all the ticks it missed, and counts them: the policy never decides twice at
one moment, and the statistics say how late the ticks ran by the clock.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from microturn._session._moments import EPSILON

__all__ = ["LoopStats", "Ticks"]

_LAG_SAMPLES = 4096


@dataclass
class LoopStats:
    passes: int = 0
    ticks: int = 0
    decisions: int = 0
    events: int = 0
    missed_ticks: int = 0
    tick_lags: deque[float] = field(default_factory=lambda: deque(maxlen=_LAG_SAMPLES))


class Ticks:
    """Ticks every ``tick`` seconds from session time 0; ``clock`` is the clock's session time (for lags)."""

    def __init__(self, tick: float, stats: LoopStats, clock: Callable[[], float]) -> None:
        self._tick = tick
        self._stats = stats
        self._clock = clock
        self._next = 1  # the number of the next tick

    @property
    def next_due(self) -> float:
        """Session time of the next tick."""
        return round(self._next * self._tick, 6)

    def due(self, now: float) -> bool:
        """Is a tick due at ``now``? If so it is taken, with any missed before it."""
        due = self.next_due
        if now + EPSILON < due:
            return False
        self._stats.tick_lags.append(self._clock() - due)  # how late the clock says it ran
        following = math.floor(now / self._tick + EPSILON) + 1
        self._stats.missed_ticks += following - self._next - 1
        self._next = following
        return True
