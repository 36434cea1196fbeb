"""What the picture shows, in seconds (not pixels): spans, point marks, ticks, lanes.

The lane builders turn events into these; the layout places them; the SVG writer draws them. A ``css``
string starts with the mark's kind (``agent-word``, ``cut``, ``silence`` …) and may add modifiers
(``reply``, ``error``); the style sheet colours them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

__all__ = [
    "Highlight",
    "Item",
    "Label",
    "Lane",
    "Part",
    "Point",
    "Rule",
    "Shape",
    "Span",
    "Tick",
    "Track",
    "plain",
]

Shape = Literal["line", "dot", "diamond", "square", "cross", "enter", "erase", "bar", "ring"]
"""A small glyph drawn as SVG geometry (so it never depends on which fonts are installed)."""

Rule = Literal["", "cut", "stop"]
"""A line across the whole lane at a point mark: a zigzag for a cut-off, a dashed line for a stop."""


class Part(NamedTuple):
    """A run of label text; ``css`` styles it (``struck`` for erased keystrokes)."""

    text: str
    css: str = ""


Label = tuple[Part, ...]


def plain(text: str) -> Label:
    return (Part(text),) if text else ()


@dataclass(frozen=True)
class Tick:
    """A mark on a span at ``t``: a keystroke, a job's progress, a timer firing."""

    t: float
    shape: Shape
    css: str
    title: str
    label: str = ""


@dataclass(frozen=True)
class Span:
    """Something that lasts from ``start`` to ``end``.

    ``fit``: the label is cut to fit inside the box (a word); otherwise it may run on past the end (a
    typed run, a silence). ``thin`` draws a thin bar rather than a box (a timer waiting, a cue
    listening). ``tail`` continues the span as a dotted line to that time (a result woven later).
    ``note`` is text after the span (a job's result, a drop reason).
    """

    start: float
    end: float
    css: str
    title: str
    label: Label = ()
    fit: bool = True
    thin: bool = False
    ticks: tuple[Tick, ...] = ()
    tail: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Point:
    """A mark at one instant, with a short visible label."""

    t: float
    shape: Shape
    css: str
    title: str
    label: str = ""
    rule: Rule = ""


Item = Span | Point


@dataclass(frozen=True)
class Track:
    """One kind of item within a lane; overlapping items stack into extra rows."""

    name: str
    items: tuple[Item, ...]
    row_height: float = 20.0


@dataclass(frozen=True)
class Lane:
    name: str
    tracks: tuple[Track, ...]


@dataclass(frozen=True)
class Highlight:
    """A translucent band across several lanes (an overlap of user and agent)."""

    start: float
    end: float
    css: str
    title: str
    lanes: tuple[str, ...]
