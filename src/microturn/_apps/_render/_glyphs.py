"""Glyphs and positions in the zoomable roll: x as a percentage of the session, sizes in px.

Inside the roll's time area an x is a percentage of its width, so the page zooms by changing one
width and every mark moves with it, while glyphs and text keep their size. A shape that needs a path
is drawn around 0 in a nested ``<svg>`` placed at the percentage (a path cannot take percentages).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from microturn._apps._render._items import Shape
from microturn._apps._render._scale import Scale

__all__ = ["At", "n", "placed", "shape", "zigzag"]


@dataclass(frozen=True)
class At:
    """Pixel positions at the base zoom (as the layout gives them) written as percentages of the time area."""

    scale: Scale

    @property
    def _places(self) -> int:
        # A hundredth of a base pixel at any size: an hour (360,000 px) needs six places.
        return max(2, math.ceil(math.log10(max(1.0, self.scale.shown * self.scale.px_per_second))))

    def x(self, px: float) -> str:
        return self._percent((px - self.scale.margin) / (self.scale.shown * self.scale.px_per_second))

    def width(self, px: float) -> str:
        return self._percent(px / (self.scale.shown * self.scale.px_per_second))

    def _percent(self, fraction: float) -> str:
        text = f"{fraction * 100:.{self._places}f}".rstrip("0").removesuffix(".")
        return ("0" if text in ("", "-0") else text) + "%"


def shape(kind: Shape, x: str, y: float, css: str = "glyph") -> str:
    """A glyph of about 8 px centred on (``x``, ``y``), as geometry: no font needed."""
    if kind == "dot":
        return f'<circle class="{css}" cx="{x}" cy="{n(y)}" r="3.5"/>'
    if kind == "ring":
        return f'<circle class="{css} ring" cx="{x}" cy="{n(y)}" r="3.5"/>'
    if kind == "square":
        return f'<rect class="{css}" x="{x}" y="{n(y - 3.5)}" width="7" height="7" transform="translate(-3.5 0)"/>'
    if kind == "bar":
        return f'<rect class="{css}" x="{x}" y="{n(y - 7)}" width="3" height="14" transform="translate(-1.5 0)"/>'
    if kind == "line":
        return f'<line class="{css} stroke" x1="{x}" y1="{n(y - 5)}" x2="{x}" y2="{n(y + 5)}"/>'
    paths = {
        "diamond": ("", f"M0 {n(y - 4.5)}l4.5 4.5-4.5 4.5-4.5-4.5z"),
        "cross": (" stroke", f"M-3.5 {n(y - 3.5)}l7 7m0-7l-7 7"),
        "enter": (" stroke", f"M3 {n(y - 5)}v5h-6m2.5-2.5l-2.5 2.5 2.5 2.5"),
        "erase": ("", f"M-5 {n(y)}l3-4h6v8h-6z"),
    }
    extra, path = paths[kind]
    return placed(x, f'<path class="{css}{extra}" d="{path}"/>')


def placed(x: str, markup: str) -> str:
    """``markup`` drawn around x = 0, moved to ``x``."""
    return f'<svg x="{x}" overflow="visible">{markup}</svg>'


def zigzag(x: str, top: float, bottom: float) -> str:
    """A torn edge from ``top`` to ``bottom`` at ``x``: the mark of a cut-off."""
    steps = max(1, int((bottom - top) / 5))
    step = (bottom - top) / steps
    points = [f"M0 {n(top)}"]
    points.extend(f"L{3 if i % 2 else -3} {n(top + i * step)}" for i in range(1, steps))
    points.append(f"L0 {n(bottom)}")
    return placed(x, f'<path class="rule" d="{"".join(points)}"/>')


def n(value: float) -> str:
    """A coordinate in px with one decimal, without a trailing ``.0`` (compact and byte-stable)."""
    text = f"{value:.1f}"
    text = text.removesuffix(".0")
    return "0" if text == "-0" else text
