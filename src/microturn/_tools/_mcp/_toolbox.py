"""The tools of an MCP server, run as a subprocess over stdio, as a microturn Toolbox.

``mcp`` is an optional extra (``pip install 'microturn[mcp]'``), so this module never imports it at
import time: the SDK is imported where it is used, by code that only runs once a server is opened.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from microturn._core._clock import Clock
from microturn._core._failures import describe
from microturn._core._tools import Progress, Risk, ToolError, ToolServerError, ToolSpec
from microturn._tools._mcp._convert import describe_progress, result_text, tool_spec
from microturn._tools._mcp._stderr import ServerStderr
from microturn.errors import ConfigError

if TYPE_CHECKING:
    from mcp import ClientSession, MCPError, StdioServerParameters
    from mcp.types import Tool

__all__ = ["McpToolbox", "open_mcp_toolbox"]

_NAME = re.compile(r"[A-Za-z0-9_-]+")

MAX_TOOL_PAGES = 100
"""A server that pages its tool list further than this is misbehaving; start-up stops there."""

LAST_WORDS_WAIT = 1.0
"""Seconds to wait, after a failed start, for the rest of the server's stderr."""

LAST_WORDS_LINES = 5
"""How many of the server's last stderr lines a start-up error quotes."""


class McpToolbox:
    """The tools of one running MCP server, valid inside its :func:`open_mcp_toolbox` block.

    ``specs`` lists them as ``<name>.<tool>``; :meth:`call` takes those names.
    """

    def __init__(
        self,
        session: ClientSession,
        *,
        name: str,
        clock: Clock,
        tools: list[Tool],
        scopes: tuple[str, ...],
        risk: Risk,
        call_timeout: float,
    ) -> None:
        self.name = name
        self.specs: list[ToolSpec] = [tool_spec(tool, server=name, scopes=scopes, risk=risk) for tool in tools]
        self._remote_names = {spec.name: tool.name for spec, tool in zip(self.specs, tools, strict=True)}
        self._session = session
        self._clock = clock
        self._call_timeout = call_timeout
        self._closed = False

    async def call(self, tool: str, arguments: dict[str, Any], *, progress: Progress | None = None) -> str:
        from mcp import MCPError  # the optional SDK, loaded by now: this toolbox exists

        remote = self._remote_names.get(tool)
        if remote is None:
            raise ToolError(f"no tool named {tool!r} on the MCP server {self.name!r}", transient=False)
        if self._closed:
            raise ToolError(f"the MCP server {self.name!r} is shut down, so {tool} cannot run", transient=False)
        relay = _ProgressRelay(progress) if progress is not None else None
        try:
            async with self._clock.timeout_at(self._clock.now() + self._call_timeout):
                result = await self._session.call_tool(remote, arguments, progress_callback=relay)
                if relay is not None:
                    await relay.delivered()
        except TimeoutError as error:
            raise ToolError(f"{tool} did not finish within {self._call_timeout:g} s", transient=True) from error
        except MCPError as error:
            raise self._protocol_error(tool, error) from error
        except (RuntimeError, ValueError) as error:
            # The SDK's words for a result it could not accept: malformed, not matching the tool's
            # output schema, or asking for user input (elicitation), which microturn does not offer.
            raise ToolServerError(
                f"{tool}: the MCP server {self.name!r} gave an answer microturn cannot use ({error})",
                transient=False,
            ) from error
        except Exception as error:  # never BaseException: a cancelled call stays cancelled
            # Anything else the SDK or its transport raised: the connection to the server is broken.
            raise ToolServerError(
                f"the MCP server {self.name!r} failed while {tool} ran ({describe(error)})", transient=True
            ) from error
        finally:
            if relay is not None:
                relay.close()
        text = result_text(result)
        if result.is_error:
            raise ToolError(f"{tool} failed: {text}", transient=False)
        return text

    def _protocol_error(self, tool: str, error: MCPError) -> ToolError:
        from mcp.types import CONNECTION_CLOSED, REQUEST_TIMEOUT

        if self._closed:
            return ToolError(f"the MCP server {self.name!r} was shut down while {tool} ran", transient=False)
        if error.code == CONNECTION_CLOSED:
            return ToolServerError(
                f"the MCP server {self.name!r} closed the connection while {tool} ran (did it crash?)",
                transient=True,
            )
        if error.code == REQUEST_TIMEOUT:
            return ToolError(f"{tool} timed out in the MCP server {self.name!r}", transient=True)
        return ToolError(f"{tool} failed: {error.message}", transient=False)

    def _shut(self) -> None:
        self._closed = True


class _ProgressRelay:
    """Forwards a call's MCP progress notifications to its Progress, in order, one at a time.

    The SDK runs this once per notification, each in a task of its own. If the consumer is slower
    than the server, only the newest update waits (progress is a state, not a log), so a chatty
    server costs neither memory nor a pile of blocked tasks. Nothing is forwarded once the call is over.
    """

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._waiting: str | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._open = True

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        if not self._open:
            return
        self._waiting = describe_progress(progress, total, message)
        if not self._idle.is_set():
            return  # the delivery under way picks it up
        self._idle.clear()
        try:
            while self._waiting is not None and self._open:
                text, self._waiting = self._waiting, None
                await self._progress(text)
        finally:
            self._idle.set()

    async def delivered(self) -> None:
        """Return once every update received so far has been forwarded (or superseded)."""
        await self._idle.wait()

    def close(self) -> None:
        self._open = False


@asynccontextmanager
async def open_mcp_toolbox(
    command: list[str],
    *,
    name: str,
    clock: Clock,
    scopes: tuple[str, ...] | None = None,
    risk: Risk = Risk.HIGH,
    env: dict[str, str] | None = None,
    call_timeout: float = 30.0,
    start_timeout: float = 10.0,
) -> AsyncIterator[McpToolbox]:
    """Start the MCP server ``command`` over stdio and offer its tools while the block runs.

    Its tools are named ``<name>.<tool>``, need ``scopes`` (default ``("mcp:<name>",)``) and are
    HIGH risk unless the caller lowers ``risk``: a third-party tool may act on the world, and what
    a server says about its own tools (read-only hints) is not to be trusted. ``env`` is merged over
    the SDK's minimal environment (HOME, PATH, ...), not over ours. Start-up (the handshake and the
    tool list) is bounded by ``start_timeout``, each call by ``call_timeout``, both on ``clock``.
    Real I/O takes real time: use a SystemClock, not a VirtualClock, whose idle loop would jump
    straight past these deadlines while the server boots.

    On exit the session ends and the process is stopped (stdin closed, then terminated, then
    killed), also when the block raises or is cancelled.

    Raises ConfigError for bad arguments, a missing ``mcp`` package or a command that cannot be
    started; ToolError if the server exits, fails or stalls during start-up.
    """
    _check_arguments(command, name, call_timeout, start_timeout)
    try:
        from mcp import MCPError, StdioServerParameters
    except ImportError as error:
        raise ConfigError(f"MCP tools need the mcp package: pip install 'microturn[mcp]' ({error})") from error

    server = StdioServerParameters(command=command[0], args=command[1:], env=env)
    stderr = await ServerStderr.open(name)
    toolbox: McpToolbox | None = None
    try:
        async with _session(server, stderr) as session:
            async with clock.timeout_at(clock.now() + start_timeout):
                await session.initialize()
                tools = await _list_tools(session)
            toolbox = McpToolbox(
                session,
                name=name,
                clock=clock,
                tools=tools,
                scopes=(f"mcp:{name}",) if scopes is None else scopes,
                risk=risk,
                call_timeout=call_timeout,
            )
            try:
                yield toolbox
            finally:
                toolbox._shut()
    except (MCPError, TimeoutError, RuntimeError, ValueError) as error:
        if toolbox is not None:
            raise  # the caller's own, from the block
        # The server is gone by now; what it said on its way out explains why.
        await stderr.wait_closed(clock, clock.now() + LAST_WORDS_WAIT)
        raise _start_failure(name, command, error, start_timeout, stderr.tail(LAST_WORDS_LINES)) from error
    except OSError as error:  # after TimeoutError, which is an OSError too
        if toolbox is not None:
            raise
        raise _spawn_failure(name, command, error) from error
    finally:
        stderr.close()


@asynccontextmanager
async def _session(server: StdioServerParameters, stderr: ServerStderr) -> AsyncIterator[ClientSession]:
    """The SDK's stdio transport and client session, without the exception groups they add.

    Both run anyio task groups, which wrap whatever leaves their block in an ExceptionGroup: an
    error raised in the caller's ``async with`` would come out nested two groups deep. What left
    the block comes out as it went in.
    """
    from mcp import ClientSession, stdio_client
    from mcp.types import Implementation

    from microturn import __version__

    escaping: BaseException | None = None  # what left the caller's block
    unwrapped: BaseException | None = None
    try:
        async with stdio_client(server, errlog=stderr.writer) as (read, write):
            stderr.close_writer()  # the server holds its own copy now
            client = Implementation(name="microturn", version=__version__)
            async with ClientSession(read, write, client_info=client) as session:
                try:
                    yield session
                except BaseException as error:
                    escaping = error
                    raise
    except BaseExceptionGroup as group:
        if escaping is None or not _holds_only(group, escaping):
            raise
        unwrapped = escaping
    if unwrapped is not None:
        raise unwrapped  # raised outside the handler, so its context stays its own, not the group


def _holds_only(group: BaseExceptionGroup[BaseException], error: BaseException) -> bool:
    """Whether ``group`` is nothing but ``error`` wrapped in groups of one."""
    inner: BaseException = group
    while inner is not error and isinstance(inner, BaseExceptionGroup) and len(inner.exceptions) == 1:
        inner = inner.exceptions[0]
    return inner is error


def _check_arguments(command: list[str], name: str, call_timeout: float, start_timeout: float) -> None:
    if not command or not command[0]:
        raise ConfigError("an MCP server needs a command to start it, such as ['uvx', 'mcp-server-time']")
    if not _NAME.fullmatch(name):
        raise ConfigError(f"MCP server name {name!r} must be letters, digits, '_' or '-': it prefixes its tool names")
    for what, seconds in (("call_timeout", call_timeout), ("start_timeout", start_timeout)):
        if not seconds > 0:
            raise ConfigError(f"{what} must be a positive number of seconds, not {seconds!r}")


async def _list_tools(session: ClientSession) -> list[Tool]:
    from mcp.types import PaginatedRequestParams

    tools: list[Tool] = []
    cursor: str | None = None
    for _ in range(MAX_TOOL_PAGES):
        page = await session.list_tools(params=None if cursor is None else PaginatedRequestParams(cursor=cursor))
        tools.extend(page.tools)
        cursor = page.next_cursor
        if cursor is None:
            return tools
    raise RuntimeError(f"the tool list goes on for more than {MAX_TOOL_PAGES} pages")


def _spawn_failure(name: str, command: list[str], error: OSError) -> ConfigError:
    if isinstance(error, FileNotFoundError):
        problem = f"command {command[0]!r} not found (is it installed, and on PATH?)"
    else:
        problem = f"{command[0]!r} cannot be run: {error.strerror or error}"
    return ConfigError(f"cannot start the MCP server {name!r}: {problem}")


def _start_failure(
    name: str, command: list[str], error: Exception, start_timeout: float, last_words: list[str]
) -> ToolError:
    from mcp import MCPError
    from mcp.types import CONNECTION_CLOSED

    server = f"the MCP server {name!r} ({shlex.join(command)})"
    if isinstance(error, TimeoutError):
        return ToolError(f"{server} did not finish the MCP handshake within {start_timeout:g} s", transient=True)
    if isinstance(error, MCPError) and error.code == CONNECTION_CLOSED:
        problem = f"{server} exited during start-up"
    elif isinstance(error, MCPError):
        problem = f"{server} refused the MCP session: {error.message}"
    else:
        problem = f"{server} does not speak an MCP this client understands ({error})"
    if last_words:
        problem += "; its last words on stderr:\n" + "\n".join(f"  {line}" for line in last_words)
    return ToolError(problem, transient=False)
