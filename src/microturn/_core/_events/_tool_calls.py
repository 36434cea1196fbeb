"""Tool calls: called (arguments redacted), streaming partial results, and their result."""

from __future__ import annotations

from typing import Any

import msgspec

from microturn._core._events._event import Event

__all__ = ["ToolCalled", "ToolProgress", "ToolResult"]


class ToolCalled(Event, frozen=True):
    """Tool ``tool`` was called, as call ``call``, with ``arguments`` (secrets redacted)."""

    call: str
    tool: str
    arguments: dict[str, Any] = msgspec.field(default_factory=dict)


class ToolProgress(Event, frozen=True):
    """A partial result a running tool streamed."""

    call: str
    text: str


class ToolResult(Event, frozen=True):
    """What tool call ``call`` returned; ``error`` when it failed, was refused or was cancelled (``output`` says
    which)."""

    call: str
    output: str
    error: bool = False
