"""Other marks: failures of a component, rejected input, stop requests, notes, the end of the session."""

from __future__ import annotations

from collections.abc import Iterable

from microturn._apps._render._items import Item, Lane, Point, Track
from microturn._apps._render._text import clean, seconds, shorten
from microturn._core._events import ComponentFailed, Event, InputRejected, Note, SessionEnded, StopOutput

__all__ = ["marks_lane"]

_SHOWN = 40  # characters of a mark's visible label


def marks_lane(events: Iterable[Event]) -> Lane:
    items: list[Item] = []
    for event in events:
        at = seconds(event.t)
        if isinstance(event, ComponentFailed):
            part = f"{event.component} {event.name}".strip()
            error = clean(event.error)
            kind = "transient" if event.transient else "permanent"
            title = f"{at}  {part} failed ({kind}): {error}"
            items.append(Point(event.t, "diamond", "failed", title, f"{part} failed: {shorten(error, _SHOWN)}"))
        elif isinstance(event, InputRejected):
            reason = clean(event.reason)
            title = f"{at}  input rejected: {reason}\nexcerpt: {clean(event.excerpt)}"
            items.append(Point(event.t, "cross", "rejected", title, f"rejected: {shorten(reason, _SHOWN)}"))
        elif isinstance(event, StopOutput):
            reason = clean(event.reason)
            items.append(
                Point(
                    event.t,
                    "square",
                    "stop-output",
                    f"{at}  stop requested: {reason}",
                    f"stop: {shorten(reason, _SHOWN)}",
                )
            )
        elif isinstance(event, Note):
            text = clean(event.text)
            items.append(Point(event.t, "dot", "note", f"{at}  note: {text}", shorten(text, _SHOWN)))
        elif isinstance(event, SessionEnded):
            reason = clean(event.reason)
            items.append(Point(event.t, "bar", "session-ended", f"{at}  session ended: {reason}", f"end: {reason}"))
    return Lane("marks", (Track("marks", tuple(items)),))
