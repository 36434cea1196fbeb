"""An MCP server's stderr: logged line by line, its last lines kept to explain a failure.

A server's stderr must not reach ours: the console transport owns the terminal, and a server that
logs every request would scribble over it. So the server writes into a pipe that the event loop
reads through a protocol (no task to own), and what it says goes to the ``microturn.mcp`` logger.
"""

from __future__ import annotations

import asyncio
import codecs
import collections
import logging
import os
from typing import TextIO

from microturn._core._clock import Clock

__all__ = ["ServerStderr"]

_logger = logging.getLogger("microturn.mcp")

TAIL_LINES = 20
"""How many of the server's last stderr lines are kept for error messages (the oldest drop off)."""

_LONGEST_LINE = 2000
"""Characters kept of one line; a server that never writes a newline cannot grow our buffer."""


class ServerStderr(asyncio.Protocol):
    """The read end of a server's stderr pipe; :attr:`writer` is the end to hand to the server."""

    def __init__(self, server: str, writer: TextIO) -> None:
        self.writer = writer
        self._server = server
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""
        self._tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self._transport: asyncio.BaseTransport | None = None
        self._closed = asyncio.Event()

    @classmethod
    async def open(cls, server: str) -> ServerStderr:
        """A new pipe whose read end the running loop watches."""
        read_fd, write_fd = os.pipe()
        reader = os.fdopen(read_fd, "rb", buffering=0)
        stderr = cls(server, os.fdopen(write_fd, "w", encoding="utf-8"))
        try:
            await asyncio.get_running_loop().connect_read_pipe(lambda: stderr, reader)
        except BaseException:
            reader.close()
            stderr.writer.close()
            raise
        return stderr

    def tail(self, lines: int = TAIL_LINES) -> list[str]:
        """The server's last ``lines`` lines of stderr, oldest first."""
        kept = [*self._tail, self._partial] if self._partial else list(self._tail)
        return kept[-lines:]

    def close_writer(self) -> None:
        """Drop our copy of the write end (once the server holds its own), so its exit reads as EOF."""
        self.writer.close()

    async def wait_closed(self, clock: Clock, deadline: float) -> None:
        """Wait until the server's end of the pipe closes (it exited), or until ``deadline``."""
        await clock.wait_until(self._closed, deadline)

    def close(self) -> None:
        self.writer.close()
        if self._transport is not None:
            self._transport.close()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        lines = (self._partial + self._decoder.decode(data)).split("\n")
        self._partial = lines.pop()[:_LONGEST_LINE]
        for line in lines:
            self._keep(line)

    def eof_received(self) -> bool | None:
        if self._partial:
            self._keep(self._partial)
            self._partial = ""
        return None  # let the transport close itself

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed.set()

    def _keep(self, line: str) -> None:
        line = line.rstrip()[:_LONGEST_LINE]
        if line:
            self._tail.append(line)
            _logger.debug("MCP server %s: %s", self._server, line)
