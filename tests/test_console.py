"""The console transport, driven through the real prompt_toolkit Application in virtual time.

Keys go in through a pipe (prompt_toolkit's test input), the screen is a DummyOutput, and every
assertion reads the session log, which is what the agent saw.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.output.plain_text import PlainTextOutput

from microturn import Agent, tool
from microturn._apps._console import ConsoleTransport, chat, run_agent_chat, run_chat
from microturn._apps._console._keystrokes import KEY_HOLD, edits
from microturn._apps._console._transcript import SHOWN, Transcript
from microturn._bus import EventBus, LogConfig, Start, StartAt, Subscription, open_bus
from microturn._core._clock import VirtualClock
from microturn._core._codec import decode_log
from microturn._core._config import SessionConfig
from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    EndReason,
    EndSession,
    Event,
    InputRejected,
    SessionEnded,
    SessionStarted,
    UserErase,
    UserInput,
    UserSubmit,
)
from microturn._models._scripted import STORY
from microturn._session import Session, ingress
from microturn.errors import BusError, ConfigError

SESSION = "console-test"
ENTER, BACKSPACE, CTRL_C, CTRL_D = "\r", "\x7f", "\x03", "\x04"
DEADLINE = 600.0  # virtual seconds: a chat that never ends fails the test instead of hanging it

Script = Callable[[PipeInput, VirtualClock], Awaitable[None]]


async def advance(clock: VirtualClock, seconds: float) -> None:
    await clock.sleep_until(clock.now() + seconds)


async def type_text(keys: PipeInput, clock: VirtualClock, text: str, *, gap: float = 0.1) -> None:
    for char in text:
        keys.send_text(char)
        await advance(clock, gap)


def run_chat_script(
    script: Script, *, record: Path | None = None, bus: EventBus | None = None, config: SessionConfig | None = None
) -> list[Event]:
    """Chat on a fresh session while ``script`` types; return the session log once the chat ended."""
    clock = VirtualClock()
    chat_bus = bus or open_bus("memory")

    async def main() -> list[Event]:
        with create_pipe_input() as keys:
            async with clock.timeout_at(clock.now() + DEADLINE), asyncio.TaskGroup() as tasks:
                tasks.create_task(
                    chat(
                        config=config or SessionConfig(),
                        clock=clock,
                        bus=chat_bus,
                        record=record,
                        terminal_input=keys,
                        terminal_output=DummyOutput(),
                        session_id=SESSION,
                    )
                )
                await advance(clock, 0.5)
                await script(keys, clock)
        return await chat_bus.read(SESSION)

    return clock.run(main())


def typed(log: list[Event]) -> str:
    """The line as the session saw it being typed, replaying inputs and erasures."""
    text = ""
    for event in log:
        if isinstance(event, UserInput):
            text += event.text
        elif isinstance(event, UserErase):
            text = text[: len(text) - event.count]
    return text


def spoken(log: list[Event], utterance: int) -> str:
    return " ".join(e.word for e in log if isinstance(e, AgentWord) and e.utterance == utterance)


# --- the whole chat, through the real Application -------------------------------------------------------


def test_typed_question_streams_keystrokes_and_gets_the_answer() -> None:
    async def script(keys: PipeInput, clock: VirtualClock) -> None:
        await type_text(keys, clock, "what is two plus three")
        keys.send_text(ENTER)
        await advance(clock, 5.0)
        keys.send_text(CTRL_D)

    log = run_chat_script(script)

    inputs = [e for e in log if isinstance(e, UserInput)]
    assert "".join(e.text for e in inputs) == "what is two plus three"
    assert {e.source for e in inputs} == {"console"}
    # Keystrokes reach the session as they are typed, each at its own time, not all at Enter.
    times = [e.t for e in inputs]
    assert times == sorted(times)
    assert times[-1] - times[0] == pytest.approx(0.1 * (len(inputs) - 1))
    submit = next(e for e in log if isinstance(e, UserSubmit))
    assert submit.seq > inputs[-1].seq
    started = next(e for e in log if isinstance(e, AgentSpeechStarted))
    assert started.seq > submit.seq
    assert "5" in spoken(log, started.utterance).split()[-1]


def test_the_chat_talks_with_the_embedded_model_offline() -> None:
    async def script(keys: PipeInput, clock: VirtualClock) -> None:
        await type_text(keys, clock, "what is the capital of france")
        keys.send_text(ENTER)
        await advance(clock, 120.0)  # the real model's compute is charged as measured: room for a loaded machine
        keys.send_text(CTRL_D)

    log = run_chat_script(script, config=SessionConfig(model="embedded"))

    first = log[0]
    assert isinstance(first, SessionStarted)
    assert first.config["model"] == "embedded"
    started = next(e for e in log if isinstance(e, AgentSpeechStarted))
    assert started.reply_to == "what is the capital of france"
    assert "paris" in spoken(log, started.utterance).lower()


def test_typing_while_the_agent_talks_interrupts_it_and_backspace_erases() -> None:
    async def script(keys: PipeInput, clock: VirtualClock) -> None:
        await type_text(keys, clock, "tell me a story")
        keys.send_text(ENTER)
        await advance(clock, 3.0)  # a few words into a long story
        keys.send_text("w")
        await advance(clock, 0.3)
        keys.send_text(BACKSPACE)
        await advance(clock, 0.3)
        keys.send_text(CTRL_D)

    log = run_chat_script(script)

    ended = next(e for e in log if isinstance(e, AgentSpeechEnded))
    assert ended.reason is EndReason.INTERRUPTED
    assert ended.delivered
    assert STORY.startswith(ended.delivered)
    assert ended.delivered == spoken(log, ended.utterance)
    barge_in = next(e for e in log if isinstance(e, UserInput) and e.text == "w")
    assert ended.cause == barge_in.seq  # the keystroke itself cut the agent off
    erase = next(e for e in log if isinstance(e, UserErase))
    assert erase.count == 1
    assert erase.seq > barge_in.seq
    assert typed(log[barge_in.seq :]) == ""


@pytest.mark.parametrize("key", [CTRL_D, CTRL_C], ids=["ctrl-d", "ctrl-c"])
def test_quit_key_ends_the_session_and_the_chat(key: str) -> None:
    async def script(keys: PipeInput, clock: VirtualClock) -> None:
        await type_text(keys, clock, "hel")
        keys.send_text(key)

    log = run_chat_script(script)

    assert isinstance(log[-2], EndSession)
    assert log[-2].reason == "user quit"
    assert log[-2].source == "console"
    assert isinstance(log[-1], SessionEnded)
    assert log[-1].reason == "user quit"


def test_closed_input_ends_the_session_like_quitting() -> None:
    async def script(keys: PipeInput, clock: VirtualClock) -> None:
        await type_text(keys, clock, "hi")
        keys.close()

    log = run_chat_script(script)

    assert isinstance(log[-1], SessionEnded)
    assert log[-1].reason == "user quit"


def test_record_writes_a_decodable_log(tmp_path: Path) -> None:
    record = tmp_path / "chat.jsonl"

    async def script(keys: PipeInput, clock: VirtualClock) -> None:
        await type_text(keys, clock, "what is two plus three" + ENTER)
        await advance(clock, 5.0)
        keys.send_text(CTRL_D)

    log = run_chat_script(script, record=record)

    assert list(decode_log(record.read_bytes())) == log


def test_a_stuck_bus_ends_the_chat_with_an_error_instead_of_dropping_keys() -> None:
    bus = StuckIngressBus()

    async def script(keys: PipeInput, clock: VirtualClock) -> None:
        keys.send_text("x" * 1100)  # more keystrokes than the outbox holds, none published
        await advance(clock, 1.0)

    with pytest.raises(ExceptionGroup) as caught:
        run_chat_script(script, bus=bus)
    assert caught.group_contains(BusError, match="Is the bus stuck", depth=None)


def test_run_chat_opens_a_journalled_bus_and_names_the_session_by_its_start(tmp_path: Path) -> None:
    record = tmp_path / "chat.jsonl"
    with create_pipe_input() as keys:
        keys.send_text("hello" + CTRL_D)  # typed ahead: read as soon as the console starts
        run_chat(
            config=SessionConfig(),
            clock=VirtualClock(),
            log_dir=tmp_path / "logs",
            record=record,
            terminal_input=keys,
            terminal_output=DummyOutput(),
        )

    logs = tmp_path / "logs"
    assert (logs / "chat-20260101-090000.jsonl").read_bytes() == record.read_bytes()
    assert isinstance(list(decode_log(record.read_bytes()))[-1], SessionEnded)
    # The quit overtakes the keys typed ahead of it in the session, but the ingress keeps them.
    assert typed(list(decode_log((logs / "chat-20260101-090000.in.jsonl").read_bytes()))) == "hello"


def test_record_keeps_a_chat_longer_than_the_in_memory_window(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = tmp_path / "chat.jsonl"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with create_pipe_input() as keys:
        keys.send_text("a long line that makes far more events than the window holds" + ENTER + CTRL_D)
        run_chat(
            config=SessionConfig(),
            clock=VirtualClock(),
            log_config=LogConfig(window=8),
            record=record,
            terminal_input=keys,
            terminal_output=DummyOutput(),
        )

    log = list(decode_log(record.read_bytes()))
    assert len(log) > 8 * 2
    assert [event.seq for event in log] == list(range(len(log)))  # whole, from the first event on
    assert isinstance(log[0], SessionStarted)
    assert isinstance(log[-1], SessionEnded)
    assert not list(scratch.iterdir())  # the temporary journal is gone once the record is written


def test_run_chat_takes_a_bus_or_a_log_dir_not_both(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not both"):
        run_chat(config=SessionConfig(), bus=open_bus("memory"), log_dir=tmp_path)


# --- the console on its own session --------------------------------------------------------------------


def test_console_shows_the_conversation_and_closes_when_the_session_ends() -> None:
    clock = VirtualClock()
    bus = open_bus("memory")

    async def main() -> ConsoleTransport:
        session = Session(bus=bus, clock=clock, session_id=SESSION)
        events = await bus.subscribe(SESSION, "console", start=Start.NEW, kinds=SHOWN)
        with create_pipe_input() as keys:
            console = ConsoleTransport(session, banner="banner", terminal_input=keys, terminal_output=DummyOutput())
            async with clock.timeout_at(clock.now() + DEADLINE), asyncio.TaskGroup() as tasks:
                tasks.create_task(session.run())
                tasks.create_task(console.run(events))
                await advance(clock, 0.5)
                await type_text(keys, clock, "what is two plus three" + ENTER)
                await advance(clock, 5.0)
                await type_text(keys, clock, "tell me a story" + ENTER)
                await advance(clock, 2.0)
                keys.send_text("x")
                await advance(clock, 0.3)  # less than the policy's end of turn: no reply to "x"
                # Someone else ends the session: the console notices and closes by itself.
                await session.inject(EndSession(reason="done elsewhere"), source="test")
        return console

    console = clock.run(main())

    lines = console.transcript.text.splitlines()
    assert lines[:3] == ["banner", "you: what is two plus three", "agent: 2 plus 3 is 5."]
    assert lines[3] == "you: tell me a story"
    assert lines[4].startswith("agent: Once upon a time")
    assert lines[4].endswith(" —")
    assert lines[5:] == ["(session ended: done elsewhere)"]


def test_a_paste_typed_key_by_key_keeps_bounded_undo_memory() -> None:
    # prompt_toolkit keeps a copy of the line per keystroke for undo: 100 KB typed key by key held gigabytes.
    clock = VirtualClock()
    bus = open_bus("memory")

    async def main() -> ConsoleTransport:
        session = Session(bus=bus, clock=clock, session_id=SESSION)
        events = await bus.subscribe(SESSION, "console", start=Start.NEW, kinds=SHOWN)
        with create_pipe_input() as keys:
            console = ConsoleTransport(session, terminal_input=keys, terminal_output=DummyOutput())
            async with clock.timeout_at(clock.now() + DEADLINE), asyncio.TaskGroup() as tasks:
                tasks.create_task(session.run())
                tasks.create_task(console.run(events))
                await advance(clock, 0.5)
                await type_text(keys, clock, "x" * 500, gap=0.01)
                await session.inject(EndSession(reason="done"), source="test")
        return console

    console = clock.run(main())

    buffer = console._line.buffer
    assert buffer.text == "x" * 500
    assert 0 < len(buffer._undo_stack) <= 100


# --- the pieces ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("", "h", [UserInput(text="h", duration=KEY_HOLD, t=1.0)]),
        ("he", "hello", [UserInput(text="llo", duration=KEY_HOLD, t=1.0)]),  # a paste is one chunk
        ("hello", "hel", [UserErase(count=2, t=1.0)]),
        (
            "cat sat",
            "cot sat",
            [UserErase(count=6, t=1.0), UserInput(text="ot sat", duration=KEY_HOLD, t=1.0)],
        ),
        ("same", "same", []),
    ],
    ids=["type", "paste", "backspace", "edit-mid-line", "no-change"],
)
def test_edits_turn_line_changes_into_end_of_line_keystrokes(before: str, after: str, expected: list[Event]) -> None:
    assert edits(before, after, t=1.0) == expected


def test_transcript_streams_agent_words_and_marks_how_speech_ended() -> None:
    transcript = Transcript("hello")
    for event in (
        AgentSpeechStarted(utterance=1),
        AgentWord(utterance=1, word="Once", duration=0.4),
        AgentWord(utterance=1, word="upon", duration=0.4),
        AgentSpeechEnded(utterance=1, reason=EndReason.INTERRUPTED, delivered="Once upon"),
        AgentSpeechStarted(utterance=2),
        AgentWord(utterance=2, word="Fine.", duration=0.4),
        AgentSpeechEnded(utterance=2, reason=EndReason.COMPLETED, delivered="Fine."),
        AgentSpeechStarted(utterance=3),
        AgentWord(utterance=3, word="Well", duration=0.4),
        AgentSpeechEnded(utterance=3, reason=EndReason.STOPPED, delivered="Well"),
        InputRejected(reason="not a JSON object frame", excerpt="{"),
    ):
        transcript.feed(event)

    assert transcript.text.splitlines() == [
        "hello",
        "agent: Once upon —",
        "agent: Fine.",
        "agent: Well — (stopped)",
        "! input rejected: not a JSON object frame",
    ]


def test_transcript_shows_a_run_of_the_same_rejection_once_with_a_count() -> None:
    # A paste typed key by key past the turn limit is refused key by key.
    transcript = Transcript("hello")
    over = InputRejected(reason="UserInput would make the turn too long", excerpt="x")
    for event in (over, over, over, InputRejected(reason="not a JSON object frame", excerpt="{"), over):
        transcript.feed(event)
    transcript.user("x")
    transcript.feed(over)

    assert transcript.text.splitlines() == [
        "hello",
        "! input rejected: UserInput would make the turn too long (×3)",
        "! input rejected: not a JSON object frame",
        "! input rejected: UserInput would make the turn too long",
        "you: x",
        "! input rejected: UserInput would make the turn too long",
    ]


def test_transcript_continues_agent_speech_below_a_user_line() -> None:
    transcript = Transcript()
    transcript.feed(AgentSpeechStarted(utterance=1))
    transcript.feed(AgentWord(utterance=1, word="bonjour", duration=0.4))
    transcript.user("hello")
    transcript.feed(AgentWord(utterance=1, word="monde", duration=0.4))

    assert transcript.text.splitlines() == ["agent: bonjour", "you: hello", "agent: monde"]


# --- helpers ---------------------------------------------------------------------------------------------


class StuckIngressBus:
    """A memory bus on which nothing published to a session's ingress ever arrives."""

    def __init__(self) -> None:
        self._inner = open_bus("memory")
        self._never = asyncio.Event()

    @property
    def backend(self) -> str:
        return "stuck"

    async def publish(self, session: str, event: Event) -> Event:
        if session == ingress(SESSION):
            await self._never.wait()
        return await self._inner.publish(session, event)

    async def subscribe(
        self,
        session: str,
        name: str,
        *,
        start: StartAt = Start.NEW,
        kinds: tuple[type[Event], ...] | None = None,
        exclude_sources: frozenset[str] = frozenset(),
        capacity: int = 1024,
    ) -> Subscription:
        return await self._inner.subscribe(
            session, name, start=start, kinds=kinds, exclude_sources=exclude_sources, capacity=capacity
        )

    async def read(self, session: str, start: int = 0, stop: int | None = None) -> list[Event]:
        return await self._inner.read(session, start, stop)

    async def aclose(self) -> None:
        await self._inner.aclose()


# --- Agent.run_console: an agent of your own in the terminal ------------------------------------------------


def test_an_agents_console_chat_uses_its_tools_records_and_says_where_its_log_is(tmp_path: Path) -> None:
    @tool(trigger=r"weather in (?P<city>[a-z]+)")
    def weather(city: str) -> str:
        """Today's weather in a city."""
        return f"Sunny in {city.title()}."

    agent = Agent("You are the weather desk.", model="scripted", tools=[weather], builtin_tools=False)
    record, logs, screen = tmp_path / "chat.jsonl", tmp_path / "logs", io.StringIO()
    with create_pipe_input() as keys:

        @agent.on(AgentSpeechEnded)
        def quit_once_answered(event: AgentSpeechEnded) -> None:  # a hook: the user reads the answer, then quits
            if "Sunny" in event.delivered:
                keys.send_text(CTRL_D)

        keys.send_text("weather in lisbon" + ENTER)  # typed ahead: read as soon as the console starts
        run_agent_chat(
            agent,
            record=record,
            log_dir=logs,
            clock=VirtualClock(),
            terminal_input=keys,
            terminal_output=PlainTextOutput(screen),
        )
    log = list(decode_log(record.read_bytes()))
    started = log[0]
    assert isinstance(started, SessionStarted)
    assert started.config["instructions"] == "You are the weather desk."
    assert any(isinstance(event, AgentSpeechEnded) and "Sunny in Lisbon" in event.delivered for event in log)
    assert (logs / f"{started.session}.jsonl").read_bytes() == record.read_bytes()
    assert f"session log: {logs / (started.session + '.jsonl')}" in screen.getvalue()


def test_an_agents_console_chat_refuses_a_record_into_a_missing_folder(tmp_path: Path) -> None:
    agent = Agent(model="scripted", builtin_tools=False)
    with pytest.raises(ConfigError, match="does not exist"):
        run_agent_chat(agent, record=tmp_path / "missing" / "chat.jsonl")


def test_the_chat_says_at_the_start_where_its_log_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prompt_toolkit.output.plain_text import PlainTextOutput

    monkeypatch.chdir(tmp_path)  # short paths: the screen is 80 columns wide
    for log_dir, record, said in (
        (Path("logs"), None, "The session log is kept in logs/chat-20260101-090000.jsonl as you go."),
        (None, Path("chat.jsonl"), "The session log will be written to chat.jsonl when you quit."),
    ):
        screen = io.StringIO()
        with create_pipe_input() as keys:
            keys.send_text(CTRL_D)
            run_chat(
                config=SessionConfig(),
                clock=VirtualClock(),
                log_dir=log_dir,
                record=record,
                terminal_input=keys,
                terminal_output=PlainTextOutput(screen),
            )
        assert said in screen.getvalue()
