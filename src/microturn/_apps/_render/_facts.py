"""Floor facts the loop derived: silences (a hatched span with its length) and overlaps (a band)."""

from __future__ import annotations

from collections.abc import Iterable

from microturn._apps._render._items import Highlight, Item, Lane, Span, Track, plain
from microturn._apps._render._text import seconds
from microturn._core._events import Event, Overlap, Silence

__all__ = ["OVERLAP_LANES", "floor_lane"]

OVERLAP_LANES = ("user", "floor", "agent")


def floor_lane(events: Iterable[Event]) -> tuple[Lane, tuple[Highlight, ...]]:
    spans: list[Item] = []
    bands: list[Highlight] = []
    for event in events:
        if isinstance(event, Silence):
            end = event.started + event.duration
            title = f"{seconds(event.started)}–{seconds(end)}  silence of {seconds(event.duration)}"
            spans.append(Span(event.started, end, "silence", title, label=plain(seconds(event.duration, 1)), fit=False))
        elif isinstance(event, Overlap):
            end = event.started + event.duration
            title = f"{seconds(event.started)}–{seconds(end)}  user and agent overlap {seconds(event.duration)}"
            label = plain(f"overlap {seconds(event.duration, 1)}")
            spans.append(Span(event.started, end, "overlap", title, label=label, fit=False))
            bands.append(Highlight(event.started, end, "overlap-band", title, OVERLAP_LANES))
    return Lane("floor", (Track("facts", tuple(spans)),)), tuple(bands)
