"""``microturn chat --resume``: a crashed chat is rebuilt from its log and goes on, nothing typed lost.

The in-process tests drive the real console (prompt_toolkit through a pipe) in virtual time and
"crash" by tearing the chat down mid-session, as a dead process would leave it: no EndSession, no
SessionEnded, the journal as last written. The last test kills a real ``microturn chat`` process
with SIGKILL under a pseudo-terminal and resumes it in another.
"""

from __future__ import annotations

import asyncio
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import msgspec
import pytest
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput

from microturn._apps._cli import main
from microturn._apps._console import Resumption, chat, load_resumption
from microturn._apps._console._resume import RESUME
from microturn._bus import open_bus
from microturn._core._clock import CatchUpClock, VirtualClock
from microturn._core._codec import decode_log, encode_event
from microturn._core._config import SessionConfig
from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    Event,
    InputRejected,
    JobFailed,
    JobRequested,
    ModelChunk,
    Note,
    SessionEnded,
    SessionStarted,
    TimerFired,
    TimerSet,
    UserErase,
    UserInput,
    UserSubmit,
)
from microturn._core._limits import MAX_TEXT
from microturn._core._timeline import Timeline
from microturn._eval import compare_logs, replay_log
from microturn.errors import ConfigError

SESSION = "resume-test"
ENTER, CTRL_D = "\r", "\x04"
DEADLINE = 600.0  # virtual seconds: a chat that never ends fails the test instead of hanging it

Script = Callable[[PipeInput, VirtualClock], Awaitable[None]]


class Crash(Exception):
    """The process dies here: the chat stops dead, with no EndSession and no SessionEnded."""


async def advance(clock: VirtualClock, seconds: float) -> None:
    await clock.sleep_until(clock.now() + seconds)


async def type_text(keys: PipeInput, clock: VirtualClock, text: str) -> None:
    for char in text:
        keys.send_text(char)
        await advance(clock, 0.1)


def run(script: Script, log_dir: Path, *, resume: Resumption | None = None) -> None:
    """Chat on a journalled bus while ``script`` types; a Crash it raises ends the chat as a kill would."""
    clock = VirtualClock() if resume is None else VirtualClock(wall_epoch=resume.started.wall)

    async def session() -> None:
        bus = open_bus("memory", log_dir=log_dir)
        try:
            with create_pipe_input() as keys:
                async with clock.timeout_at(clock.now() + DEADLINE), asyncio.TaskGroup() as tasks:
                    tasks.create_task(
                        chat(
                            config=SessionConfig(),
                            clock=clock,
                            bus=bus,
                            terminal_input=keys,
                            terminal_output=DummyOutput(),
                            session_id=SESSION,
                            resume=resume,
                        )
                    )
                    await advance(clock, 0.5)
                    await script(keys, clock)
        finally:
            await bus.aclose()

    try:
        clock.run(session())
    except* Crash:
        pass


def read(path: Path) -> list[Event]:
    return list(decode_log(path.read_bytes()))


def typed(log: list[Event]) -> str:
    """Everything typed on the console, submitted lines joined by '|'."""
    text = ""
    for event in log:
        if isinstance(event, UserInput):
            text += event.text
        elif isinstance(event, UserErase):
            text = text[: len(text) - event.count]
        elif isinstance(event, UserSubmit):
            text += "|"
    return text


async def before_the_crash(keys: PipeInput, clock: VirtualClock) -> None:
    await type_text(keys, clock, "what is two plus three")
    keys.send_text(ENTER)
    await advance(clock, 5.0)  # the answer is spoken
    await type_text(keys, clock, "and then")  # typed, not submitted
    await advance(clock, 0.5)
    raise Crash


async def after_resuming(keys: PipeInput, clock: VirtualClock) -> None:
    # The console starts once the old session is rebuilt (8.4 s in); the user goes on typing at once.
    await clock.sleep_until(8.6)
    await type_text(keys, clock, " ten plus one")
    keys.send_text(ENTER)
    await advance(clock, 5.0)
    keys.send_text(CTRL_D)
    await advance(clock, 1.0)


def crashed_chat(tmp_path: Path) -> Path:
    run(before_the_crash, tmp_path)
    log = tmp_path / f"{SESSION}.jsonl"
    assert not any(isinstance(event, SessionEnded) for event in read(log))
    return log


def test_a_crashed_chat_resumes_with_its_conversation_and_unsubmitted_typing(tmp_path: Path) -> None:
    old_log = crashed_chat(tmp_path)
    old = read(old_log)

    resumption = load_resumption(old_log)
    assert resumption.line == "and then"
    assert resumption.session_id == f"{SESSION}.r1"
    assert resumption.history() == "you: what is two plus three\nagent: 2 plus 3 is 5."
    run(after_resuming, tmp_path, resume=resumption)

    new = read(tmp_path / f"{SESSION}.r1.jsonl")
    # The new log starts with the old session rebuilt: the same events, under the new session id.
    assert isinstance(new[0], SessionStarted)
    assert new[0].session == f"{SESSION}.r1"
    assert [encode_event(event) for event in new[1 : len(old)]] == [encode_event(event) for event in old[1:]]
    note = next(event for event in new if isinstance(event, Note) and event.source == RESUME)
    assert note.seq >= len(old)
    assert note.text.startswith("session resumed after a crash")
    assert note.t >= old[-1].t  # session time carries on
    # Nothing typed was lost: the unsubmitted words are finished and submitted after the resume.
    assert typed(new) == "what is two plus three|and then ten plus one|"
    reply = [event for event in new if isinstance(event, AgentSpeechStarted)][-1]
    assert reply.seq > note.seq
    assert reply.reply_to == "and then ten plus one"
    assert any(isinstance(event, AgentWord) and event.utterance == reply.utterance for event in new)
    # The agent's context holds the whole conversation, the earlier answer included.
    timeline = Timeline()
    for event in new[: reply.seq]:
        timeline.feed(event)
    assert "what is two plus three" in timeline.text
    assert "5" in timeline.text


def test_the_resumed_log_replays_on_its_own_byte_for_byte(tmp_path: Path) -> None:
    run(after_resuming, tmp_path, resume=load_resumption(crashed_chat(tmp_path)))
    data = (tmp_path / f"{SESSION}.r1.jsonl").read_bytes()

    compare_logs(data, replay_log(data))


def test_a_timer_set_before_the_crash_fires_after_the_resume(tmp_path: Path) -> None:
    async def set_a_timer(keys: PipeInput, clock: VirtualClock) -> None:
        await type_text(keys, clock, "remind me in 5 seconds to stretch")
        keys.send_text(ENTER)
        await advance(clock, 2.0)  # acknowledged; the timer is due 5 s after the request
        raise Crash

    async def wait(keys: PipeInput, clock: VirtualClock) -> None:
        await advance(clock, 15.0)
        keys.send_text(CTRL_D)
        await advance(clock, 1.0)

    run(set_a_timer, tmp_path)
    run(wait, tmp_path, resume=load_resumption(tmp_path / f"{SESSION}.jsonl"))

    new = read(tmp_path / f"{SESSION}.r1.jsonl")
    (timer,) = [event for event in new if isinstance(event, TimerSet)]
    note = next(event for event in new if isinstance(event, Note) and event.source == RESUME)
    (fired,) = [event for event in new if isinstance(event, TimerFired)]
    assert timer.seq < note.seq < fired.seq
    assert fired.t == pytest.approx(timer.due)


def test_a_chat_that_ended_resumes_too(tmp_path: Path) -> None:
    async def ask_and_quit(keys: PipeInput, clock: VirtualClock) -> None:
        await type_text(keys, clock, "what is two plus three")
        keys.send_text(ENTER)
        await advance(clock, 5.0)
        keys.send_text(CTRL_D)
        await advance(clock, 1.0)

    async def ask_again(keys: PipeInput, clock: VirtualClock) -> None:
        await advance(clock, 10.0)
        await type_text(keys, clock, "and ten plus one")
        keys.send_text(ENTER)
        await advance(clock, 5.0)
        keys.send_text(CTRL_D)
        await advance(clock, 1.0)

    run(ask_and_quit, tmp_path)
    run(ask_again, tmp_path, resume=load_resumption(tmp_path / f"{SESSION}.jsonl"))

    new = read(tmp_path / f"{SESSION}.r1.jsonl")
    note = next(event for event in new if isinstance(event, Note) and event.source == RESUME)
    assert note.text.startswith("session resumed after it ended")
    assert [event.reason for event in new if isinstance(event, SessionEnded)] == ["user quit"]  # only the new end
    assert replied_to("and ten plus one", new)


def test_input_the_old_loop_never_recorded_is_taken_from_the_ingress_journal(tmp_path: Path) -> None:
    old_log = crashed_chat(tmp_path)
    # The crash came between the ingress taking a key in and the loop recording it.
    ingress = tmp_path / f"{SESSION}.in.jsonl"
    key = UserInput(text="!", t=read(old_log)[-1].t + 0.05, source="console", seq=len(read(ingress)))
    with ingress.open("ab") as file:
        file.write(encode_event(key) + b"\n")

    resumption = load_resumption(old_log)

    assert [event.text for event in resumption.leftovers if isinstance(event, UserInput)] == ["!"]
    assert resumption.line == "and then!"


def test_a_torn_last_line_is_left_out_and_reported(tmp_path: Path) -> None:
    old_log = crashed_chat(tmp_path)
    whole = read(old_log)
    with old_log.open("ab") as file:
        file.write(b'{"v":1,"e":{"kind":"UserInp')

    resumption = load_resumption(old_log)

    assert resumption.torn
    assert len(resumption.events) == len(whole)


def test_a_job_the_crash_cut_off_is_reported_as_lost(tmp_path: Path) -> None:
    old_log = crashed_chat(tmp_path)
    job = JobRequested(job="bg-9", task="find a hotel", t=read(old_log)[-1].t, source="agent")
    with old_log.open("ab") as file:
        file.write(encode_event(job) + b"\n")

    (lost,) = load_resumption(old_log).lost(now=30.0)

    assert isinstance(lost, JobFailed)
    assert (lost.job, lost.t, lost.source) == ("bg-9", 30.0, RESUME)
    assert "crashed" in lost.reason


def test_resuming_twice_numbers_the_new_logs(tmp_path: Path) -> None:
    old_log = crashed_chat(tmp_path)
    (tmp_path / f"{SESSION}.r1.jsonl").write_bytes(old_log.read_bytes())

    assert load_resumption(old_log).session_id == f"{SESSION}.r2"
    assert load_resumption(tmp_path / f"{SESSION}.r1.jsonl").session_id == f"{SESSION}.r2"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        (b"hello\n", "is not a session log"),
        (b"", "is not a session log"),
        (encode_event(Note(text="x")) + b"\n", "does not start with SessionStarted"),
    ],
)
def test_resume_checks_its_log_before_the_chat_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    log = tmp_path / "chat.jsonl"
    if content is not None:
        log.write_bytes(content)

    with pytest.raises(ConfigError, match=message):
        load_resumption(log)
    assert main(["chat", "--model", "scripted", "--resume", str(log)]) == 2
    assert message in capsys.readouterr().err


def test_a_catch_up_clock_jumps_until_it_goes_live_then_follows_real_time() -> None:
    clock = CatchUpClock(start=0.0)

    async def main() -> tuple[float, float, float]:
        await clock.sleep_until(100.0)  # virtual: no real waiting
        jumped = clock.now()
        clock.go_live()
        started = time.monotonic()
        await clock.sleep_until(clock.now() + 0.05)
        return jumped, clock.now(), time.monotonic() - started

    jumped, after, waited = clock.run(main())
    assert jumped == pytest.approx(100.0)
    assert after == pytest.approx(100.05, abs=0.04)
    assert waited >= 0.04  # live: it really waited
    with pytest.raises(RuntimeError, match="cannot jump"):
        clock.jump(1.0)


# --- a real process, killed ----------------------------------------------------------------------------


def replied_to(text: str, log: list[Event]) -> bool:
    """Has the agent finished speaking a reply to ``text``?"""
    replies = {event.utterance for event in log if isinstance(event, AgentSpeechStarted) and event.reply_to == text}
    return any(isinstance(event, AgentSpeechEnded) and event.utterance in replies for event in log)


class Terminal:
    """A ``microturn chat`` process on a pseudo-terminal: keys in, screen out."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self._fd, child = pty.openpty()
        command = [sys.executable, "-m", "microturn._apps._cli", "chat", "--model", "scripted", *args]
        self.process = subprocess.Popen(command, stdin=child, stdout=child, stderr=child, cwd=cwd, close_fds=True)
        os.close(child)
        self.screen = b""

    def wait_for(self, check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; screen: {self.screen[-2000:]!r}")
            self.pump(0.05)

    def pump(self, seconds: float) -> None:
        ready, _, _ = select.select([self._fd], [], [], seconds)
        if ready:
            try:
                self.screen += os.read(self._fd, 65536)
            except OSError:  # the process is gone
                time.sleep(seconds)

    def type(self, text: str) -> None:
        for char in text:
            os.write(self._fd, char.encode())
            self.pump(0.03)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        os.close(self._fd)


def test_a_sigkilled_chat_resumes_with_nothing_lost(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    first = Terminal("--log-dir", str(logs), cwd=tmp_path)
    try:
        first.wait_for(lambda: b"Ctrl-D quits" in first.screen, "the chat to start")
        first.type("what is two plus three")
        first.type(ENTER)
        (log,) = logs.glob("chat-*[0-9].jsonl")
        first.wait_for(lambda: replied_to("what is two plus three", read(log)), "the answer")
        first.type("and then")
        first.wait_for(lambda: typed(read(log)).endswith("and then"), "the typing to be logged")
        first.process.send_signal(signal.SIGKILL)
        assert first.process.wait(timeout=10) == -signal.SIGKILL
    finally:
        first.close()
    assert not any(isinstance(event, SessionEnded) for event in read(log))

    second = Terminal("--resume", str(log), cwd=tmp_path)
    new_log = log.with_name(log.stem + ".r1.jsonl")
    try:
        second.wait_for(lambda: b"session resumed after a crash" in second.screen, "the resumed chat")
        second.type(" ten plus one")
        second.type(ENTER)
        second.wait_for(lambda: replied_to("and then ten plus one", read(new_log)), "a reply")
        second.type(CTRL_D)
        assert second.process.wait(timeout=30) == 0
    finally:
        second.close()

    new = read(new_log)
    assert typed(new) == "what is two plus three|and then ten plus one|"
    assert isinstance(new[-1], SessionEnded)


def test_model_output_the_loop_took_in_as_one_piece_is_not_taken_again(tmp_path: Path) -> None:
    # The loop joins the pieces of a model stream that queue up back to back into one ModelChunk; the
    # ingress journal has each piece. They are all recorded: none is input the old loop never recorded.
    old_log = crashed_chat(tmp_path)
    chunks = [event for event in read(tmp_path / f"{SESSION}.in.jsonl") if isinstance(event, ModelChunk)]
    assert len(chunks) > len([event for event in read(old_log) if isinstance(event, ModelChunk)])

    assert load_resumption(old_log).leftovers == []


def test_what_the_agent_said_after_the_last_input_is_rebuilt_not_said_again(tmp_path: Path) -> None:
    async def crash_after_the_answer(keys: PipeInput, clock: VirtualClock) -> None:
        await type_text(keys, clock, "what is two plus three")
        keys.send_text(ENTER)
        await advance(clock, 5.0)  # the answer is spoken, well after the model's last chunk came in
        raise Crash

    run(crash_after_the_answer, tmp_path)
    old = read(tmp_path / f"{SESSION}.jsonl")
    assert isinstance(old[-1], AgentSpeechEnded)
    # A key the old loop never recorded, which arrived while the agent spoke: it is fed in once the rest is.
    ingress = tmp_path / f"{SESSION}.in.jsonl"
    key = UserInput(text="!", t=old[-1].t - 1.0, source="console", seq=len(read(ingress)))
    with ingress.open("ab") as file:
        file.write(encode_event(key) + b"\n")
    run(after_resuming, tmp_path, resume=load_resumption(tmp_path / f"{SESSION}.jsonl"))

    new = read(tmp_path / f"{SESSION}.r1.jsonl")
    note = next(event for event in new if isinstance(event, Note) and event.source == RESUME)
    assert [encode_event(event) for event in new[1 : len(old)]] == [encode_event(event) for event in old[1:]]
    assert new[len(old)] == msgspec.structs.replace(key, t=old[-1].t, seq=len(old))  # then the key
    assert note.seq == len(old) + 1


def test_input_the_old_loop_refused_is_not_taken_again(tmp_path: Path) -> None:
    # A paste over the limit per input is in the ingress journal as typed and in the log as its refusal.
    async def paste_too_much(keys: PipeInput, clock: VirtualClock) -> None:
        await type_text(keys, clock, "hi")
        keys.send_text("\x1b[200~" + "x" * (MAX_TEXT + 1) + "\x1b[201~")  # a bracketed paste: one edit
        await advance(clock, 0.5)
        raise Crash

    run(paste_too_much, tmp_path)
    old_log = tmp_path / f"{SESSION}.jsonl"
    assert any(isinstance(event, InputRejected) for event in read(old_log))

    resumption = load_resumption(old_log)

    assert resumption.leftovers == []
    assert resumption.line == "hi"
