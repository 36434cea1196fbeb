"""The tool adapter the loop calls. The full registry (schemas, scopes, MCP) builds on this."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import msgspec

from microturn.errors import AdapterError

__all__ = ["FakeToolbox", "NoTools", "ToolError", "ToolSpec", "Toolbox"]


class ToolSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the interaction layer knows about a tool before calling it."""

    name: str
    description: str = ""
    trigger: str | None = None
    """A regular expression over the user's lower-case words that means "this tool will be needed";
    its named groups are the arguments. It lets the agent call the tool speculatively while the user
    is still talking."""


class ToolError(AdapterError):
    """A tool call failed; the message is safe to show the user."""


class Toolbox(Protocol):
    async def call(self, tool: str, arguments: dict[str, Any]) -> str: ...


class NoTools:
    async def call(self, tool: str, arguments: dict[str, Any]) -> str:
        raise ToolError(f"no tool named {tool!r} is available in this session", transient=False)


class FakeToolbox:
    """A FAKE toolbox for tests: every call goes to ``handler``."""

    def __init__(self, handler: Callable[[str, dict[str, Any]], Awaitable[str]]) -> None:
        self._handler = handler

    async def call(self, tool: str, arguments: dict[str, Any]) -> str:
        return await self._handler(tool, arguments)
