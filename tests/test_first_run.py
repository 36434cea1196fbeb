"""The first run, as a new user makes it: the real ``microturn`` command in a real terminal, the embedded model.

One chat walks through the README's suggestions and the cases a first user tried (arithmetic, the time
somewhere, a story cut off and resumed, a reminder, a cue and its cancellation, a live translation and
its escape, a request no tool can serve); every assertion reads the screen a person would read (a VT100
emulator over a pseudo-terminal), never the session's internals. The command-line mistakes a user makes
each get a clear message before anything starts. The browser half is in tests/test_first_run_page.py.

This runs in real time (the model and the chat do), so every wait is bounded and generous: a slow
machine makes the test slower, never flaky in what it asserts.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from _terminal import Terminal

MICROTURN = str(Path(sys.executable).with_name("microturn"))
START = 120.0  # seconds: the model loads (and on a fresh machine is assembled) before the prompt shows
ANSWER = 45.0  # seconds: an answer of the embedded model on a loaded 2-core machine, its words at 0.4 s each


def agent_lines(text: str) -> list[str]:
    """The agent's lines on the screen, each joined back from the rows it wrapped onto."""
    lines: list[str] = []
    current: list[str] | None = None
    for row in text.splitlines():
        if row.startswith("agent:"):
            current = [row.removeprefix("agent:").strip()]
            lines.append("")
        elif current is not None and row and not re.match(r"^(you:|! |\(|─)", row):
            current.append(row.strip())
        else:
            current = None
        if current is not None:
            lines[-1] = " ".join(part for part in current if part)
    return lines


class Chat:
    """``microturn chat`` as the README starts it, driven by a typing user."""

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal

    def ask(self, line: str, *, done: str = r"\S", within: float = ANSWER) -> str:
        """Type ``line`` and Enter; the agent's first complete line after it that matches ``done``."""
        before = len(agent_lines(self.terminal.history()))
        self.terminal.type(line)
        self.terminal.enter()
        return self.next_line(before, done=done, within=within)

    def next_line(self, before: int, *, done: str = r"\S", within: float = ANSWER) -> str:
        """The first of the agent's lines after the ``before`` first that is complete and matches ``done``."""

        def found(text: str) -> str | None:
            lines = agent_lines(text)[before:]
            complete = lines if self._agent_quiet(text) else lines[:-1]
            return next((line for line in complete if re.search(done, line, re.IGNORECASE)), None)

        text = self.terminal.wait_for(found, within=within, what=f"an agent line matching {done!r}")
        line = found(text)
        assert line is not None
        return line

    def _agent_quiet(self, text: str) -> bool:
        """The agent's last line is finished: nothing more arrived over a short read."""
        self.terminal.pump(1.0)
        return self.terminal.history() == text


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chat]:
    folder = tmp_path_factory.mktemp("first-run")
    terminal = Terminal([MICROTURN, "chat"], cwd=folder)
    try:
        terminal.wait_for_text(r"(?m)^you:", within=START)
        yield Chat(terminal)
        terminal.send_control("d")
        assert terminal.exit_status(within=30) == 0
    finally:
        terminal.close()


def test_the_start_screen_is_clean(chat: Chat) -> None:
    screen = chat.terminal.history()
    assert screen.count("microturn chat (") == 1, screen  # the header, once
    assert "llama" not in screen, screen  # no library's log on the user's screen
    assert "WARNING" not in screen, screen
    assert "scripted" not in screen, screen  # the default agent is the real model, not the fake
    assert "Ctrl-D quits" in screen
    assert "not saved: --record FILE" in screen  # where the log is (here: that there is none, and how to keep one)


def test_arithmetic_is_computed(chat: Chat) -> None:
    assert "391" in chat.ask("what's 17 times 23?", done="391|\\d")


def test_arithmetic_in_words(chat: Chat) -> None:
    assert "144" in chat.ask("what is twelve times twelve", done="144|\\d")


def test_the_time_somewhere_is_its_local_time_in_words(chat: Chat) -> None:
    now = dt.datetime.now(ZoneInfo("Asia/Tokyo"))
    line = chat.ask("what time is it in Tokyo", done=r"\d|o'clock")
    assert not re.search(r"\d{4}-\d\d-\d\d|T\d\d:\d\d|\+\d\d:\d\d", line), line  # no ISO timestamp read out
    hours = {now.hour % 12 or 12, (now + dt.timedelta(minutes=2)).hour % 12 or 12}  # the minute may turn
    assert any(re.search(rf"\b{hour}\b", line) for hour in hours), (line, now)


def test_a_request_no_tool_can_serve_is_declined_plainly(chat: Chat) -> None:
    line = chat.ask("can you find me a hotel in Porto", done=r"can't|cannot|no tool|not able|unable", within=2 * ANSWER)
    assert re.search(r"--mcp|search|tool", line, re.IGNORECASE), line  # and says what would make it possible
    assert not re.search(r"\d{4}-\d\d-\d\dT", chat.terminal.history()), "a raw timestamp was read out"


def test_a_story_is_a_story_and_stops_when_asked(chat: Chat) -> None:
    terminal = chat.terminal
    before = len(agent_lines(terminal.history()))
    terminal.type("tell me a story")
    terminal.enter()
    terminal.wait_for(
        lambda text: len(" ".join(agent_lines(text)[before:]).split()) >= 6, within=ANSWER, what="a story"
    )
    terminal.type("wait")  # no Enter: a typed pause is not the end of the turn
    terminal.pump(4.0)
    story = agent_lines(terminal.history())[before:]
    assert story, "no story"
    assert story[0].endswith("—"), story  # cut where the user cut in
    assert len(story) == 1, story  # and no reply to a "wait" that was never sent
    told = story[0].removesuffix("—").split()
    terminal.type(" ok go on")
    terminal.enter()
    more = chat.next_line(before + 1, within=ANSWER)
    assert more.split()[:3] != told[:3], (told, more)  # it goes on, it does not start again
    sentences = [s.strip().lower() for s in re.split(r"[.!?]", " ".join([*told, more])) if s.strip()]
    assert len(sentences) == len(set(sentences)), sentences  # never the same sentence twice


def test_a_reminder_fires(chat: Chat) -> None:
    before = len(agent_lines(chat.terminal.history()))
    chat.ask("remind me in 10 seconds to stretch", done="10|ten")
    assert "stretch" in chat.next_line(before + 1, done="stretch", within=30).lower()


def test_a_cue_is_set_told_how_to_stop_and_never_cuts_the_agent(chat: Chat) -> None:
    ack = chat.ask("tell me when I mention a number", done="number")
    assert re.search(r"cancel|stop", ack, re.IGNORECASE), ack  # the user is told how to end it
    assert re.search(r"\b(3|three)\b", chat.ask("I have three cats", done=r"\b(3|three)\b"), re.IGNORECASE)
    before = len(agent_lines(chat.terminal.history()))
    chat.ask("how many days are in a week?", done=r"\S")
    chat.terminal.pump(3.0)
    replies = agent_lines(chat.terminal.history())[before:]
    assert replies, "no reply"
    assert not any("(stopped)" in line or line in {"", "—"} for line in replies), replies
    assert re.search(r"okay|stopped|won't", chat.ask("cancel the cue", done=r"\S"), re.IGNORECASE)
    before = len(agent_lines(chat.terminal.history()))
    chat.ask("I have two dogs", done=r"\S")
    chat.terminal.pump(2.0)
    assert not any(re.search(r"number", line, re.IGNORECASE) for line in agent_lines(chat.terminal.history())[before:])


def test_a_live_translation_gets_words_and_stops_when_asked(chat: Chat) -> None:
    ack = chat.ask("translate into Spanish as I speak", done="spanish")
    assert re.search(r"stop", ack, re.IGNORECASE), ack  # the user is told how to end it
    before = len(agent_lines(chat.terminal.history()))
    chat.terminal.type("good morning my friend")
    chat.terminal.enter()
    chat.terminal.pump(8.0)
    said = agent_lines(chat.terminal.history())[before:]
    assert said, "no translation"
    assert not any(re.search(r"\b\w \w \w \w\b", line) for line in said), said  # words, not letters
    assert all(len(line.split()) <= 30 for line in said), said  # bounded: no runaway output
    stopped = chat.ask("stop translating", done="stop")
    assert re.search(r"stopped|okay", stopped, re.IGNORECASE), stopped
    assert "391" in chat.ask("what's 17 times 23?", done="391|\\d")  # an ordinary turn again


def test_cli_mistakes_get_a_clear_message_before_anything_starts(tmp_path: Path) -> None:
    cases = {
        ("chat", "--frobnicate"): r"usage: microturn chat",
        ("chat", "--grant", "bogus:scope"): r"bogus:scope.*(files:read|known)",
        ("chat", "--record", str(tmp_path / "missing" / "log.jsonl")): r"missing",
        ("chat", "--log-dir", str(tmp_path / "a-file")): r"a-file",
        ("serve", "--frobnicate"): r"usage: microturn serve",
    }
    (tmp_path / "a-file").write_text("not a folder")
    for argv, message in cases.items():
        terminal = Terminal([MICROTURN, *argv], cwd=tmp_path)
        try:
            status = terminal.exit_status(within=30)
            text = terminal.history()
        finally:
            terminal.close()
        assert status != 0, (argv, text)
        assert re.search(message, text, re.IGNORECASE | re.DOTALL), (argv, text)
        assert "Traceback" not in text, (argv, text)
