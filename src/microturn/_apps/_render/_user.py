"""The user lane: spoken words as boxes; keystrokes merged into typed runs with erasures and Enter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from microturn._apps._render._items import Item, Lane, Part, Point, Span, Tick, Track, plain
from microturn._apps._render._text import clean, seconds
from microturn._core._events import Event, Modality, UserErase, UserInput, UserSubmit

__all__ = ["RUN_GAP", "user_lane"]

RUN_GAP = 0.8
"""Keystrokes further apart than this (seconds) start a new typed run."""


def user_lane(events: Iterable[Event]) -> Lane:
    speech: list[Item] = []
    typing: list[Item] = []
    run: _Run | None = None
    for event in events:
        if isinstance(event, UserInput) and event.modality is Modality.SPOKEN:
            speech.append(_spoken_word(event))
        elif isinstance(event, UserInput):
            if run is not None and event.t - run.end > RUN_GAP:
                typing.append(run.span())
                run = None
            if run is None:
                run = _Run(start=event.t, end=event.t)
            run.type(event)
        elif isinstance(event, UserErase):
            if run is None:
                typing.append(_lone_erase(event))
            else:
                run.erase(event)
        elif isinstance(event, UserSubmit):
            if run is None:
                typing.append(Point(event.t, "enter", "user-submit", f"{seconds(event.t)}  Enter"))
            else:
                run.submit(event)
                typing.append(run.span())
                run = None
    if run is not None:
        typing.append(run.span())
    return Lane(
        "user",
        (Track("speech", tuple(speech), row_height=22.0), Track("typing", tuple(typing), row_height=22.0)),
    )


def _spoken_word(event: UserInput) -> Span:
    text = clean(event.text)
    return Span(
        event.t,
        event.t + event.duration,
        "user-word",
        f"{seconds(event.t)}  user said “{text}” ({seconds(event.duration)})",
        label=plain(text),
    )


def _lone_erase(event: UserErase) -> Point:
    return Point(event.t, "erase", "user-erase", f"{seconds(event.t)}  erased {event.count} character(s)")


@dataclass
class _Run:
    """Keystrokes typed close together, with what was erased kept visible (struck through)."""

    start: float
    end: float
    chars: list[tuple[str, bool]] = field(default_factory=list)  # (character, erased)
    ticks: list[Tick] = field(default_factory=list)
    submitted: bool = False

    def type(self, event: UserInput) -> None:
        text = clean(event.text)
        self.chars.extend((char, False) for char in text)
        self.end = max(self.end, event.t + event.duration)
        self.ticks.append(Tick(event.t, "line", "keystroke", f"{seconds(event.t)}  typed “{text}”"))

    def erase(self, event: UserErase) -> None:
        erased: list[str] = []
        for index in range(len(self.chars) - 1, -1, -1):
            if len(erased) == event.count:
                break
            char, gone = self.chars[index]
            if not gone:
                self.chars[index] = (char, True)
                erased.append(char)
        self.end = max(self.end, event.t)
        gone_text = "".join(reversed(erased))
        title = f"{seconds(event.t)}  erased {event.count} character(s): “{gone_text}”"
        self.ticks.append(Tick(event.t, "erase", "user-erase", title))

    def submit(self, event: UserSubmit) -> None:
        self.end = max(self.end, event.t)
        self.submitted = True
        self.ticks.append(Tick(event.t, "enter", "user-submit", f"{seconds(event.t)}  Enter"))

    def span(self) -> Span:
        final = "".join(char for char, gone in self.chars if not gone)
        title = f"{seconds(self.start)}–{seconds(self.end)}  user typed “{final}”"
        if any(gone for _, gone in self.chars):
            title += "\nas keyed, erased characters struck: " + "".join(
                char + "\u0336" if gone else char for char, gone in self.chars
            )
        if self.submitted:
            title += "\nthen pressed Enter"
        return Span(
            self.start,
            self.end,
            "typed",
            title,
            label=_label(self.chars),
            fit=False,
            ticks=tuple(self.ticks),
        )


def _label(chars: list[tuple[str, bool]]) -> tuple[Part, ...]:
    parts: list[Part] = []
    for char, gone in chars:
        css = "struck" if gone else ""
        if parts and parts[-1].css == css:
            parts[-1] = Part(parts[-1].text + char, css)
        else:
            parts.append(Part(char, css))
    return tuple(parts)
