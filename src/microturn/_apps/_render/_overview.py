"""The overview strip: the whole session in the page's width, one row per lane, with the part in view.

Each row is its lane's boxes (words, typed runs, utterances, jobs, overlaps) merged where they lie
closer than a pixel or so of the strip could show apart: an hour of talk is a few hundred rectangles.
It is drawn in seconds (a ``viewBox`` stretched to the strip's width: nothing in it is text), and the
page's script lays the window of the part in view over it.
"""

from __future__ import annotations

from collections.abc import Sequence

from microturn._apps._render._glyphs import n
from microturn._apps._render._items import Lane, Span
from microturn._apps._render._scale import Scale

__all__ = ["OVERVIEW_LANES", "overview"]

OVERVIEW_LANES = ("user", "agent", "background")
_ROW = 7.0  # units of height per row (the strip is stretched to its CSS height)
_RESOLUTION = 1500  # the strip tells apart about this many moments across its width


def overview(lanes: Sequence[Lane], scale: Scale) -> str:
    """The strip as HTML: the map, and a (hidden until the script runs) window over it."""
    shown = scale.shown
    rows = [lane for lane in lanes if lane.name in OVERVIEW_LANES]
    height = _ROW * len(rows)
    out = [
        '<div class="overview" title="the whole session: click or drag to move the view">',
        f'<svg class="map" viewBox="0 0 {_t(shown)} {n(height)}" preserveAspectRatio="none" aria-hidden="true">',
    ]
    for index, lane in enumerate(rows):
        y = index * _ROW + 1
        spans = [item for track in lane.tracks for item in track.items if isinstance(item, Span) and not item.thin]
        runs = _merged(spans, shown / _RESOLUTION)
        out.append(f'<g class="row {lane.name}">')
        out.extend(f'<rect x="{_t(a)}" y="{n(y)}" width="{_t(b - a)}" height="{n(_ROW - 2)}"/>' for a, b in runs)
        out.append("</g>")
    out.append("</svg>")
    out.append('<div class="view" hidden></div>')
    out.append("</div>")
    return "\n".join(out)


def _merged(spans: Sequence[Span], join: float) -> list[tuple[float, float]]:
    """The spans' extents, those less than ``join`` apart made one (each at least ``join`` wide)."""
    runs: list[tuple[float, float]] = []
    for start, end in sorted((span.start, max(span.end, span.start + join)) for span in spans):
        if runs and start - runs[-1][1] < join:
            runs[-1] = (runs[-1][0], max(runs[-1][1], end))
        else:
            runs.append((start, end))
    return runs


def _t(seconds: float) -> str:
    """A time in the strip's units (seconds), to the hundredth."""
    text = f"{seconds:.2f}".rstrip("0").removesuffix(".")
    return text or "0"
