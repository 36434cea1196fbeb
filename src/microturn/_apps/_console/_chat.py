"""``microturn chat``: a session, the console and the session log, wired together."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Any

from prompt_toolkit import print_formatted_text
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output, create_output
from prompt_toolkit.output.vt100 import Vt100_Output

from microturn._apps._console._resume import CatchUp, HeldModel, HeldTools, Resumption
from microturn._apps._console._transcript import SHOWN
from microturn._apps._console._transport import SOURCE, ConsoleTransport
from microturn._background import BackgroundLane, role_models
from microturn._bus import EventBus, LogConfig, Start, open_bus
from microturn._core._clock import CatchUpClock, Clock, SystemClock, run_with_clock
from microturn._core._codec import encode_log
from microturn._core._config import SessionConfig
from microturn._core._tools import CombinedToolbox
from microturn._models._roles import ModelRoles, load_roles
from microturn._policies import recorded_options
from microturn._session import Session
from microturn._tools import ToolRegistry, builtin_tools
from microturn._tools._mcp import open_mcp_toolbox
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
    resume: Resumption | None = None,
    journal: Path | None = None,
) -> None:
    """Chat in the terminal until the user quits; then write the session log to ``record`` if given.
    ``journal``: the folder the bus journals the log to as it goes, shown to the user with ``record``.

    ``terminal_input`` and ``terminal_output`` default to the terminal; tests pass a pipe and a dummy.
    ``session_id`` defaults to one named after the start time, so chats on a durable bus never share
    a log. ``roles`` says which model talks and which works in the background; without it, the
    config's models do, with the settings the environment gives them. With ``resume``, the chat first
    rebuilds the session recorded there and then goes on with it (``_resume.py``; its config and
    session id win).
    """
    toolbox = tools or ToolRegistry()
    terminal_output = terminal_output or _terminal()
    if resume is not None:
        config, session_id = resume.config, resume.session_id
    roles = roles or load_roles(interaction=config.model, background=config.background_model)
    catch_up = None if resume is None else CatchUp(resume, clock=clock)
    async with role_models(roles, clock=clock) as (model, agent):
        session = Session(
            bus=bus,
            clock=clock,
            config=config,
            session_id=session_id or _new_id(clock),
            model=model if catch_up is None else HeldModel.around(model, catch_up.caught_up),
            tools=toolbox if catch_up is None else HeldTools(toolbox, catch_up.caught_up),
            tool_specs=toolbox.specs,
            replay=catch_up,
        )
        if catch_up is not None:
            catch_up.attach(session)
        lane = BackgroundLane(
            session, clock=clock, agent=agent, tools=toolbox, tool_specs=toolbox.specs, scopes=config.scopes
        )
        # Subscribe before the session runs, so the console misses nothing the agent says.
        events = await bus.subscribe(session.id, SOURCE, start=Start.NEW, kinds=SHOWN)
        try:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(session.run())
                since, text, line = 0, banner(session.config) + _log_note(record, journal, session.id), ""
                if catch_up is not None:
                    # The console and the lane join once the session has caught up with the old log.
                    await catch_up.caught_up.wait()
                    since, line = session.log_length, catch_up.resumption.line
                    text += f"{catch_up.resumption.history()}\n({catch_up.note})"
                    events.close()
                    events = await bus.subscribe(session.id, SOURCE, start=since, kinds=SHOWN)
                console = ConsoleTransport(
                    session, banner=text, terminal_input=terminal_input, terminal_output=terminal_output, line=line
                )
                tasks.create_task(lane.run(since=since))
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
    log_config: LogConfig | None = None,
    record: Path | None = None,
    terminal_input: Input | None = None,
    terminal_output: Output | None = None,
    session_id: str | None = None,
    workspace: Path | None = None,
    mcp_servers: dict[str, list[str]] | None = None,
    roles: ModelRoles | None = None,
    resume: Resumption | None = None,
) -> None:
    """:func:`chat` on the event loop ``clock`` needs; real time unless told otherwise.

    The built-in tools (calculator, clock, sandboxed Python, and the files under ``workspace`` if
    given) are available, with the tools of the MCP servers named in ``mcp_servers`` (name -> command),
    within the scopes ``config`` grants; MCP tools are high risk, so each call asks the user first.

    Without a ``bus`` it opens (and closes) a memory bus of its own, journalled to ``log_dir`` if given
    (``log_config``: how, see docs/durability.md). With ``resume`` (see :func:`load_resumption`) it
    continues that session, journalled to the resumption's ``log_dir``, on a clock that catches up in
    virtual time and then goes live.
    """
    if bus is not None and log_dir is not None:
        raise ConfigError("give run_chat a bus or a log_dir for the bus it opens, not both")
    if resume is not None and bus is None:
        log_dir = resume.log_dir
    chat_clock = clock or (SystemClock() if resume is None else CatchUpClock(wall_epoch=resume.started.wall))
    spill: Path | None = None
    if record is not None and bus is None and log_dir is None:
        # ``record`` reads the whole log back at the end, past the bus's in-memory window: journal it
        # meanwhile (it is removed once the record is written; kept if writing the record fails).
        log_dir = spill = Path(tempfile.mkdtemp(prefix="microturn-record-"))

    async def main() -> None:
        chat_bus = bus or open_bus("memory", log_dir=log_dir, config=log_config)
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
                    resume=resume,
                    journal=None if log_dir is None or log_dir == spill else log_dir,
                )
        finally:
            if bus is None:
                await chat_bus.aclose()
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)  # the record was written: the chat ended normally

    run_with_clock(chat_clock, main)


def banner(config: SessionConfig) -> str:
    """The chat's first lines: which models, policy and decisions, how it works, and any fake plainly named as one.

    ``config`` is the session's (``Session.config``), which names the decisions it runs; a resumed log that names
    none ran with the rules, and goes on with them."""
    roles = (("talking", config.model), ("background", config.background_model))
    fakes = [role for role, model in roles if model == "scripted"]
    note = (
        f"(scripted: the {' and the '.join(fakes)} model {'are' if len(fakes) > 1 else 'is'} a deterministic "
        "fake, for tests; choose a real one with --model or --background-model)\n"
    )
    decisions = recorded_options(config.policy, config.policy_options).get("decisions")
    policy = config.policy if decisions is None else f"{config.policy}, decisions: {decisions}"
    return (
        f"microturn chat (model: {config.model}, background: {config.background_model}, policy: {policy})\n"
        + (note if fakes else "")
        + "The agent sees you type, as you type. Typing while it talks interrupts it.\n"
        "Enter ends your turn. Ctrl-D quits.\n"
    )


def _terminal() -> Output:
    """The terminal, without cursor position requests: the chat does not need them, and a terminal that does
    not answer them (a pseudo-terminal, some IDE consoles) got prompt_toolkit's warning printed over the chat."""
    output = create_output()
    if isinstance(output, Vt100_Output):
        output.enable_cpr = False
    return output


def _log_note(record: Path | None, journal: Path | None, session_id: str) -> str:
    """Where the user will find this chat's log: said at the start, not discovered after the fact."""
    if journal is not None:
        return f"The session log is kept in {journal / f'{session_id}.jsonl'} as you go.\n"
    if record is not None:
        return f"The session log will be written to {record} when you quit.\n"
    return "This chat is not saved: --record FILE writes its log when you quit, --log-dir DIR as you go.\n"


def _new_id(clock: Clock) -> str:
    started = dt.datetime.fromtimestamp(clock.wall(), tz=dt.UTC)
    return started.strftime("chat-%Y%m%d-%H%M%S")
