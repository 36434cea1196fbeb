"""Levels of detail: which labels show at which zoom, as CSS classes (so the browser does the hiding).

The zoom range (:data:`MIN_ZOOM` to :data:`MAX_ZOOM` times the base scale) is cut into
:data:`PER_OCTAVE` levels per doubling. A label that needs at least zoom ``z`` to fit gets the class
``lod-K`` (K: the first level at or above ``z``), a label that must give way to a longer one from
level K gets ``upto-K``. The roll carries ``z1 … zN`` up to the level it is shown at; the rules of
:data:`LOD_CSS` show ``lod-K`` only under ``zK`` and hide ``upto-K`` there. Rounding a need *up* to
its level means a label is never shown where it would not fit. Hidden labels are ``display: none``:
an hour of words costs the browser nothing until it is zoomed in on.
"""

from __future__ import annotations

import math

__all__ = ["LEVELS", "LOD_CSS", "MAX_ZOOM", "MIN_ZOOM", "PER_OCTAVE", "level", "level_classes", "need_class"]

PER_OCTAVE = 4
MIN_ZOOM = 2.0**-10  # an hour at 100 px/s fits 350 px
MAX_ZOOM = 16.0  # 1,600 px per second: 10 ms is 16 px
LEVELS = round(PER_OCTAVE * math.log2(MAX_ZOOM / MIN_ZOOM))
_OFFSET = round(-PER_OCTAVE * math.log2(MIN_ZOOM))  # level 0 is MIN_ZOOM


def level(zoom: float) -> int:
    """The level a page shown at ``zoom`` is at (the same sum the script does)."""
    return max(0, min(LEVELS, math.floor(PER_OCTAVE * math.log2(zoom) + 1e-9) + _OFFSET))


def need(zoom: float) -> int:
    """The first level at which something that needs ``zoom`` fits; above :data:`LEVELS`: never."""
    if zoom <= MIN_ZOOM:
        return 0
    if math.isinf(zoom):
        return LEVELS + 1
    return min(LEVELS + 1, math.ceil(PER_OCTAVE * math.log2(zoom) - 1e-9) + _OFFSET)


def need_class(shown_from: float, hidden_from: float = math.inf) -> str:
    """The classes of a label that fits from zoom ``shown_from`` and gives way from ``hidden_from``."""
    first, last = need(shown_from), need(hidden_from)
    classes = [f"lod-{first}"] if first > 0 else []
    if last <= LEVELS:
        classes.append(f"upto-{last}")
    return " ".join(classes)


def level_classes(zoom: float) -> str:
    """The roll's classes at ``zoom``: ``z1 … zN``."""
    return " ".join(f"z{k}" for k in range(1, level(zoom) + 1))


def _rules() -> str:
    shown = [f".lod-{k} {{ display: none; }} .z{k} .lod-{k} {{ display: inline; }}" for k in range(1, LEVELS + 2)]
    # After every "shown" rule: a label both shown and given way (same specificity) ends hidden.
    hidden = [f".z{k} .upto-{k} {{ display: none; }}" for k in range(1, LEVELS + 1)]
    return "\n".join([*shown, *hidden])


LOD_CSS = _rules()
