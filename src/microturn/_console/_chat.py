"""``microturn chat``: a session, the console and the session log, wired together."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from pathlib import Path
from typing import Any

from prompt_toolkit import print_formatted_text
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output

from microturn._background import BackgroundLane, role_models
from microturn._bus import EventBus, Start, open_bus
from microturn._clock import Clock, SystemClock, run_with_clock
from microturn._codec import encode_log
from microturn._config import SessionConfig
from microturn._console._transcript import SHOWN
from microturn._console._transport import SOURCE, ConsoleTransport
from microturn._mcp import open_mcp_toolbox
from microturn._models._roles import ModelRoles, load_roles
from microturn._session import Session
from microturn._toolkit import ToolRegistry, builtin_tools
from microturn._tools import CombinedToolbox
from microturn.errors import ConfigError

__all__ = ["banner", "chat", "run_chat"]


async def chat(
    *,
    config: SessionConfig,
    clock: Clock,
    bus: EventBus,
    record: Path | None = None,
    terminal_input: Input | None = None,
    terminal_output: Output | None = None,
    session_id: str | None = None,
    tools: CombinedToolbox | ToolRegistry | None = None,
    roles: ModelRoles | None = None,
) -> None:
    """Chat in the terminal until the user quits; then write the session log to ``record`` if given.

    ``terminal_input`` and ``terminal_output`` default to the terminal; tests pass a pipe and a dummy.
    ``session_id`` defaults to one named after the start time, so chats on a durable bus never share
    a log. ``roles`` says which model talks and which works in the background; without it, the
    config's models do, with the settings the environment gives them.
    """
    toolbox = tools or ToolRegistry()
    roles = roles or load_roles(interaction=config.model, background=config.background_model)
    async with role_models(roles, clock=clock) as (model, agent):
        session = Session(
            bus=bus,
            clock=clock,
            config=config,
            session_id=session_id or _new_id(clock),
            model=model,
            tools=toolbox,
            tool_specs=toolbox.specs,
        )
        lane = BackgroundLane(
            session, clock=clock, agent=agent, tools=toolbox, tool_specs=toolbox.specs, scopes=config.scopes
        )
        # Subscribe before the session runs, so the console misses nothing the agent says.
        events = await bus.subscribe(session.id, SOURCE, start=Start.NEW, kinds=SHOWN)
        console = ConsoleTransport(
            session, banner=banner(config), terminal_input=terminal_input, terminal_output=terminal_output
        )
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(session.run())
                tasks.create_task(lane.run())
                tasks.create_task(console.run(events))
        finally:
            events.close()
    if record is not None:
        log = encode_log(await bus.read(session.id))
        # Written in the loop: the chat is over, and a worker thread would let a virtual clock
        # jump ahead while the write is under way.
        record.write_bytes(log)  # noqa: ASYNC240
        print_formatted_text(f"session log written to {record}", output=terminal_output)


def run_chat(
    *,
    config: SessionConfig,
    clock: Clock | None = None,
    bus: EventBus | None = None,
    log_dir: Path | None = None,
    record: Path | None = None,
    terminal_input: Input | None = None,
    terminal_output: Output | None = None,
    session_id: str | None = None,
    workspace: Path | None = None,
    mcp_servers: dict[str, list[str]] | None = None,
    roles: ModelRoles | None = None,
) -> None:
    """:func:`chat` on the event loop ``clock`` needs; real time unless told otherwise.

    The built-in tools (calculator, clock, sandboxed Python, and the files under ``workspace`` if
    given) are available, with the tools of the MCP servers named in ``mcp_servers`` (name -> command),
    within the scopes ``config`` grants; MCP tools are high risk, so each call asks the user first.

    Without a ``bus`` it opens (and closes) a memory bus of its own, journalled to ``log_dir`` if given.
    """
    if bus is not None and log_dir is not None:
        raise ConfigError("give run_chat a bus or a log_dir for the bus it opens, not both")
    chat_clock = clock or SystemClock()

    async def main() -> None:
        chat_bus = bus or open_bus("memory", log_dir=log_dir)
        try:
            async with contextlib.AsyncExitStack() as servers:
                toolboxes: list[Any] = [builtin_tools(clock=chat_clock, workspace=workspace)]
                for name, command in (mcp_servers or {}).items():
                    server = open_mcp_toolbox(command, name=name, clock=chat_clock, scopes=())
                    toolboxes.append(await servers.enter_async_context(server))
                await chat(
                    config=config,
                    clock=chat_clock,
                    bus=chat_bus,
                    record=record,
                    terminal_input=terminal_input,
                    terminal_output=terminal_output,
                    session_id=session_id,
                    tools=CombinedToolbox(toolboxes),
                    roles=roles,
                )
        finally:
            if bus is None:
                await chat_bus.aclose()

    run_with_clock(chat_clock, main)


def banner(config: SessionConfig) -> str:
    return (
        f"microturn chat (model: {config.model}, background: {config.background_model}, policy: {config.policy})\n"
        "The agent sees you type, as you type. Typing while it talks interrupts it.\n"
        "Enter ends your turn. Ctrl-D quits.\n"
    )


def _new_id(clock: Clock) -> str:
    started = dt.datetime.fromtimestamp(clock.wall(), tz=dt.UTC)
    return started.strftime("chat-%Y%m%d-%H%M%S")
