"""The end of the user's turn by rule: fixed waits by how the words end (``shape``), and this speaker's pauses.

After a complete sentence or a question the turn is over (``Waits.complete``); after unfinished words (a
trailing "and", "to the", "um", a comma) it is not, and the wait is longer, adapted to how long this speaker
pauses inside their turns; typed words without Enter wait ``Waits.typed`` (three times that when they look
unfinished). The rules are sure either way: the probability is 1 or 0. No precomputed signal is read. A
backchannel fits a pause after unfinished words.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from microturn._core._language import Shape, shape
from microturn._policies._full_duplex._decisions._interfaces import TurnEndContext, TurnEndEstimate, Waits

__all__ = ["RulesTurnEnd", "incomplete_wait", "typed_wait"]


class RulesTurnEnd:
    def __init__(self, waits: Waits) -> None:
        self._waits = waits

    def estimate(self, text: str, context: TurnEndContext) -> TurnEndEstimate:
        unfinished = shape(text) is Shape.INCOMPLETE
        if context.typed:
            wait = typed_wait(self._waits, unfinished=unfinished)
        else:
            wait = incomplete_wait(self._waits, context.pauses) if unfinished else self._waits.complete
        return TurnEndEstimate(probability=0.0 if unfinished else 1.0, wait=wait, backchannel=unfinished)


def typed_wait(waits: Waits, *, unfinished: bool) -> float:
    """The wait after typed words without Enter: a pause in typing is rarely the end (Enter is), and after
    unfinished words it is three times as long."""
    return 3 * waits.typed if unfinished else waits.typed


def incomplete_wait(waits: Waits, pauses: Sequence[float]) -> float:
    """The wait after words that are not finished, long enough for this speaker's ``pauses``: they pause longer,
    we wait longer (from ``waits.incomplete`` up to ``waits.max_incomplete``)."""
    if not pauses:
        return waits.incomplete
    typical = max(statistics.median(pauses), max(pauses) * 0.8)
    return min(max(waits.max_incomplete, waits.incomplete), max(waits.incomplete, 1.3 * typical))
