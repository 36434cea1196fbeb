"""The reading at which the session starts a reply before the user pauses (``_session/_anticipation.py``'s
``PROBABLY_OVER``), chosen on the TRAIN readings.

The embedded model reads the end of turn after every word the user says, and a reading this sure starts the
speculative reply at once. Where the turn goes on, that reply is decoded for nothing (a core's work, never heard),
so the threshold is the smallest, on a grid of ``STEP``, at which no more of the TRAIN readings where the turn
went on reach it than reached ``BEFORE`` on P(line break) alone, the reading before the head: at a mid-turn
pause, at a story's cut before its end, and at each earlier word of a spoken pause case (``WITHIN``: most
readings are there, mid-sentence, where P(line break) is near 0 and the head, fitted at pauses, is less sure).
Speculation is then wasted no more often than it was, and starts early at as many real ends as that allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from microturn._models._end_of_turn_head import LINE_BREAK

if TYPE_CHECKING:
    from microturn._models._end_of_turn_head_fit import Recorded

__all__ = ["BEFORE", "STEP", "Speculation", "speculation"]

BEFORE = 0.5
"""``PROBABLY_OVER`` on P(line break), before the head."""
STEP = 0.01


@dataclass(frozen=True, slots=True)
class Speculation:
    """The threshold chosen, and on the TRAIN readings how many ends and places the turn went on reach it."""

    threshold: float
    ends: int
    went_on: int
    ends_before: int
    """Those that reached ``BEFORE`` on P(line break)."""
    went_on_before: int
    all_ends: int
    all_went_on: int

    def __str__(self) -> str:
        return (
            f"speculation (PROBABLY_OVER) from {self.threshold:.2f}: reached at {self.ends} of {self.all_ends} TRAIN "
            f"ends and {self.went_on} of {self.all_went_on} places the turn went on (P(line break) >= {BEFORE}: "
            f"{self.ends_before} and {self.went_on_before})"
        )


def speculation(recorded: Recorded, readings: Mapping[str, float]) -> Speculation:
    """The threshold on ``readings`` (by key; the TRAIN ones out of fold) for the TRAIN keys of ``recorded``."""
    import numpy as np

    train = np.array([not case.endswith("-dev") for case in recorded.cases])
    read = np.array([readings[key] for key in recorded.keys])
    line_break = np.exp(recorded.features[:, LINE_BREAK])
    ends, went_on = train & recorded.ends, train & ~recorded.ends
    allowed = int((line_break[went_on] >= BEFORE).sum())
    grid = np.round(np.arange(STEP, 1.0, STEP), 2)
    threshold = float(next(t for t in grid if (read[went_on] >= t).sum() <= allowed))
    return Speculation(
        threshold,
        int((read[ends] >= threshold).sum()),
        int((read[went_on] >= threshold).sum()),
        int((line_break[ends] >= BEFORE).sum()),
        allowed,
        int(ends.sum()),
        int(went_on.sum()),
    )
