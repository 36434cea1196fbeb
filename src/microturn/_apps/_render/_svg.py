"""SVG writing: a laid-out :class:`Picture` becomes two inline SVG elements (lane names, and the roll).

Every mark is a ``<g class="mk KIND …">`` whose first child is a ``<title>``: the browser shows it as
a tooltip, with no script. All text goes through :func:`html.escape`.
"""

from __future__ import annotations

import html

from microturn._apps._render._items import Point, Shape, Tick
from microturn._apps._render._layout import (
    AXIS_HEIGHT,
    FONT,
    MARK_LABEL,
    MIN_BOX,
    PAD,
    SMALL,
    Picture,
    PlacedBand,
    PlacedPoint,
    PlacedSpan,
)

__all__ = ["LANE_COLUMN", "lanes_svg", "roll_svg"]

LANE_COLUMN = 132.0  # px, width of the lane-name column


def roll_svg(picture: Picture) -> str:
    width, height = _n(picture.width), _n(picture.height)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="roll" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        "<defs>"
        '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        '<rect width="6" height="6" class="hatch-bg"/><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/>'
        "</pattern></defs>",
    ]
    out.extend(_lane_backgrounds(picture, picture.width))
    out.extend(_axis(picture))
    out.extend(_band(band) for band in picture.bands)
    out.extend(_span(span) for span in picture.spans)
    out.extend(_point(point) for point in picture.points)
    out.append("</svg>")
    return "\n".join(out)


def lanes_svg(picture: Picture) -> str:
    width, height = _n(LANE_COLUMN), _n(picture.height)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lanes" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        _text("axis-name", 8, AXIS_HEIGHT - 12, "time"),
    ]
    out.extend(_lane_backgrounds(picture, LANE_COLUMN))
    for lane in picture.lanes:
        out.append(_text("lane-name", 8, lane.y0 + 17, _e(lane.name)))
        if len(lane.tracks) > 1:
            out.extend(_text("track-name", LANE_COLUMN - 8, track.y0 + 13, _e(track.name)) for track in lane.tracks)
    out.append("</svg>")
    return "\n".join(out)


def _lane_backgrounds(picture: Picture, width: float) -> list[str]:
    """Alternating stripes, one per lane, the same in the name column and in the roll."""
    return [
        _rect(f"lane-bg lane-{index % 2}", 0, lane.y0, width, lane.y1 - lane.y0)
        for index, lane in enumerate(picture.lanes)
    ]


def _axis(picture: Picture) -> list[str]:
    minor: list[str] = []
    major: list[str] = []
    grid: list[str] = []
    labels: list[str] = []
    bottom = picture.height
    for tick in picture.scale.ticks():
        x = _n(picture.scale.x(tick.t))
        if tick.major:
            major.append(f"M{x} {_n(AXIS_HEIGHT - 8)}V{_n(AXIS_HEIGHT)}")
            grid.append(f"M{x} {_n(AXIS_HEIGHT)}V{_n(bottom)}")
            labels.append(_text("axis-label", picture.scale.x(tick.t), AXIS_HEIGHT - 11, _e(tick.label)))
        else:
            minor.append(f"M{x} {_n(AXIS_HEIGHT - 4)}V{_n(AXIS_HEIGHT)}")
    return [
        f'<path class="grid" d="{"".join(grid)}"/>',
        f'<path class="axis-minor" d="{"".join(minor)}"/>',
        f'<path class="axis-major" d="{"".join(major)}"/>',
        _line("axis-line", 0, AXIS_HEIGHT, picture.width, AXIS_HEIGHT),
        *labels,
    ]


def _band(placed: PlacedBand) -> str:
    band = placed.band
    rect = _rect("band", placed.x0, placed.y0, placed.x1 - placed.x0, placed.y1 - placed.y0)
    return f'<g class="mk {_e(band.css)}"><title>{_e(band.title)}</title>{rect}</g>'


def _span(placed: PlacedSpan) -> str:
    span = placed.span
    x0, x1, y, h = placed.x0, placed.x1, placed.y, placed.h
    out = [f'<g class="mk {_e(span.css)}"><title>{_e(span.title)}</title>']
    if span.thin:
        mid = y + h - 5.5
        out.append(_rect("bar", x0, mid - 1.5, x1 - x0, 3))
        text_y, size = y + h - 10, " small"
    else:
        mid = y + h / 2
        # One pixel short, so boxes that abut (consecutive words) stay apart.
        out.append(_rect("box", x0, y + 2, max(x1 - x0 - 1, MIN_BOX), h - 4, ' rx="2"'))
        text_y, size = mid + FONT * 0.36, ""
    if placed.tail_x is not None:
        out.append(_line("tail", x1, mid, placed.tail_x, mid))
    out.extend(_tick(tick, x, placed, mid) for tick, x in zip(span.ticks, placed.tick_xs, strict=True))
    if placed.label:  # after the ticks, so a keystroke or an Enter mark never hides a letter
        parts = "".join(
            f'<tspan class="{_e(part.css)}">{_e(part.text)}</tspan>' if part.css else _e(part.text)
            for part in placed.label
        )
        squeeze = ""
        if placed.squeeze_to is not None:
            squeeze = f' textLength="{_n(placed.squeeze_to)}" lengthAdjust="spacingAndGlyphs"'
        out.append(f'<text class="lbl{size}" x="{_n(x0 + PAD)}" y="{_n(text_y)}"{squeeze}>{parts}</text>')
    if span.note:
        out.append(_text("after", placed.note_x, mid + SMALL * 0.36, _e(span.note)))
    out.append("</g>")
    return "".join(out)


def _tick(tick: Tick, x: float, placed: PlacedSpan, mid: float) -> str:
    if tick.shape == "line":
        bottom = placed.y + placed.h - 2
        glyph = f'<line x1="{_n(x)}" y1="{_n(bottom - 5)}" x2="{_n(x)}" y2="{_n(bottom)}"/>'
    else:
        glyph = _shape(tick.shape, x, mid)
    label = ""
    if tick.label:
        label = f'<text class="tick-lbl" x="{_n(x + 5)}" y="{_n(mid - 4)}">{_e(tick.label)}</text>'
    return f'<g class="tick {_e(tick.css)}"><title>{_e(tick.title)}</title>{glyph}{label}</g>'


def _point(placed: PlacedPoint) -> str:
    point: Point = placed.point
    x, mid = placed.x, placed.y + placed.h / 2
    out = [f'<g class="mk {_e(point.css)}"><title>{_e(point.title)}</title>']
    if point.rule == "cut":
        out.append(f'<path class="rule" d="{_zigzag(x, placed.lane_top, placed.lane_bottom)}"/>')
    elif point.rule == "stop":
        out.append(_line("rule", x, placed.lane_top, x, placed.lane_bottom))
    out.append(_shape(point.shape, x, mid))
    if point.label:
        out.append(_text("lbl small", x + MARK_LABEL, mid + SMALL * 0.36, _e(point.label)))
    out.append("</g>")
    return "".join(out)


def _shape(shape: Shape, x: float, y: float) -> str:
    """A glyph of about 8 px centred on (x, y), as geometry: no font needed."""
    if shape == "dot":
        return f'<circle class="glyph" cx="{_n(x)}" cy="{_n(y)}" r="3.5"/>'
    if shape == "ring":
        return f'<circle class="glyph ring" cx="{_n(x)}" cy="{_n(y)}" r="3.5"/>'
    if shape == "diamond":
        return f'<path class="glyph" d="M{_n(x)} {_n(y - 4.5)}l4.5 4.5-4.5 4.5-4.5-4.5z"/>'
    if shape == "square":
        return f'<rect class="glyph" x="{_n(x - 3.5)}" y="{_n(y - 3.5)}" width="7" height="7"/>'
    if shape == "cross":
        return f'<path class="glyph stroke" d="M{_n(x - 3.5)} {_n(y - 3.5)}l7 7m0-7l-7 7"/>'
    if shape == "enter":
        return f'<path class="glyph stroke" d="M{_n(x + 3)} {_n(y - 5)}v5h-6m2.5-2.5l-2.5 2.5 2.5 2.5"/>'
    if shape == "erase":
        return f'<path class="glyph" d="M{_n(x - 5)} {_n(y)}l3-4h6v8h-6z"/>'
    if shape == "bar":
        return f'<rect class="glyph" x="{_n(x - 1.5)}" y="{_n(y - 7)}" width="3" height="14"/>'
    return f'<line class="glyph stroke" x1="{_n(x)}" y1="{_n(y - 5)}" x2="{_n(x)}" y2="{_n(y + 5)}"/>'


def _zigzag(x: float, top: float, bottom: float) -> str:
    """A torn edge from ``top`` to ``bottom`` at ``x``: the mark of a cut-off."""
    steps = max(1, int((bottom - top) / 5))
    step = (bottom - top) / steps
    points = [f"M{_n(x)} {_n(top)}"]
    points.extend(f"L{_n(x + (3 if i % 2 else -3))} {_n(top + i * step)}" for i in range(1, steps))
    points.append(f"L{_n(x)} {_n(bottom)}")
    return "".join(points)


def _line(css: str, x1: float, y1: float, x2: float, y2: float) -> str:
    return f'<line class="{css}" x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}"/>'


def _rect(css: str, x: float, y: float, width: float, height: float, extra: str = "") -> str:
    return f'<rect class="{css}" x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(height)}"{extra}/>'


def _text(css: str, x: float, y: float, markup: str) -> str:
    """A text element; ``markup`` is already escaped."""
    return f'<text class="{css}" x="{_n(x)}" y="{_n(y)}">{markup}</text>'


def _n(value: float) -> str:
    """A coordinate with one decimal, without a trailing ``.0`` (compact and byte-stable)."""
    text = f"{value:.1f}"
    text = text.removesuffix(".0")
    return "0" if text == "-0" else text


def _e(text: str) -> str:
    return html.escape(text, quote=True)
