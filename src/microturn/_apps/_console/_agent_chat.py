"""``Agent.run_console()``: an agent of your own in the terminal chat."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from prompt_toolkit import print_formatted_text
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output

from microturn._apps._console._chat import banner
from microturn._apps._console._transcript import SHOWN
from microturn._apps._console._transport import SOURCE, ConsoleTransport
from microturn._bus import LogConfig, Start, open_bus
from microturn._core._clock import Clock, SystemClock, run_with_clock
from microturn._core._codec import encode_log

if TYPE_CHECKING:
    from microturn._agent import Agent

__all__ = ["run_agent_chat"]


def run_agent_chat(
    agent: Agent,
    *,
    record: Path | None = None,
    log_dir: Path | None = None,
    log_config: LogConfig | None = None,
    clock: Clock | None = None,
    terminal_input: Input | None = None,
    terminal_output: Output | None = None,
) -> None:
    """Chat with ``agent`` in the terminal until the user quits; then write the session log to ``record``.

    Without ``log_dir``, a ``record`` is journalled to a temporary folder meanwhile (the whole log is read
    back at the end, past the bus's in-memory window), removed once the record is written.
    """
    if record is not None and not record.parent.is_dir():
        from microturn.errors import ConfigError

        raise ConfigError(f"cannot record to {record}: the folder {record.parent} does not exist")
    chat_clock = clock or SystemClock()
    spill = Path(tempfile.mkdtemp(prefix="microturn-record-")) if record is not None and log_dir is None else None

    async def main() -> None:
        bus = open_bus("memory", log_dir=log_dir or spill, config=log_config)
        try:
            async with agent.session(clock=chat_clock, bus=bus) as talk:
                if log_dir is not None:
                    print_formatted_text(f"session log: {log_dir / (talk.id + '.jsonl')}", output=terminal_output)
                events = await bus.subscribe(talk.id, SOURCE, start=Start.BEGINNING, kinds=SHOWN)
                console = ConsoleTransport(
                    talk.session,
                    banner=banner(talk.session.config),
                    terminal_input=terminal_input,
                    terminal_output=terminal_output,
                )
                try:
                    await console.run(events)
                finally:
                    events.close()
            if record is not None:
                record.write_bytes(encode_log(await bus.read(talk.id)))  # noqa: ASYNC240 (the chat is over)
                print_formatted_text(f"session log written to {record}", output=terminal_output)
        finally:
            await bus.aclose()

    run_with_clock(chat_clock, main)
    if spill is not None:
        shutil.rmtree(spill, ignore_errors=True)
