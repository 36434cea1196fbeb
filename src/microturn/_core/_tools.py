"""The tool adapter the loop calls, and what the interaction layer knows about each tool.

Registries (typed Python functions, MCP servers) implement :class:`Toolbox`; the loop gates every
call on the session's granted scopes and, for high-risk tools, on the user's approval.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import msgspec

from microturn.errors import AdapterError

__all__ = [
    "CombinedToolbox",
    "FakeToolbox",
    "NoTools",
    "Progress",
    "Risk",
    "ToolError",
    "ToolServerError",
    "ToolSpec",
    "Toolbox",
]

Progress = Callable[[str], Awaitable[None]]
"""Where a tool streams partial results while it runs."""


class Risk(enum.Enum):
    """How much a tool can do, so whether the user is asked before each call: ``@tool(risk=Risk.HIGH)``."""

    LOW = "low"
    """The default: each call runs without asking (within the session's granted scopes)."""
    HIGH = "high"
    """Acts on the world (deletes, sends, pays): each call waits for the user's explicit yes."""


class ToolSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the interaction layer knows about a tool before calling it."""

    name: str
    description: str = ""
    trigger: str | None = None
    """A regular expression over the user's lower-case words that means "this tool will be needed";
    its named groups are the arguments. It lets the agent call the tool speculatively while the user
    is still talking."""
    scopes: tuple[str, ...] = ()
    """What the tool may touch ("files:read", "net"); a session must grant every one of them."""
    risk: Risk = Risk.LOW
    parameters: dict[str, Any] = {}
    """The JSON schema of its arguments."""


class ToolError(AdapterError):
    """A tool call failed; the message is safe to show the user."""


class ToolServerError(ToolError):
    """The server behind the tools failed, not the call: an MCP server exited or broke the protocol."""


class Toolbox(Protocol):
    """Where tool calls go: runs a tool by name and returns its result as text.

    A ``ToolRegistry`` (of ``@tool`` functions) is one, and so is each MCP server once started. To bring
    tools from elsewhere, implement ``call`` and a ``specs`` property (a list of ``ToolSpec``: what each
    tool is, its scopes and risk), and pass the object in ``Agent(tools=[...])``. The runtime checks scopes
    and risk before each call: a toolbox only runs what it is asked to.
    """

    async def call(self, tool: str, arguments: dict[str, Any], *, progress: Progress | None = None) -> str:
        """Run ``tool``; stream partial results to ``progress``; return the result as text.

        Raise ToolError (``transient`` set as appropriate) for anything the user should hear about.
        """
        ...


class NoTools:
    async def call(self, tool: str, arguments: dict[str, Any], *, progress: Progress | None = None) -> str:
        raise ToolError(f"no tool named {tool!r} is available in this session", transient=False)


class FakeToolbox:
    """A FAKE toolbox for tests: every call goes to ``handler``."""

    def __init__(self, handler: Callable[[str, dict[str, Any]], Awaitable[str]]) -> None:
        self._handler = handler

    async def call(self, tool: str, arguments: dict[str, Any], *, progress: Progress | None = None) -> str:
        return await self._handler(tool, arguments)


class _Described(Toolbox, Protocol):
    @property
    def specs(self) -> list[ToolSpec]: ...


class CombinedToolbox:
    """Several toolboxes as one (built-ins and MCP servers): each call goes to the one that has the tool."""

    def __init__(self, toolboxes: list[_Described]) -> None:
        self._owners: dict[str, _Described] = {}
        for toolbox in toolboxes:
            for spec in toolbox.specs:
                if spec.name in self._owners:
                    raise ToolError(f"two toolboxes offer a tool named {spec.name!r}", transient=False)
                self._owners[spec.name] = toolbox
        self.specs = [spec for toolbox in toolboxes for spec in toolbox.specs]

    async def call(self, tool: str, arguments: dict[str, Any], *, progress: Progress | None = None) -> str:
        owner = self._owners.get(tool)
        if owner is None:
            available = ", ".join(sorted(self._owners)) or "none"
            raise ToolError(f"no tool named {tool!r}; available: {available}", transient=False)
        return await owner.call(tool, arguments, progress=progress)
