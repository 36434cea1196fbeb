"""What the policy set up at the user's request, and what fired: cues to watch for, timers to keep."""

from __future__ import annotations

from microturn._core._events._event import Event

__all__ = ["CueFired", "CueSet", "TimerCancelled", "TimerFired", "TimerSet"]


class CueSet(Event, frozen=True):
    """The user asked to be told or stopped when something comes up ("tell me when I say a number")."""

    cue: str
    watch: str
    """What is watched for, in words: "a number", "Paris is in Italy"."""
    interrupt: bool = False
    """Stop the user (interject at once) rather than mention it at the next pause."""


class CueFired(Event, frozen=True):
    """What cue ``cue`` watched for came up: ``matched``."""

    cue: str
    matched: str


class TimerSet(Event, frozen=True):
    """Timer ``timer`` was set to say ``text`` at ``due`` (and every ``every`` seconds after, if it repeats)."""

    timer: str
    due: float
    """Session time of the first firing."""
    text: str
    every: float | None = None
    """Repeat period in seconds, for repeating timers."""


class TimerFired(Event, frozen=True):
    """Timer ``timer`` fired: its ``text`` is due to be said."""

    timer: str
    text: str


class TimerCancelled(Event, frozen=True):
    """Timer ``timer`` was cancelled: it fires no more."""

    timer: str
