"""Layout maths: items in seconds become boxes in pixels, stacked so that no two collide.

Each track packs its items greedily into rows (an item takes the first row where it fits after the
previous one, labels and notes included), so long labels never run over one another; a lane is as
tall as its tracks' rows. Nothing here writes SVG.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from microturn._apps._render._items import Highlight, Item, Label, Lane, Part, Point, Span, Track
from microturn._apps._render._scale import Scale
from microturn._apps._render._text import fit, text_width

__all__ = [
    "AXIS_HEIGHT",
    "FONT",
    "PAD",
    "SMALL",
    "Picture",
    "PlacedBand",
    "PlacedLane",
    "PlacedPoint",
    "PlacedSpan",
    "PlacedTrack",
    "lay_out",
]

FONT = 11.0  # px, labels inside boxes
SMALL = 10.0  # px, labels beside marks, notes
PAD = 2.5  # px, a label's inset in its box
SQUEEZE = 0.72  # a label may be narrowed to this fraction of its width before it is cut short
GAP = 6.0  # px, the least room between two items on one row
MIN_BOX = 2.0  # px, so an instant (a whole line typed at once) still shows
MARK_LABEL = 8.0  # px from a point's centre to its label
LANE_PAD = 4.0  # px above and below a lane's rows
AXIS_HEIGHT = 28.0  # px, the time axis on top


@dataclass(frozen=True)
class PlacedSpan:
    span: Span
    x0: float
    x1: float
    y: float
    h: float
    label: Label
    squeeze_to: float | None
    """Draw the label narrowed to this many px (it is a little too wide for its box)."""
    tick_xs: tuple[float, ...]
    tail_x: float | None
    note_x: float


@dataclass(frozen=True)
class PlacedPoint:
    point: Point
    x: float
    y: float
    h: float
    lane_top: float
    lane_bottom: float


@dataclass(frozen=True)
class PlacedBand:
    band: Highlight
    x0: float
    x1: float
    y0: float
    y1: float


@dataclass(frozen=True)
class PlacedTrack:
    name: str
    y0: float
    y1: float


@dataclass(frozen=True)
class PlacedLane:
    name: str
    y0: float
    y1: float
    tracks: tuple[PlacedTrack, ...]


@dataclass(frozen=True)
class Picture:
    scale: Scale
    width: float
    height: float
    lanes: tuple[PlacedLane, ...]
    spans: tuple[PlacedSpan, ...]
    points: tuple[PlacedPoint, ...]
    bands: tuple[PlacedBand, ...]


def lay_out(lanes: Sequence[Lane], highlights: Sequence[Highlight], scale: Scale) -> Picture:
    y = AXIS_HEIGHT
    width = scale.width  # wider if a label runs on past the end of the session
    placed_lanes: list[PlacedLane] = []
    spans: list[PlacedSpan] = []
    points: list[PlacedPoint] = []
    for lane in lanes:
        top = y
        y += LANE_PAD
        tracks: list[PlacedTrack] = []
        lane_points: list[tuple[Point, float, float, float]] = []
        for track in lane.tracks:
            rows, right = _pack(track, scale)
            width = max(width, right + LANE_PAD)
            row_count = max((row for _, row in rows), default=0) + 1
            for item, row in rows:
                row_y = y + row * track.row_height
                if isinstance(item, Span):
                    spans.append(_place_span(item, scale, row_y, track.row_height))
                else:
                    lane_points.append((item, scale.x(item.t), row_y, track.row_height))
            tracks.append(PlacedTrack(track.name, y, y + row_count * track.row_height))
            y += row_count * track.row_height
        y += LANE_PAD
        points.extend(PlacedPoint(point, x, row_y, h, top, y) for point, x, row_y, h in lane_points)
        placed_lanes.append(PlacedLane(lane.name, top, y, tuple(tracks)))
    bands = tuple(_place_band(band, placed_lanes, scale) for band in highlights)
    return Picture(scale, width, y + LANE_PAD, tuple(placed_lanes), tuple(spans), tuple(points), bands)


def _pack(track: Track, scale: Scale) -> tuple[list[tuple[Item, int]], float]:
    """Greedy interval packing in order of left edge (ties keep the log's order); also the right edge."""
    extents = sorted(((_extent(item, scale), index, item) for index, item in enumerate(track.items)))
    row_ends: list[float] = []
    placed: list[tuple[Item, int]] = []
    for (left, right), _, item in extents:
        # Half a pixel of slack: consecutive words abut exactly, up to float rounding.
        row = next((i for i, end in enumerate(row_ends) if end <= left + 0.5), len(row_ends))
        if row == len(row_ends):
            row_ends.append(right)
        else:
            row_ends[row] = right
        placed.append((item, row))
    return placed, max(row_ends, default=0.0)


def _extent(item: Item, scale: Scale) -> tuple[float, float]:
    """Leftmost and rightmost pixel an item needs, labels and notes included (with room after text)."""
    if isinstance(item, Point):
        x = scale.x(item.t)
        return x - 6, (x + MARK_LABEL + text_width(item.label, SMALL) + GAP if item.label else x + 6)
    x0, x1 = _box(item, scale)
    right = x1
    if not item.fit and item.label:
        size = SMALL if item.thin else FONT  # a thin bar's label sits above it, in the small font
        right = max(right, x0 + PAD + text_width(_text(item.label), size) + GAP)
    for tick in item.ticks:
        tick_x = scale.x(tick.t)
        right = max(right, tick_x + 5 + (text_width(tick.label, SMALL) + GAP if tick.label else 0))
    if item.tail is not None:
        right = max(right, scale.x(item.tail) + 1)
    if item.note:
        right = max(right, _note_x(item, scale) + text_width(item.note, SMALL) + GAP)
    return x0, right


def _box(span: Span, scale: Scale) -> tuple[float, float]:
    x0 = scale.x(span.start)
    return x0, max(scale.x(span.end), x0 + MIN_BOX)


def _note_x(span: Span, scale: Scale) -> float:
    _, x1 = _box(span, scale)
    end = max(x1, scale.x(span.tail)) if span.tail is not None else x1
    return end + 7


def _place_span(span: Span, scale: Scale, y: float, h: float) -> PlacedSpan:
    x0, x1 = _box(span, scale)
    label, squeeze_to = span.label, None
    if span.fit and label:
        label, squeeze_to = _fit_inside(_text(label), x1 - x0 - 2 * PAD)
    tick_xs = tuple(scale.x(tick.t) for tick in span.ticks)
    tail_x = scale.x(span.tail) if span.tail is not None else None
    return PlacedSpan(span, x0, x1, y, h, label, squeeze_to, tick_xs, tail_x, _note_x(span, scale))


def _fit_inside(text: str, room: float) -> tuple[Label, float | None]:
    """A label for a box ``room`` px wide: whole, whole but narrowed, or cut short (and maybe narrowed)."""
    if text_width(text, FONT) <= room:
        return (Part(text),), None
    shown = fit(text, room / SQUEEZE, FONT)
    if not shown:
        return (), None
    return (Part(shown),), min(room, text_width(shown, FONT))


def _place_band(band: Highlight, lanes: Sequence[PlacedLane], scale: Scale) -> PlacedBand:
    covered = [lane for lane in lanes if lane.name in band.lanes] or list(lanes)
    x0 = scale.x(band.start)
    return PlacedBand(
        band,
        x0,
        max(scale.x(band.end), x0 + MIN_BOX),
        min(lane.y0 for lane in covered),
        max(lane.y1 for lane in covered),
    )


def _text(label: Label) -> str:
    return "".join(part.text for part in label)
