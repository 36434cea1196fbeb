"""SVG writing: a laid-out :class:`Picture` becomes two inline SVG elements (lane names, and the roll).

The roll holds a time area (a nested ``<svg class="time">``) in which every x is a percentage
(:mod:`._glyphs`): the page's script zooms by setting two widths. Its ``data-zoom`` tells the script
the scale, the tick steps and the levels of detail; without the script the page shows the base zoom.
Every mark is a ``<g class="mk KIND …">`` whose first child is a ``<title>``: the browser shows it as
a tooltip. All text goes through :func:`html.escape`.
"""

from __future__ import annotations

import html
import json

from microturn._apps._render._glyphs import At, n, shape, zigzag
from microturn._apps._render._items import Label, Point, Tick
from microturn._apps._render._layout import (
    AXIS_HEIGHT,
    FONT,
    MARK_LABEL,
    NOTE_GAP,
    PAD,
    SMALL,
    TICK_LABEL,
    Picture,
    PlacedBand,
    PlacedPoint,
    PlacedSpan,
)
from microturn._apps._render._scale import LABEL_GAP, TICK_STEPS
from microturn._apps._render._zoom import LEVELS, MAX_ZOOM, MIN_ZOOM, PER_OCTAVE, level, level_classes

__all__ = ["LANE_COLUMN", "lanes_svg", "roll_svg", "zoom_settings"]

LANE_COLUMN = 132.0  # px, width of the lane-name column
CHUNK = 30.0  # seconds of marks per group


def zoom_settings(picture: Picture) -> dict[str, object]:
    """What the page's script needs to zoom the roll (read from its ``data-zoom``)."""
    scale = picture.scale
    return {
        "shown": scale.shown,
        "px": scale.px_per_second,
        "margin": scale.margin,
        "ends": [[t, px] for t, px in picture.ends if px > 0],  # labels that may run on past the end
        "steps": [list(step) for step in TICK_STEPS],
        "gap": LABEL_GAP,
        "perOctave": PER_OCTAVE,
        "offset": level(1.0),  # the level of the base zoom: log2(zoom) is counted from it
        "levels": LEVELS,
        "min": MIN_ZOOM,
        "max": MAX_ZOOM,
        "axis": AXIS_HEIGHT,
    }


def roll_svg(picture: Picture) -> str:
    width, height = n(picture.width), n(picture.height)
    scale, at = picture.scale, At(picture.scale)
    settings = _e(json.dumps(zoom_settings(picture), separators=(",", ":")))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="roll {level_classes(1.0)}" width="{width}" '
        f'height="{height}" data-zoom="{settings}">',
        "<defs>"
        '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        '<rect width="6" height="6" class="hatch-bg"/><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/>'
        "</pattern></defs>",
    ]
    out.extend(_lane_backgrounds(picture, "100%"))
    out.append(f'<line class="axis-line" x1="0" y1="{n(AXIS_HEIGHT)}" x2="100%" y2="{n(AXIS_HEIGHT)}"/>')
    out.append(
        f'<svg class="time" x="{n(scale.margin)}" y="0" width="{n(scale.shown * scale.px_per_second)}" '
        f'height="{height}" overflow="visible">'
    )
    out.extend(_axis(picture))
    out.extend(_chunks(picture, at))
    out.append("</svg>")
    out.append("</svg>")
    return "\n".join(out)


def _chunks(picture: Picture, at: At) -> list[str]:
    """The marks in groups of :data:`CHUNK` seconds (by where they start), each saying the time it spans:
    the script hides the groups far from view, so zooming in on an hour lays out only what is near.
    Marks longer than a group (a cue listening to the end) are drawn first, in a group of their own."""
    scale = picture.scale
    groups: dict[int, list[tuple[float, str]]] = {}

    def add(start_px: float, end_px: float, markup: str) -> None:
        start, end = (start_px - scale.margin) / scale.px_per_second, (end_px - scale.margin) / scale.px_per_second
        groups.setdefault(-1 if end - start > CHUNK else int(start // CHUNK), []).append((end, markup))

    for band in picture.bands:
        add(band.x0, band.x1, _band(band, at))
    for span in picture.spans:
        add(span.x0, max(span.x1, span.tail_x or 0.0, *span.tick_xs), _span(span, at))
    for point in picture.points:
        add(point.x, point.x, _point(point, at))
    out: list[str] = []
    for index in sorted(groups):
        marks = groups[index]
        last = max(end for end, _ in marks)
        out.append(f'<g class="chunk" data-from="{max(0.0, index * CHUNK):g}" data-to="{last:.2f}">')
        out.extend(markup for _, markup in marks)
        out.append("</g>")
    return out


def lanes_svg(picture: Picture) -> str:
    width, height = n(LANE_COLUMN), n(picture.height)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lanes" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        _text("axis-name", 8, AXIS_HEIGHT - 12, "time"),
    ]
    out.extend(_lane_backgrounds(picture, width))
    for lane in picture.lanes:
        out.append(_text("lane-name", 8, lane.y0 + 17, _e(lane.name)))
        if len(lane.tracks) > 1:
            out.extend(_text("track-name", LANE_COLUMN - 8, track.y0 + 13, _e(track.name)) for track in lane.tracks)
    out.append("</svg>")
    return "\n".join(out)


def _lane_backgrounds(picture: Picture, width: str) -> list[str]:
    """Alternating stripes, one per lane, the same in the name column and in the roll."""
    return [
        f'<rect class="lane-bg lane-{index % 2}" x="0" y="{n(lane.y0)}" width="{width}" '
        f'height="{n(lane.y1 - lane.y0)}"/>'
        for index, lane in enumerate(picture.lanes)
    ]


def _axis(picture: Picture) -> list[str]:
    """The axis at the base zoom, in px of the time area (the script redraws it at every zoom)."""
    minor: list[str] = []
    major: list[str] = []
    grid: list[str] = []
    labels: list[str] = []
    bottom = picture.height
    pps = picture.scale.px_per_second
    for tick in picture.scale.ticks():
        x = n(tick.t * pps)
        if tick.major:
            major.append(f"M{x} {n(AXIS_HEIGHT - 8)}V{n(AXIS_HEIGHT)}")
            grid.append(f"M{x} {n(AXIS_HEIGHT)}V{n(bottom)}")
            labels.append(_text("axis-label", tick.t * pps, AXIS_HEIGHT - 11, _e(tick.label)))
        else:
            minor.append(f"M{x} {n(AXIS_HEIGHT - 4)}V{n(AXIS_HEIGHT)}")
    return [
        '<g class="axis">',
        f'<path class="grid" d="{"".join(grid)}"/>',
        f'<path class="axis-minor" d="{"".join(minor)}"/>',
        f'<path class="axis-major" d="{"".join(major)}"/>',
        *labels,
        "</g>",
    ]


def _band(placed: PlacedBand, at: At) -> str:
    band = placed.band
    rect = _rect("band", at.x(placed.x0), placed.y0, at.width(placed.x1 - placed.x0), placed.y1 - placed.y0)
    return f'<g class="mk {_e(band.css)}"><title>{_e(band.title)}</title>{rect}</g>'


def _span(placed: PlacedSpan, at: At) -> str:
    span = placed.span
    x0, x1, y, h = placed.x0, placed.x1, placed.y, placed.h
    out = [f'<g class="mk {_e(span.css)}"><title>{_e(span.title)}</title>']
    if span.thin:
        mid = y + h - 5.5
        out.append(_rect("bar", at.x(x0), mid - 1.5, at.width(x1 - x0), 3))
        text_y, size = y + h - 10, " small"
    else:
        mid = y + h / 2
        out.append(_rect("box", at.x(x0), y + 2, at.width(x1 - x0), h - 4, ' rx="2"'))
        text_y, size = mid + FONT * 0.36, ""
    if placed.tail_x is not None:
        out.append(f'<line class="tail" x1="{at.x(x1)}" y1="{n(mid)}" x2="{at.x(placed.tail_x)}" y2="{n(mid)}"/>')
    ticks = zip(span.ticks, placed.tick_xs, placed.tick_lods, strict=True)
    out.extend(_tick(tick, at.x(x), lod, placed, mid) for tick, x, lod in ticks)
    # Labels after the ticks, so a keystroke or an Enter mark never hides a letter.
    for label, lod in ((placed.label, placed.label_lod), (placed.elided, placed.elided_lod)):
        if label:
            out.append(_label(f"lbl{size}", lod, at.x(x0), PAD, text_y, label))
    if span.note:
        note = ((span.note, ""),)
        out.append(_label("after", placed.note_lod, at.x(placed.note_x), NOTE_GAP, mid + SMALL * 0.36, note))
    out.append("</g>")
    return "".join(out)


def _tick(tick: Tick, x: str, lod: str, placed: PlacedSpan, mid: float) -> str:
    if tick.shape == "line":
        bottom = placed.y + placed.h - 2
        glyph = f'<line x1="{x}" y1="{n(bottom - 5)}" x2="{x}" y2="{n(bottom)}"/>'
    else:
        glyph = shape(tick.shape, x, mid)
    label = _label("tick-lbl", lod, x, TICK_LABEL, mid - 4, ((tick.label, ""),)) if tick.label else ""
    return f'<g class="tick {_e(tick.css)}"><title>{_e(tick.title)}</title>{glyph}{label}</g>'


def _point(placed: PlacedPoint, at: At) -> str:
    point: Point = placed.point
    x, mid = at.x(placed.x), placed.y + placed.h / 2
    out = [f'<g class="mk {_e(point.css)}"><title>{_e(point.title)}</title>']
    if point.rule == "cut":
        out.append(zigzag(x, placed.lane_top, placed.lane_bottom))
    elif point.rule == "stop":
        out.append(f'<line class="rule" x1="{x}" y1="{n(placed.lane_top)}" x2="{x}" y2="{n(placed.lane_bottom)}"/>')
    out.append(shape(point.shape, x, mid))
    if point.label:
        out.append(_label("lbl small", placed.label_lod, x, MARK_LABEL, mid + SMALL * 0.36, ((point.label, ""),)))
    out.append("</g>")
    return "".join(out)


def _label(css: str, lod: str, x: str, dx: float, y: float, label: Label | tuple[tuple[str, str], ...]) -> str:
    """A text ``dx`` px after ``x`` (a percentage), its parts styled, shown from its level of detail."""
    parts = "".join(f'<tspan class="{_e(c)}">{_e(text)}</tspan>' if c else _e(text) for text, c in label)
    classes = f"{css} {lod}" if lod else css
    return f'<text class="{classes}" x="{x}" dx="{n(dx)}" y="{n(y)}">{parts}</text>'


def _rect(css: str, x: str, y: float, width: str, height: float, extra: str = "") -> str:
    return f'<rect class="{css}" x="{x}" y="{n(y)}" width="{width}" height="{n(height)}"{extra}/>'


def _text(css: str, x: float, y: float, markup: str) -> str:
    """A text element at px (``markup`` is already escaped)."""
    return f'<text class="{css}" x="{n(x)}" y="{n(y)}">{markup}</text>'


def _e(text: str) -> str:
    return html.escape(text, quote=True)
