"""The session's own life: how it starts and ends, and what goes wrong along the way without ending it."""

from __future__ import annotations

from typing import Any

import msgspec

from microturn._core._events._event import Event
from microturn._core._tools import ToolSpec

__all__ = ["ComponentFailed", "EndSession", "InputRejected", "SessionEnded", "SessionStarted"]


class SessionStarted(Event, frozen=True):
    """First event of every log. ``config`` is the session config as plain data (replay rebuilds it)."""

    session: str
    wall: float
    config: dict[str, Any]
    tools: list[ToolSpec] = msgspec.field(default_factory=list)
    """The tools the session could call."""
    prefills: bool = False
    """The model takes in the transcript ahead of replies (a local one), so the session prefills and speculates."""


class SessionEnded(Event, frozen=True):
    """Last event of every log: the session ended, for ``reason`` (the EndSession's, or why the loop stopped)."""

    reason: str


class EndSession(Event, frozen=True):
    """End the session. A data-lane event on purpose: input sent before it is handled before it."""

    reason: str = "requested"


class InputRejected(Event, frozen=True):
    """Malformed input reached the session and was refused; the session goes on."""

    reason: str
    excerpt: str


class ComponentFailed(Event, frozen=True):
    """A part of the runtime raised an exception where it should have answered; the session goes on.

    ``component`` is which part: "model", "prefill", "speculation", "tool", "mcp", "stt", "tts", "vad",
    "end-of-turn" (an end-of-turn detector: ``name`` "audio" or "model"), "monitor" (the claim monitor) or
    "background"; ``name`` the tool or server when there is one. ``error`` is the exception's type
    and message, shortened and with secrets redacted; ``transient`` says whether trying again may help.
    What the user hears about it, if anything, is said in plain words (docs/failures.md).
    """

    component: str
    error: str
    name: str = ""
    transient: bool = False
