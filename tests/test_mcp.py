"""The MCP client adapter, end to end against real MCP server processes over stdio.

``mcp-server-time`` is the official reference server; a few behaviours it cannot show (progress,
a call that never ends, a crash, an image) come from a small server written with the same SDK.
Servers run in real time (SystemClock): a real process takes real time to boot.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest

from microturn import SystemClock
from microturn._core._tools import Risk, Toolbox, ToolError
from microturn._tools._mcp import McpToolbox, open_mcp_toolbox
from microturn.errors import ConfigError

T = TypeVar("T")

TIME_SERVER = [sys.executable, "-m", "mcp_server_time", "--local-timezone", "UTC"]

HELPER_SERVER = [
    sys.executable,
    "-c",
    """
import asyncio, os
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ImageContent, TextContent

server = MCPServer("helper")

@server.tool(description="Reports progress `count` times, then says done.")
async def steps(count: int, ctx: Context) -> str:
    for step in range(1, count + 1):
        await ctx.report_progress(step, count, f"step {step}")
    return "done"

@server.tool(description="Never answers.")
async def stall() -> str:
    await asyncio.Event().wait()
    return "unreachable"

@server.tool(description="Exits the server process in the middle of the call.")
def crash() -> str:
    os._exit(3)

@server.tool(description="A caption and a picture.")
def picture() -> list[TextContent | ImageContent]:
    return [
        TextContent(type="text", text="a chart"),
        ImageContent(type="image", data="iVBORw0KGgo=", mime_type="image/png"),
    ]

server.run()
""",
]


class ServerLoop:
    """One event loop in a thread, holding toolboxes open for a whole module of tests.

    A server takes over a second to boot, so the tests that only call tools share one.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._failure: BaseException | None = None
        self.toolboxes: dict[str, McpToolbox] = {}
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)

    def __enter__(self) -> ServerLoop:
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._failure is not None:
            raise self._failure
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._loop is not None
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)

    def run(self, make: Callable[[], Awaitable[T]]) -> T:
        assert self._loop is not None

        async def wrapped() -> T:
            return await make()

        return asyncio.run_coroutine_threadsafe(wrapped(), self._loop).result(timeout=30)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            async with asyncio.TaskGroup() as group:  # both servers boot at once
                group.create_task(self._hold("time", TIME_SERVER))
                group.create_task(self._hold("helper", HELPER_SERVER, call_timeout=0.5))
        except BaseException as error:
            self._failure = error
            raise
        finally:
            self._ready.set()

    async def _hold(self, name: str, command: list[str], **options: Any) -> None:
        assert self._stop is not None
        async with open_mcp_toolbox(command, name=name, clock=SystemClock(), **options) as toolbox:
            self.toolboxes[name] = toolbox
            if len(self.toolboxes) == 2:
                self._ready.set()
            await self._stop.wait()


@pytest.fixture(scope="module")
def servers() -> Iterator[ServerLoop]:
    with ServerLoop() as loop:
        yield loop


@pytest.fixture
def call(servers: ServerLoop) -> Callable[..., str]:
    """``call("time.get_current_time", timezone=...)`` on the shared servers."""

    def call(tool: str, **arguments: Any) -> str:
        toolbox = servers.toolboxes[tool.split(".")[0]]
        return servers.run(lambda: toolbox.call(tool, arguments))

    return call


def children() -> set[int]:
    """The processes whose parent is this one, zombies included (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it exited while we looked
        if int(fields[1]) == os.getpid():
            found.add(int(stat.parent.name))
    return found


# The time server's tools


def test_lists_the_servers_tools_with_their_schemas(servers: ServerLoop) -> None:
    toolbox = servers.toolboxes["time"]
    specs = {spec.name: spec for spec in toolbox.specs}
    assert set(specs) == {"time.get_current_time", "time.convert_time"}
    current = specs["time.get_current_time"]
    assert current.description == "Get current time in a specific timezone"
    assert current.parameters["type"] == "object"
    assert current.parameters["required"] == ["timezone"]
    assert "IANA timezone name" in current.parameters["properties"]["timezone"]["description"]
    assert set(specs["time.convert_time"].parameters["required"]) == {
        "source_timezone",
        "time",
        "target_timezone",
    }
    for spec in toolbox.specs:  # a third-party tool is high risk whatever it says about itself
        assert spec.risk is Risk.HIGH
        assert spec.scopes == ("mcp:time",)
        assert spec.trigger is None
    as_toolbox: Toolbox = toolbox  # it has what the loop needs (checked by mypy)
    assert as_toolbox is toolbox


def test_gets_the_current_time_in_lisbon(call: Callable[..., str]) -> None:
    answer = json.loads(call("time.get_current_time", timezone="Europe/Lisbon"))
    assert answer["timezone"] == "Europe/Lisbon"
    moment = datetime.fromisoformat(answer["datetime"])
    assert moment.utcoffset() == moment.astimezone(ZoneInfo("Europe/Lisbon")).utcoffset()
    assert abs(time.time() - moment.timestamp()) < 60


def test_converts_a_time_between_timezones(call: Callable[..., str]) -> None:
    answer = json.loads(
        call("time.convert_time", source_timezone="Europe/Lisbon", time="12:30", target_timezone="Asia/Tokyo")
    )
    source = datetime.fromisoformat(answer["source"]["datetime"])
    target = datetime.fromisoformat(answer["target"]["datetime"])
    assert (answer["source"]["timezone"], answer["target"]["timezone"]) == ("Europe/Lisbon", "Asia/Tokyo")
    assert (source.hour, source.minute) == (12, 30)
    assert target == source.astimezone(ZoneInfo("Asia/Tokyo"))
    assert answer["time_difference"] in {"+8.0h", "+9.0h"}  # Lisbon summer / winter


def test_an_invalid_timezone_is_a_tool_error_with_the_servers_message(call: Callable[..., str]) -> None:
    with pytest.raises(ToolError, match=r"time\.get_current_time failed: .*Invalid timezone.*Mars/Base") as caught:
        call("time.get_current_time", timezone="Mars/Base")
    assert caught.value.transient is False


def test_a_bad_time_format_is_a_tool_error(call: Callable[..., str]) -> None:
    with pytest.raises(ToolError, match="Expected HH:MM"):
        call("time.convert_time", source_timezone="UTC", time="noon", target_timezone="Asia/Tokyo")


@pytest.mark.parametrize("tool", ["time.what_day_is_it", "get_current_time", "helper.get_current_time"])
def test_an_unknown_tool_is_a_tool_error(servers: ServerLoop, tool: str) -> None:
    toolbox = servers.toolboxes["time"]
    with pytest.raises(ToolError, match=re.escape(f"no tool named '{tool}' on the MCP server 'time'")) as caught:
        servers.run(lambda: toolbox.call(tool, {}))
    assert caught.value.transient is False


def test_calls_run_concurrently_on_one_server(servers: ServerLoop) -> None:
    toolbox = servers.toolboxes["time"]
    zones = ["Europe/Lisbon", "Asia/Tokyo", "America/New_York", "Australia/Sydney"]

    async def all_at_once() -> list[str]:
        return list(await asyncio.gather(*(toolbox.call("time.get_current_time", {"timezone": z}) for z in zones)))

    assert [json.loads(answer)["timezone"] for answer in servers.run(all_at_once)] == zones


# What the reference server cannot show


def test_progress_notifications_reach_the_caller_in_order_before_the_result(servers: ServerLoop) -> None:
    toolbox = servers.toolboxes["helper"]
    heard: list[str] = []

    async def progress(text: str) -> None:
        heard.append(text)

    async def run() -> str:
        result = await toolbox.call("helper.steps", {"count": 3}, progress=progress)
        heard.append(result)
        return result

    assert servers.run(run) == "done"
    assert heard == ["step 1 (1/3)", "step 2 (2/3)", "step 3 (3/3)", "done"]


def test_a_call_that_outlasts_its_timeout_is_a_transient_tool_error(servers: ServerLoop) -> None:
    toolbox = servers.toolboxes["helper"]
    with pytest.raises(ToolError, match=r"helper\.stall did not finish within 0\.5 s") as caught:
        servers.run(lambda: toolbox.call("helper.stall", {}))
    assert caught.value.transient is True
    # The server was told to drop the call and keeps serving.
    assert servers.run(lambda: toolbox.call("helper.steps", {"count": 0})) == "done"


def test_other_content_is_summarised(servers: ServerLoop) -> None:
    toolbox = servers.toolboxes["helper"]
    assert servers.run(lambda: toolbox.call("helper.picture", {})) == "a chart\n[image]"


def test_a_server_that_crashes_mid_call_is_a_transient_tool_error() -> None:
    async def scenario() -> None:
        async with open_mcp_toolbox(HELPER_SERVER, name="helper", clock=SystemClock()) as toolbox:
            with pytest.raises(ToolError, match=r"closed the connection while helper\.crash ran") as caught:
                await toolbox.call("helper.crash", {})
            assert caught.value.transient is True
            with pytest.raises(ToolError, match="closed the connection"):
                await toolbox.call("helper.steps", {"count": 1})

    asyncio.run(scenario())


# Start-up and shut-down


def test_a_command_that_does_not_exist_is_a_config_error_at_once() -> None:
    async def scenario() -> None:
        async with open_mcp_toolbox(["no-such-mcp-server", "--stdio"], name="nothing", clock=SystemClock()):
            pytest.fail("the block must not run")

    started = time.perf_counter()
    with pytest.raises(ConfigError, match="command 'no-such-mcp-server' not found"):
        asyncio.run(scenario())
    assert time.perf_counter() - started < 1.0


def test_a_server_that_exits_at_start_is_a_tool_error_with_its_last_words() -> None:
    async def scenario() -> None:
        command = [*TIME_SERVER[:-1], "Nowhere/Bogus"]
        async with open_mcp_toolbox(command, name="time", clock=SystemClock()):
            pytest.fail("the block must not run")

    with pytest.raises(ToolError, match="exited during start-up") as caught:
        asyncio.run(scenario())
    assert "invalid --local-timezone 'Nowhere/Bogus'" in str(caught.value)
    assert caught.value.transient is False


@asynccontextmanager
async def watched(command: list[str]) -> AsyncIterator[McpToolbox]:
    """A toolbox whose server must be gone (reaped) and whose tasks must be done once it closes."""
    before = children()
    spawned: set[int] = set()
    try:
        async with open_mcp_toolbox(command, name="time", clock=SystemClock()) as toolbox:
            spawned = children() - before
            assert len(spawned) == 1
            yield toolbox
    finally:
        assert not children() & spawned, "the server process outlived its toolbox"
        assert asyncio.all_tasks() == {asyncio.current_task()}, "the toolbox left tasks behind"


@pytest.mark.parametrize("ending", ["normally", "raising", "cancelled"])
def test_the_server_process_is_gone_however_the_block_ends(ending: str) -> None:
    async def scenario() -> McpToolbox:
        async with watched(TIME_SERVER) as toolbox:
            await toolbox.call("time.get_current_time", {"timezone": "UTC"})
            if ending == "raising":
                raise KeyError("from the block")
            if ending == "cancelled":
                task = asyncio.current_task()
                assert task is not None
                task.cancel()
                await asyncio.Event().wait()
        return toolbox

    if ending == "normally":
        toolbox = asyncio.run(scenario())
        with pytest.raises(ToolError, match="is shut down"):
            asyncio.run(toolbox.call("time.get_current_time", {"timezone": "UTC"}))
    elif ending == "raising":  # the block's own exception, not wrapped in the SDK's exception groups
        with pytest.raises(KeyError, match="from the block") as caught:
            asyncio.run(scenario())
        assert caught.value.__context__ is None
    else:
        with pytest.raises(asyncio.CancelledError):
            asyncio.run(scenario())


@pytest.mark.parametrize(
    ("command", "options", "complaint"),
    [
        ([], {}, "needs a command"),
        (TIME_SERVER, {"name": "my time"}, "must be letters, digits"),
        (TIME_SERVER, {"name": "a.b"}, "must be letters, digits"),
        (TIME_SERVER, {"call_timeout": 0}, "call_timeout must be a positive number"),
    ],
)
def test_bad_arguments_are_config_errors(command: list[str], options: dict[str, Any], complaint: str) -> None:
    async def scenario() -> None:
        arguments: dict[str, Any] = {"name": "time", **options}
        async with open_mcp_toolbox(command, clock=SystemClock(), **arguments):
            pytest.fail("the block must not run")

    with pytest.raises(ConfigError, match=complaint):
        asyncio.run(scenario())


# The SDK is optional


def test_without_the_sdk_opening_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mcp", None)  # what `import mcp` finds when it is not installed

    async def scenario() -> None:
        async with open_mcp_toolbox(TIME_SERVER, name="time", clock=SystemClock()):
            pytest.fail("the block must not run")

    with pytest.raises(ConfigError, match=r"pip install 'microturn\[mcp\]'"):
        asyncio.run(scenario())


def test_importing_microturn_and_its_mcp_package_does_not_import_the_sdk() -> None:
    probe = "import sys, microturn, microturn._tools._mcp; print(sorted(m for m in sys.modules if m.startswith('mcp')))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
