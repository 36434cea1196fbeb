"""The end of the user's turn by rule: fixed waits by how the words end (``shape``), and this speaker's pauses.

After a complete sentence or a question the turn is over (``Waits.complete``); after unfinished words (a
trailing "and", "to the", "um", a comma) it is not, and the wait is longer, adapted to how long this speaker
pauses inside their turns; typed words without Enter wait ``Waits.typed`` (three times that when they look
unfinished). The rules are sure either way: the probability is 1 or 0. No precomputed signal is read.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from microturn._core._language import Shape, shape
from microturn._policies._full_duplex._decisions._interfaces import TurnEndContext, TurnEndEstimate, Waits

__all__ = ["RulesTurnEnd"]


class RulesTurnEnd:
    def __init__(self, waits: Waits) -> None:
        self._waits = waits
        self._max_incomplete = max(waits.max_incomplete, waits.incomplete)

    def estimate(self, text: str, context: TurnEndContext) -> TurnEndEstimate:
        unfinished = shape(text) is Shape.INCOMPLETE
        if context.typed:
            wait = 3 * self._waits.typed if unfinished else self._waits.typed
        else:
            wait = self._incomplete_wait(context.pauses) if unfinished else self._waits.complete
        return TurnEndEstimate(probability=0.0 if unfinished else 1.0, wait=wait)

    def _incomplete_wait(self, pauses: Sequence[float]) -> float:
        """Long enough for this speaker's pauses: they pause longer, we wait longer (within bounds)."""
        if not pauses:
            return self._waits.incomplete
        typical = max(statistics.median(pauses), max(pauses) * 0.8)
        return min(self._max_incomplete, max(self._waits.incomplete, 1.3 * typical))
