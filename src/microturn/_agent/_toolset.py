"""What an agent may use: typed functions, toolboxes, MCP servers and the built-ins, opened as one toolbox."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from microturn._core._clock import Clock
from microturn._core._tools import CombinedToolbox, Risk, Toolbox, ToolSpec
from microturn._tools import SandboxLimits, Tool, ToolRegistry, builtin_tools
from microturn._tools._mcp import open_mcp_toolbox
from microturn.errors import ConfigError

__all__ = ["DescribedToolbox", "MCPServer", "ToolSource", "open_toolset"]


@runtime_checkable
class DescribedToolbox(Toolbox, Protocol):
    """A toolbox that says what it offers (a ``ToolRegistry``, a toolbox of your own with ``specs``)."""

    @property
    def specs(self) -> list[ToolSpec]: ...


@dataclass(frozen=True, slots=True)
class MCPServer:
    """An MCP server whose tools the agent may use, started over stdio for each session.

    Its tools are named ``<name>.<tool>``. They are HIGH risk unless you lower ``risk`` (the user is asked
    before each call: what a third-party server says about its own tools is not to be trusted) and need
    ``scopes`` (by default ``mcp:<name>``), which the agent must grant. Needs ``pip install 'microturn[mcp]'``.
    """

    name: str
    """Prefix of its tools' names: letters, digits, '_' or '-'."""
    command: Sequence[str]
    """The program and its arguments, e.g. ``["python", "-m", "mcp_server_time"]``."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Environment variables for the server, over a minimal environment (not this process's)."""
    scopes: Sequence[str] | None = None
    risk: Risk = Risk.HIGH
    call_timeout: float = 30.0
    start_timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.name or not self.command or not all(isinstance(part, str) and part for part in self.command):
            raise ConfigError(f"MCPServer needs a name and a command (a list of strings), got {self!r}")


ToolSource = Tool[..., Any] | Callable[..., Any] | DescribedToolbox | MCPServer
"""Anything ``Agent(tools=[...])`` takes: a function (``@tool``-decorated or plain), a toolbox, an MCP server."""


@contextlib.asynccontextmanager
async def open_toolset(
    sources: Sequence[ToolSource],
    *,
    clock: Clock,
    builtins: bool,
    workspace: Path | None,
    sandbox: SandboxLimits | None = None,
) -> AsyncIterator[CombinedToolbox]:
    """Every source as one toolbox while the block runs (MCP servers started, and stopped on the way out).

    Functions are gathered in one registry; with ``builtins``, the built-in tools come first (calculator,
    clock, sandboxed Python, and the files under ``workspace`` if given). Two tools with one name are a
    ConfigError.
    """
    functions: list[Tool[..., Any] | Callable[..., Any]] = []
    toolboxes: list[DescribedToolbox] = []
    servers: list[MCPServer] = []
    for source in sources:
        if isinstance(source, MCPServer):
            servers.append(source)
        elif isinstance(source, Tool) or (callable(source) and not isinstance(source, DescribedToolbox)):
            functions.append(source)
        elif isinstance(source, DescribedToolbox):
            toolboxes.append(source)
        else:
            raise ConfigError(
                f"cannot use {source!r} as a tool: give a function (decorated with @tool or plain), "
                "a toolbox with specs (such as a ToolRegistry) or an MCPServer"
            )
    found: list[DescribedToolbox] = []
    if builtins:
        found.append(builtin_tools(clock=clock, workspace=workspace, sandbox=sandbox))
    elif workspace is not None or sandbox is not None:
        raise ConfigError("a workspace and sandbox limits are for the built-in tools: keep builtin_tools on")
    if functions:
        found.append(ToolRegistry(functions))
    found += toolboxes
    async with contextlib.AsyncExitStack() as stack:
        for server in servers:
            opened = open_mcp_toolbox(
                list(server.command),
                name=server.name,
                clock=clock,
                scopes=None if server.scopes is None else tuple(server.scopes),
                risk=server.risk,
                env=dict(server.env),
                call_timeout=server.call_timeout,
                start_timeout=server.start_timeout,
            )
            found.append(await stack.enter_async_context(opened))
        yield CombinedToolbox(found)
