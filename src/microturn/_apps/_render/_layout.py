"""Layout maths: items in seconds become boxes in pixels (at the base zoom), stacked so that no two collide.

Each track packs its items greedily into rows (an item takes the first row where it fits after the
previous one, labels and notes included), so long labels never run over one another at the base zoom;
a lane is as tall as its tracks' rows. Zoomed out, a label would run into the next item on its row:
each label gets the level of detail it needs (:mod:`._detail`, :mod:`._zoom`), and a word too long
for its box gets an elided twin for the zooms in between. Nothing here writes SVG.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from microturn._apps._render._detail import Limit, zoom_to_fit
from microturn._apps._render._items import Highlight, Item, Label, Lane, Part, Point, Span, Tick, Track, plain
from microturn._apps._render._scale import Scale
from microturn._apps._render._text import fit, text_width
from microturn._apps._render._zoom import need_class

__all__ = [
    "AXIS_HEIGHT",
    "FONT",
    "MARK_LABEL",
    "NOTE_GAP",
    "PAD",
    "SMALL",
    "TICK_LABEL",
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
GAP = 6.0  # px, the least room between two items on one row
MIN_BOX = 2.0  # px, so an instant (a whole line typed at once) still shows
MARK_LABEL = 8.0  # px from a point's centre to its label
TICK_LABEL = 5.0  # px from a tick to its label
NOTE_GAP = 7.0  # px from the end of a span to its note
GLYPH = 6.0  # px a glyph reaches either side of its moment
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
    label_lod: str
    """The label's level-of-detail classes ("" when it shows at every zoom)."""
    elided: Label
    """A shorter label for the zooms at which the whole one does not fit its box (or empty)."""
    elided_lod: str
    tick_xs: tuple[float, ...]
    tick_lods: tuple[str, ...]
    tail_x: float | None
    note_x: float
    """Where the note starts, before its :data:`NOTE_GAP`: the end of the box or of the tail."""
    note_lod: str


@dataclass(frozen=True)
class PlacedPoint:
    point: Point
    x: float
    y: float
    h: float
    lane_top: float
    lane_bottom: float
    label_lod: str


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
    ends: tuple[tuple[float, float], ...]
    """The last item of every row: where its texts are anchored (s) and how far past that they reach (px).
    Zoomed out, such a label may run on past the end of the session: the page makes room for it."""


def lay_out(lanes: Sequence[Lane], highlights: Sequence[Highlight], scale: Scale) -> Picture:
    y = AXIS_HEIGHT
    width = scale.width  # wider if a label runs on past the end of the session
    placed_lanes: list[PlacedLane] = []
    spans: list[PlacedSpan] = []
    points: list[PlacedPoint] = []
    ends: set[tuple[float, float]] = set()
    for lane in lanes:
        top = y
        y += LANE_PAD
        tracks: list[PlacedTrack] = []
        lane_points: list[tuple[Point, float, float, float, str]] = []
        for track in lane.tracks:
            rows, right = _pack(track, scale)
            width = max(width, right + LANE_PAD)
            row_count = max((row for _, row in rows), default=0) + 1
            following = _next_on_row(rows)
            for (item, _), after in zip(rows, following, strict=True):
                if not after:
                    ends.update(_reach(item, scale))
            for (item, row), after in zip(rows, following, strict=True):
                row_y = y + row * track.row_height
                if isinstance(item, Span):
                    spans.append(_place_span(item, scale, row_y, track.row_height, after))
                else:
                    lod = _point_lod(item, scale, after)
                    lane_points.append((item, scale.x(item.t), row_y, track.row_height, lod))
            tracks.append(PlacedTrack(track.name, y, y + row_count * track.row_height))
            y += row_count * track.row_height
        y += LANE_PAD
        points.extend(PlacedPoint(point, x, row_y, h, top, y, lod) for point, x, row_y, h, lod in lane_points)
        placed_lanes.append(PlacedLane(lane.name, top, y, tuple(tracks)))
    bands = tuple(_place_band(band, placed_lanes, scale) for band in highlights)
    lanes_placed = tuple(placed_lanes)
    return Picture(scale, width, y + LANE_PAD, lanes_placed, tuple(spans), tuple(points), bands, tuple(sorted(ends)))


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


def _next_on_row(rows: Sequence[tuple[Item, int]]) -> list[tuple[Limit, ...]]:
    """For each packed item, what its labels must end before: the next item on its row (if any)."""
    following: list[tuple[Limit, ...]] = [()] * len(rows)
    last_on_row: dict[int, int] = {}
    for index, (item, row) in enumerate(rows):  # in order of left edge
        if row in last_on_row:
            start = item.t if isinstance(item, Point) else item.start
            following[last_on_row[row]] = (Limit(start, GLYPH if isinstance(item, Point) else 0.0),)
        last_on_row[row] = index
    return following


def _reach(item: Item, scale: Scale) -> list[tuple[float, float]]:
    """Where an item's text is anchored and how far past its anchor it reaches (px, at any zoom)."""
    if isinstance(item, Point):
        return [(item.t, round(_extent(item, scale)[1] - scale.x(item.t), 1))]
    reach = [(max(item.end, item.tail or 0.0), 1.0)]
    if not item.fit and item.label:
        reach.append((item.start, round(PAD + text_width(_text(item.label), _size(item)) + GAP, 1)))
    reach.extend((tick.t, round(TICK_LABEL + text_width(tick.label, SMALL) + GAP, 1)) for tick in item.ticks)
    if item.note:
        reach.append((reach[0][0], round(NOTE_GAP + text_width(item.note, SMALL) + GAP, 1)))
    return reach


def _extent(item: Item, scale: Scale) -> tuple[float, float]:
    """Leftmost and rightmost pixel an item needs, labels and notes included (with room after text)."""
    if isinstance(item, Point):
        x = scale.x(item.t)
        return x - GLYPH, (x + MARK_LABEL + text_width(item.label, SMALL) + GAP if item.label else x + GLYPH)
    x0, x1 = _box(item, scale)
    right = x1
    if not item.fit and item.label:
        right = max(right, x0 + PAD + text_width(_text(item.label), _size(item)) + GAP)
    for tick in item.ticks:
        tick_x = scale.x(tick.t)
        right = max(right, tick_x + TICK_LABEL + (text_width(tick.label, SMALL) + GAP if tick.label else 0))
    if item.tail is not None:
        right = max(right, scale.x(item.tail) + 1)
    if item.note:
        right = max(right, _note_x(item, scale) + NOTE_GAP + text_width(item.note, SMALL) + GAP)
    return x0, right


def _size(span: Span) -> float:
    return SMALL if span.thin else FONT  # a thin bar's label sits above it, in the small font


def _box(span: Span, scale: Scale) -> tuple[float, float]:
    x0 = scale.x(span.start)
    return x0, max(scale.x(span.end), x0 + MIN_BOX)


def _note_x(span: Span, scale: Scale) -> float:
    _, x1 = _box(span, scale)
    return max(x1, scale.x(span.tail)) if span.tail is not None else x1


def _place_span(span: Span, scale: Scale, y: float, h: float, after: tuple[Limit, ...]) -> PlacedSpan:
    x0, x1 = _box(span, scale)
    pps = scale.px_per_second
    note_t = max(span.end, span.tail) if span.tail is not None else span.end
    labelled = tuple(tick for tick in span.ticks if tick.label)
    label, lod, elided, elided_lod = span.label, "", plain(""), ""
    if span.fit and label:
        label, lod, elided, elided_lod = _fit_inside(_text(label), span.end - span.start, pps)
    elif label:
        limits = [*after, *(Limit(tick.t, GLYPH) for tick in labelled)]
        if span.note:
            limits.append(Limit(note_t, -NOTE_GAP))
        width = text_width(_text(label), _size(span))
        lod = need_class(zoom_to_fit(PAD + GAP, width, span.start, limits, pps))
    tick_lods = tuple(_tick_lod(tick, span, note_t, after, pps) for tick in span.ticks)
    note_lod = need_class(zoom_to_fit(NOTE_GAP + GAP, text_width(span.note, SMALL), note_t, after, pps))
    tick_xs = tuple(scale.x(tick.t) for tick in span.ticks)
    tail_x = scale.x(span.tail) if span.tail is not None else None
    note_x = _note_x(span, scale)
    return PlacedSpan(span, x0, x1, y, h, label, lod, elided, elided_lod, tick_xs, tick_lods, tail_x, note_x, note_lod)


def _tick_lod(tick: Tick, span: Span, note_t: float, after: tuple[Limit, ...], pps: float) -> str:
    """A tick's label must end before the next labelled tick, the span's note and the next item."""
    if not tick.label:
        return ""
    limits = [*after, *(Limit(other.t, GLYPH) for other in span.ticks if other.label and other.t > tick.t)]
    if span.note:
        limits.append(Limit(note_t, -NOTE_GAP))
    return need_class(zoom_to_fit(TICK_LABEL + GAP, text_width(tick.label, SMALL), tick.t, limits, pps))


def _point_lod(point: Point, scale: Scale, after: tuple[Limit, ...]) -> str:
    if not point.label:
        return ""
    width = text_width(point.label, SMALL)
    return need_class(zoom_to_fit(MARK_LABEL + GAP, width, point.t, after, scale.px_per_second))


def _fit_inside(text: str, seconds: float, pps: float) -> tuple[Label, str, Label, str]:
    """A word's label in its box: whole from the zoom where it fits; before that, cut short to fit the
    box at the base zoom (from the zoom where that fits), or nothing."""
    whole = zoom_to_fit(2 * PAD, text_width(text, FONT), 0.0, [Limit(seconds)], pps)
    if whole <= 1.0:
        return (Part(text),), need_class(whole), plain(""), ""
    shown = fit(text, seconds * pps - 2 * PAD, FONT)
    if not shown:
        return (Part(text),), need_class(whole), plain(""), ""
    cut = zoom_to_fit(2 * PAD, text_width(shown, FONT), 0.0, [Limit(seconds)], pps)
    return (Part(text),), need_class(whole), (Part(shown),), need_class(cut, whole)


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
