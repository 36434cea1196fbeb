"""Turn edits of the input line into the keystroke events a session understands.

The session models typing as text appended at the end of the line (``UserInput``) and characters
deleted from the end (``UserErase``). Any edit fits that model: keep the common prefix, erase the
rest of the old line, then type the rest of the new one. An edit in the middle of the line thus
reads to the agent as "deleted back to there, retyped from there", which is what the line now says.
"""

from __future__ import annotations

from microturn._core._events import Event, Modality, UserErase, UserInput

__all__ = ["KEY_HOLD", "edits"]

KEY_HOLD = 0.3
"""Seconds a keystroke holds the floor: a steady typist (over ~3 keys a second) holds it throughout."""


def edits(before: str, after: str, *, t: float) -> list[Event]:
    """The events that take the line from ``before`` to ``after``, stamped with time ``t``."""
    # Typing appends: checked at C speed, as a paste typed key by key makes the line long and the edits many.
    kept = len(before) if after.startswith(before) else 0
    if not kept:
        for old, new in zip(before, after, strict=False):  # the lines may differ in length
            if old != new:
                break
            kept += 1
    events: list[Event] = []
    if len(before) > kept:
        events.append(UserErase(count=len(before) - kept, t=t))
    if len(after) > kept:
        events.append(UserInput(text=after[kept:], modality=Modality.TYPED, duration=KEY_HOLD, t=t))
    return events
