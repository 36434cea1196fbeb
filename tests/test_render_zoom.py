"""The timeline page at any zoom: tick steps, levels of detail (no two labels overlap), an hour's size."""

from __future__ import annotations

import itertools
import math
import re

import pytest

from _long_session import long_session
from microturn._apps._render import render_timeline_html
from microturn._apps._render._agent import agent_lane
from microturn._apps._render._items import Label, Lane, Point, Span, Track, plain
from microturn._apps._render._layout import FONT, MARK_LABEL, NOTE_GAP, PAD, SMALL, TICK_LABEL, Picture, lay_out
from microturn._apps._render._scale import LABEL_GAP, TICK_STEPS, Scale, clock_label, tick_step
from microturn._apps._render._summary import session_end
from microturn._apps._render._text import text_width
from microturn._apps._render._user import user_lane
from microturn._apps._render._zoom import LEVELS, MAX_ZOOM, MIN_ZOOM, level, need, need_class

ZOOMS = [2.0 ** (k / 4) for k in range(-40, 17)]  # every level, MIN_ZOOM to MAX_ZOOM


# --- the axis -------------------------------------------------------------------------------------------


def test_the_base_zoom_keeps_a_label_a_second_and_a_tick_per_micro_turn() -> None:
    assert tick_step(100.0) == (1.0, 5)
    labels = [tick.label for tick in Scale(40.0).ticks() if tick.major]
    assert labels[:3] == ["0 s", "1 s", "2 s"]
    assert labels[-1] == "40 s"


@pytest.mark.parametrize("zoom", ZOOMS)
def test_axis_labels_never_overlap_and_are_as_fine_as_they_can_be(zoom: float) -> None:
    pps = 100.0 * zoom
    step, _ = tick_step(pps)
    finest = next(s for s, _ in TICK_STEPS if s * pps >= LABEL_GAP) if step != TICK_STEPS[-1][0] else step
    assert step == finest
    if step * pps >= LABEL_GAP:
        labels = [tick for tick in Scale(3600.0).ticks(zoom) if tick.major]
        widest = max(text_width(tick.label, 10) for tick in labels)
        assert step * pps >= widest + 12  # the labels (centred on their ticks) stand apart


def test_the_axis_reads_ms_seconds_minutes_and_hours() -> None:
    assert [clock_label(t, 0.1) for t in (0.5, 59.9, 65.5)] == ["0.5 s", "59.9 s", "1:05.5"]
    assert [clock_label(t) for t in (7, 65, 3605)] == ["7 s", "1:05", "1:00:05"]
    assert tick_step(100.0 * 16) == (0.1, 5)  # zoomed all the way in: a label per 100 ms
    assert tick_step(1200 / 3600) == (300.0, 5)  # an hour fitted to 1,200 px: every 5 min


# --- levels of detail -----------------------------------------------------------------------------------


def test_a_level_is_only_reached_at_the_zoom_it_needs() -> None:
    assert [level(1.0), level(MIN_ZOOM), level(MAX_ZOOM)] == [40, 0, LEVELS]
    for needed in [0.003, 0.37, 0.99, 1.0, 1.01, 2.5, 15.9]:
        for zoom in ZOOMS:
            if level(zoom) >= need(needed):
                assert zoom >= needed  # never shown before the zoom it needs
            if zoom >= needed * 2 ** (1 / 4):
                assert level(zoom) >= need(needed)  # and at most a level later
    assert need_class(0.0) == ""
    assert need_class(math.inf) == f"lod-{LEVELS + 1}"
    assert need_class(0.5, 2.0) == f"lod-{need(0.5)} upto-{need(2.0)}"


def _shown(classes: str, zoom: float) -> bool:
    lod = re.search(r"lod-(\d+)", classes)
    upto = re.search(r"upto-(\d+)", classes)
    return (lod is None or level(zoom) >= int(lod.group(1))) and (upto is None or level(zoom) < int(upto.group(1)))


def _labels(picture: Picture, zoom: float) -> list[tuple[float, float, float, str]]:
    """Every label shown at ``zoom``: (row top, left px, right px, text), in px at that zoom."""
    margin = picture.scale.margin

    def x(base: float) -> float:
        return margin + (base - margin) * zoom

    def text(label: Label) -> str:
        return "".join(part.text for part in label)

    found: list[tuple[float, float, float, str]] = []
    for placed in picture.spans:
        span = placed.span
        size = SMALL if span.thin else FONT
        for label, lod in ((placed.label, placed.label_lod), (placed.elided, placed.elided_lod)):
            if label and _shown(lod, zoom):
                left = x(placed.x0) + PAD
                found.append((placed.y, left, left + text_width(text(label), size), text(label)))
                if span.fit:  # inside its box
                    assert left + text_width(text(label), size) <= x(placed.x1) - PAD + 0.5, (text(label), zoom)
        for tick, tick_x, lod in zip(span.ticks, placed.tick_xs, placed.tick_lods, strict=True):
            if tick.label and _shown(lod, zoom):
                left = x(tick_x) + TICK_LABEL
                found.append((placed.y, left, left + text_width(tick.label, SMALL), tick.label))
        if span.note and _shown(placed.note_lod, zoom):
            left = x(placed.note_x) + NOTE_GAP
            found.append((placed.y, left, left + text_width(span.note, SMALL), span.note))
    for point in picture.points:
        if point.point.label and _shown(point.label_lod, zoom):
            left = x(point.x) + MARK_LABEL
            found.append((point.y, left, left + text_width(point.point.label, SMALL), point.point.label))
    return found


def _picture(minutes: float) -> Picture:
    events = long_session(minutes)
    end = session_end(events)
    return lay_out([user_lane(events), agent_lane(events, end)], [], Scale(end))


@pytest.mark.parametrize("zoom", [2.0**-8, 2.0**-5, 0.3, 0.7, 1.0, 1.3, 4.0, 16.0])
def test_no_two_labels_shown_on_a_row_overlap_at_any_zoom(zoom: float) -> None:
    labels = sorted(_labels(_picture(6), zoom))
    for (row, _, right, text), (next_row, left, _, later) in itertools.pairwise(labels):
        if row == next_row:
            assert right <= left + 0.5, f"{text!r} runs into {later!r} at {zoom}×"


def test_zooming_in_shows_more_words_and_an_elided_word_whole() -> None:
    picture = _picture(6)
    counts = [len(_labels(picture, zoom)) for zoom in (2.0**-6, 0.25, 1.0, 4.0)]
    assert counts == sorted(counts)
    assert counts[0] < counts[-1] / 10
    long_word = Track("words", (Span(0.0, 0.3, "agent-word reply", "", label=plain("lighthouse")),))
    (placed,) = lay_out([Lane("agent", (long_word,))], [], Scale(1.0)).spans
    assert [part.text for part in placed.elided] == ["li…"]  # cut short at the base zoom…
    assert [_shown(placed.elided_lod, 1.0), _shown(placed.label_lod, 1.0)] == [True, False]
    assert [_shown(placed.elided_lod, 4.0), _shown(placed.label_lod, 4.0)] == [False, True]  # …whole zoomed in


def test_a_point_label_that_fits_at_the_base_zoom_shows_there() -> None:
    marks = Track("marks", (Point(1.0, "dot", "note", "", "a long label"), Point(3.0, "dot", "note", "", "b")))
    picture = lay_out([Lane("marks", (marks,))], [], Scale(5.0))
    first, _ = picture.points
    assert [_shown(first.label_lod, 1.0), _shown(first.label_lod, 0.25)] == [True, False]


# --- an hour --------------------------------------------------------------------------------------------


def test_an_hour_renders_to_a_page_of_the_size_the_readme_gives() -> None:
    page = render_timeline_html(long_session(60), title="an hour")
    assert 3_000_000 < len(page) < 4_500_000  # the README's "~3.7 MB": one mark per word, labels hidden until they fit
    strip = page[page.index('<div class="overview"') : page.index('<div class="picture">')]
    assert strip.count("<rect") < 3 * 1500  # merged runs, not one box per word
    assert re.search(r'<svg [^>]*class="roll z1 [^"]*z40"', page)  # without the script: the base zoom
