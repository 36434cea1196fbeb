"""A real terminal for tests: a command under a pseudo-terminal, its screen read by a VT100 emulator.

``pexpect`` runs the command on a pty of a fixed size; ``pyte`` interprets what it writes (cursor moves,
erases, colours) into the screen a person would see, scrollback included. Tests type as a person does
(one key at a time, with gaps) and wait, within a bound, for text to appear on that screen.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pexpect
import pyte

__all__ = ["Terminal"]

COLUMNS, ROWS = 120, 50


class Terminal:
    """``argv`` running under a pty; ``screen()`` is what the user sees, ``history()`` everything scrolled by."""

    def __init__(self, argv: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None) -> None:
        self._screen = pyte.HistoryScreen(COLUMNS, ROWS, history=5000)
        self._stream = pyte.Stream(self._screen)
        self._child = pexpect.spawn(
            argv[0],
            list(argv[1:]),
            cwd=str(cwd),
            env={**os.environ, "TERM": "xterm-256color", **(env or {})},
            encoding="utf-8",
            codec_errors="replace",
            dimensions=(ROWS, COLUMNS),
            timeout=None,
        )
        self.raw = ""  # everything written, escape codes included: for a failure's message

    def pump(self, seconds: float) -> None:
        """Read what the program writes for ``seconds`` (real time: the program runs in real time)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                chunk = self._child.read_nonblocking(65536, timeout=min(left, 0.1))
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                return
            self.raw += chunk
            self._stream.feed(chunk)

    def type(self, text: str, *, gap: float = 0.05) -> None:
        """Type ``text`` key by key, ``gap`` seconds apart, reading the screen meanwhile."""
        for char in text:
            self._child.send(char)
            self.pump(gap)

    def paste(self, text: str) -> None:
        self._child.send(text)

    def enter(self) -> None:
        self._child.send("\r")

    def send_control(self, char: str) -> None:
        self._child.sendcontrol(char)

    def screen(self) -> str:
        return "\n".join(line.rstrip() for line in self._screen.display)

    def history(self) -> str:
        """Every line that scrolled off the top, then the screen."""
        scrolled = [
            "".join(line[column].data for column in range(COLUMNS)).rstrip() for line in self._screen.history.top
        ]
        return "\n".join([*scrolled, self.screen()])

    def wait_for(self, found: Callable[[str], object], *, within: float, what: str) -> str:
        """Read until ``found(history())`` is truthy; fail after ``within`` seconds, showing the screen."""
        deadline = time.monotonic() + within
        while True:
            text = self.history()
            if found(text):
                return text
            if time.monotonic() > deadline or not self._child.isalive():
                raise AssertionError(f"waited {within:.0f} s for {what}; the terminal shows:\n{text[-4000:]}")
            self.pump(0.2)

    def wait_for_text(self, pattern: str, *, within: float, after: int = 0) -> re.Match[str]:
        """Wait until ``pattern`` (a regular expression) appears after character ``after`` of the history."""
        text = self.wait_for(lambda text: re.search(pattern, text[after:]), within=within, what=repr(pattern))
        match = re.search(pattern, text[after:])
        assert match is not None
        return match

    def exit_status(self, *, within: float) -> int:
        """Wait for the program to end; its exit status."""
        deadline = time.monotonic() + within
        while self._child.isalive():
            if time.monotonic() > deadline:
                self._child.terminate(force=True)
                raise AssertionError(f"the program did not end within {within:.0f} s:\n{self.history()[-3000:]}")
            self.pump(0.2)
        self.pump(0.1)
        self._child.close()
        status = self._child.exitstatus
        return status if status is not None else -(self._child.signalstatus or 0)

    def close(self) -> None:
        if self._child.isalive():
            self._child.terminate(force=True)
        self._child.close()
