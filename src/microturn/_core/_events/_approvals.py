"""Approvals: a high-risk tool call waits for the user's explicit yes, and gets an answer."""

from __future__ import annotations

from typing import Any

import msgspec

from microturn._core._events._event import Event

__all__ = ["ApprovalDecided", "ApprovalRequested"]


class ApprovalRequested(Event, frozen=True):
    """A high-risk tool call waits for the user's explicit yes. Silence or a timeout means no."""

    call: str
    tool: str
    arguments: dict[str, Any] = msgspec.field(default_factory=dict)
    job: str | None = None


class ApprovalDecided(Event, frozen=True):
    """The user's answer to an ApprovalRequested, as the interaction layer heard it."""

    call: str
    granted: bool
    reason: str = ""
