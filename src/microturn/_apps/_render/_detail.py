"""How far in a label needs the page zoomed to fit, from its place on its row.

A label stands at a fixed offset in px from a moment (a box's start, a mark, the end of a span) and
must end, with :data:`GAP` to spare, before the next thing on its row begins: something that starts
at a later moment, perhaps reaching a few px to the left of it (a glyph). Offsets and text do not
grow with zoom; the seconds between the two moments do. So the least zoom is one division, and at
the base zoom it agrees with the row packing: a label the packing made room for fits at 1×.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Limit", "zoom_to_fit"]

_SLACK = 0.5  # px, the packing's own slack (consecutive words abut up to float rounding)


@dataclass(frozen=True)
class Limit:
    """Something a label must end before: it starts at ``t`` and reaches ``reach`` px to the left of it."""

    t: float
    reach: float = 0.0


def zoom_to_fit(offset: float, width: float, start: float, limits: Iterable[Limit], px_per_second: float) -> float:
    """The least zoom at which a label ``width`` px wide, ``offset`` px after ``start``, ends before
    every one of ``limits`` (``inf``: at no zoom; 0: at any)."""
    needed = 0.0
    for limit in limits:
        room_px = offset + width + limit.reach - _SLACK
        seconds = limit.t - start
        if room_px <= 0:
            continue
        if seconds <= 0:
            return math.inf
        needed = max(needed, room_px / (seconds * px_per_second))
    return needed
