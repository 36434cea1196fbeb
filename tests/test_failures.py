"""Every failure is survivable: a part that raises becomes a ComponentFailed event, the user hears it in
plain words once, and the session goes on (a later turn gets its reply, EndSession ends it cleanly).

Faults are injected into FAKE models, toolboxes and agents under the default full-duplex policy, in
virtual time; the last test kills a real MCP server process in real time. The speech engines' faults
are tested with the rest of the voice pipeline (end of test_voice_pipeline.py).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Coroutine, Sequence
from typing import Any, ClassVar

import pytest

from microturn import (
    AgentWord,
    ComponentFailed,
    Event,
    JobFailed,
    ModelRequest,
    Note,
    ScriptedModel,
    SessionConfig,
    SessionEnded,
    SystemClock,
    ToolResult,
    VirtualClock,
    open_bus,
)
from microturn._background import BackgroundLane, FakeAgent, JobContext, Observation, UseTool
from microturn._background._agent import AgentStep, Finish
from microturn._core._failures import MAX_ERROR, describe
from microturn._core._tools import FakeToolbox, Progress, Risk, Toolbox, ToolSpec
from microturn._policies import FullDuplexPolicy
from microturn._session import Session
from microturn._session._apologies import MODEL_CUT_SHORT, MODEL_FAILED
from microturn._session._model_calls import ModelCalls
from microturn._tools._mcp import open_mcp_toolbox
from microturn.testing import Step, TimedSource, end, run_session, spoken, typed

OVERFLOW = ValueError("Requested tokens (5210) exceed context window of 4096")
"""What llama.cpp raises when a prompt does not fit its context."""


class BrokenModel:
    """A FAKE local model (it prefills, so the session speculates on it) that fails where a test says.

    A request whose user text contains ``poison`` fails after ``words`` words; ``prefill_fails`` makes
    every prefill raise. Anything else is answered "you asked <text>".
    """

    name: ClassVar[str] = "broken"

    def __init__(self, *, poison: str = "overflow", words: int = 0, prefill_fails: bool = False) -> None:
        self._poison = poison
        self._words = words
        self._prefill_fails = prefill_fails
        self.streams = 0
        self.prefills = 0

    async def prefill(self, request: ModelRequest) -> None:
        self.prefills += 1
        if self._prefill_fails:
            raise OVERFLOW

    async def stream(self, request: ModelRequest) -> AsyncIterator[str]:
        self.streams += 1
        reply = f"you asked {request.user_text}".split()
        for index, word in enumerate(reply):
            if self._poison in request.user_text and index == self._words:
                raise OVERFLOW
            yield word + " "


def said(log: Sequence[Event]) -> str:
    return " ".join(event.word for event in log if isinstance(event, AgentWord))


def failures(log: Sequence[Event], component: str | None = None) -> list[ComponentFailed]:
    return [e for e in log if isinstance(e, ComponentFailed) and component in (None, e.component)]


def ended_cleanly(log: Sequence[Event]) -> bool:
    return isinstance(log[-1], SessionEnded) and log[-1].reason == "test over"


def words(text: str) -> str:
    return " ".join(text.split())


TWO_TURNS: list[Step] = [*spoken("tell me about overflow", 0.5), *spoken("what is two plus two", 12.0), *end(18.0)]


async def run(clock: VirtualClock, model: Any, steps: Sequence[Step] = TWO_TURNS, **kwargs: Any) -> list[Event]:
    return (await run_session(clock, steps, model=model, policy=FullDuplexPolicy(), **kwargs))[1]


# --- the interaction model -----------------------------------------------------------------------------------


async def test_a_model_raising_at_the_start_of_a_reply_is_said_once_and_the_next_turn_is_answered(
    clock: VirtualClock,
) -> None:
    log = await run(clock, BrokenModel(words=0))
    (failure,) = failures(log, "model")
    assert failure.error == "ValueError: Requested tokens (5210) exceed context window of 4096"
    assert (failure.source, failure.transient) == ("agent", False)
    text = said(log)
    assert text.count("Sorry, my language model failed") == 1
    assert text.startswith(words(MODEL_FAILED))  # plain words, no exception name
    assert "ValueError" not in text
    assert text.endswith("you asked what is two plus two")  # the session went on
    assert ended_cleanly(log)


async def test_a_model_raising_mid_stream_keeps_what_was_said_and_says_it_was_cut_short(clock: VirtualClock) -> None:
    log = await run(clock, BrokenModel(words=2))
    assert len(failures(log, "model")) == 1
    assert words(said(log)).startswith("you asked" + MODEL_CUT_SHORT)
    assert said(log).endswith("you asked what is two plus two")
    assert ended_cleanly(log)


async def test_a_failed_speculation_is_recorded_unheard_and_the_reply_asks_the_model_afresh(
    clock: VirtualClock,
) -> None:
    class FailsOnce(BrokenModel):
        async def stream(self, request: ModelRequest) -> AsyncIterator[str]:
            self.streams += 1
            if self.streams == 1:  # the speculation, in the user's pause
                raise OVERFLOW
            yield f"you asked {request.user_text}"

    model = FailsOnce()
    # An unfinished turn: the agent waits a while for more, and speculates in the meantime.
    log = await run(clock, model, [*spoken("what is the time and", 0.5), *end(8.0)])
    (failure,) = failures(log)
    assert failure.component == "speculation"
    assert said(log) == "you asked what is the time and"  # nothing about it is heard: the reply worked
    assert model.streams == 2
    assert ended_cleanly(log)


async def test_a_prefill_that_raises_is_recorded_once_a_turn_and_replies_still_come(clock: VirtualClock) -> None:
    model = BrokenModel(poison="never", prefill_fails=True)
    log = await run(clock, model)
    prefill = failures(log, "prefill")
    assert len(prefill) == model.prefills <= 3  # once per turn (and once before), not at every tick
    assert prefill[0].error.startswith("ValueError: Requested tokens")
    assert "Sorry" not in said(log)  # the user noticed nothing: there is nothing to say
    assert said(log) == "you asked tell me about overflow you asked what is two plus two"
    assert ended_cleanly(log)


async def test_a_model_that_always_raises_apologises_once_per_turn_not_in_a_storm(clock: VirtualClock) -> None:
    model = BrokenModel(poison="", prefill_fails=True)  # every prefill, speculation and reply fails
    steps = [*spoken("hello there", 0.5), *spoken("are you there", 10.0), *spoken("hello", 20.0), *end(30.0)]
    log = await run(clock, model, steps)
    assert said(log).count("Sorry, my language model failed") == 3
    assert len(failures(log, "model")) == 3
    assert len(failures(log)) <= 10  # model, speculation and prefill: at most one each per turn (and a prefill before)
    assert ended_cleanly(log)


# --- tools and toolboxes ----------------------------------------------------------------------------------

CLOCK = ToolSpec(name="clock", trigger=r"time is it in (?P<city>[a-z]+)")
TOOL_TURNS: list[Step] = [*spoken("what time is it in lisbon", 0.5), *spoken("what is two plus two", 12.0), *end(18)]


async def test_a_tool_raising_runtime_error_becomes_an_error_result_said_in_plain_words(clock: VirtualClock) -> None:
    async def crashes(tool: str, arguments: dict[str, Any]) -> str:
        raise RuntimeError("the clock service crashed")

    _, log = await run_session(
        clock, TOOL_TURNS, policy=FullDuplexPolicy(), tools=FakeToolbox(crashes), tool_specs=[CLOCK]
    )
    (failure,) = failures(log)
    assert (failure.component, failure.name, failure.source) == ("tool", "clock", "tools")
    assert failure.error == "RuntimeError: the clock service crashed"
    (result,) = (event for event in log if isinstance(event, ToolResult))
    assert (result.error, result.output) == (True, "the tool clock failed: the clock service crashed")
    assert failure.cause == result.cause  # both answer the same ToolCalled
    text = said(log)
    assert "I couldn't find that out: the tool clock failed: the clock service crashed" in text
    assert text.endswith("2 plus 2 is 4.")
    assert ended_cleanly(log)


class SyncRaisingToolbox:
    """A FAKE user toolbox whose ``call`` is not even a coroutine: it raises on the call itself."""

    def call(self, tool: str, arguments: dict[str, Any], *, progress: Progress | None = None) -> str:
        raise KeyError(tool)


class ProgressThenRaise:
    """A FAKE user toolbox that reports progress, then breaks."""

    async def call(self, tool: str, arguments: dict[str, Any], *, progress: Progress | None = None) -> str:
        assert progress is not None
        await progress("halfway")
        raise ZeroDivisionError("division by zero")


async def test_a_toolbox_that_raises_before_yielding_is_survived(clock: VirtualClock) -> None:
    toolbox: Any = SyncRaisingToolbox()
    _, log = await run_session(clock, TOOL_TURNS, policy=FullDuplexPolicy(), tools=toolbox, tool_specs=[CLOCK])
    (failure,) = failures(log)
    assert (failure.component, failure.error) == ("tool", "KeyError: 'clock'")
    assert "I couldn't find that out: the tool clock failed: 'clock'" in said(log)
    assert said(log).endswith("2 plus 2 is 4.")
    assert ended_cleanly(log)


async def test_a_toolbox_that_raises_after_progress_is_survived(clock: VirtualClock) -> None:
    _, log = await run_session(
        clock, TOOL_TURNS, policy=FullDuplexPolicy(), tools=ProgressThenRaise(), tool_specs=[CLOCK]
    )
    (failure,) = failures(log)
    assert failure.error == "ZeroDivisionError: division by zero"
    assert "the tool clock failed: division by zero" in said(log)
    assert said(log).endswith("2 plus 2 is 4.")
    assert ended_cleanly(log)


def test_error_text_is_one_bounded_line_without_secrets() -> None:
    error = RuntimeError("request failed\nwith api_key=sk-abcdefghijklmnopqrstuvwxyz123456 " + "x" * 5000)
    text = describe(error)
    assert "\n" not in text
    assert len(text) <= MAX_ERROR
    assert "sk-abcdefghijklmnopqrstuvwxyz123456" not in text
    assert text.startswith("RuntimeError: request failed with api_key=")
    assert describe(KeyError()) == "KeyError"


# --- the background lane ---------------------------------------------------------------------------------

DELEGATE: list[Step] = [
    *spoken("can you find me a hotel in porto", 0.5),
    *spoken("what is two plus two", 14.0),
    *end(20.0),
]


async def run_with_lane(
    clock: VirtualClock, agent: FakeAgent, steps: Sequence[Step], *, capacity: int = 1024, tools: Any = None
) -> list[Event]:
    bus = open_bus("memory")
    session = Session(bus=bus, clock=clock, policy=FullDuplexPolicy(), sources=[TimedSource(steps)])
    lane = BackgroundLane(
        session,
        clock=clock,
        agent=agent,
        tools=tools or FakeToolbox(_unused),
        tool_specs=[ToolSpec(name="hotels", description="find hotels")],
        capacity=capacity,
    )
    async with asyncio.TaskGroup() as group:
        group.create_task(session.run())
        group.create_task(lane.run())
    return await bus.read(session.id)


async def _unused(tool: str, arguments: dict[str, Any]) -> str:
    raise AssertionError("no tool should run")


async def test_a_background_model_raising_fails_the_job_in_plain_words_and_the_session_goes_on(
    clock: VirtualClock,
) -> None:
    async def overflows(context: JobContext, observations: Sequence[Observation]) -> AgentStep:
        raise OVERFLOW

    log = await run_with_lane(clock, FakeAgent(overflows), DELEGATE)
    (failure,) = failures(log)
    assert (failure.component, failure.source) == ("background", "background")
    assert failure.error.startswith("ValueError: Requested tokens")
    (job_failed,) = (event for event in log if isinstance(event, JobFailed))
    assert job_failed.reason == "the model doing it failed"
    text = said(log)
    assert "Sorry, I couldn't find me a hotel in porto: the model doing it failed." in text
    assert "ValueError" not in text
    assert text.endswith("2 plus 2 is 4.")
    assert ended_cleanly(log)


async def test_a_background_tool_raising_is_an_observation_the_job_goes_on_with(clock: VirtualClock) -> None:
    async def agent(context: JobContext, observations: Sequence[Observation]) -> AgentStep:
        if not observations:
            return UseTool("hotels", {"city": "porto"})
        return Finish(f"no luck: {observations[-1].output}")

    async def crashes(tool: str, arguments: dict[str, Any]) -> str:
        raise ConnectionResetError("peer reset")

    log = await run_with_lane(clock, FakeAgent(agent), DELEGATE, tools=FakeToolbox(crashes))
    (failure,) = failures(log)
    assert (failure.component, failure.name, failure.error) == ("tool", "hotels", "ConnectionResetError: peer reset")
    assert "no luck: the tool hotels failed: peer reset" in said(log)
    assert said(log).endswith("2 plus 2 is 4.")
    assert ended_cleanly(log)


async def test_the_lane_catches_up_after_its_queue_overflows_and_loses_nothing(clock: VirtualClock) -> None:
    seen: list[str] = []

    async def agent(context: JobContext, observations: Sequence[Observation]) -> AgentStep:
        seen.append(context.timeline)
        return Finish("the Grand Hotel has rooms")

    burst: list[Step] = [(0.2, Note(text=f"w{index}")) for index in range(60)]  # one moment: one pass
    log = await run_with_lane(clock, FakeAgent(agent), [*burst, *DELEGATE], capacity=4)
    (timeline,) = seen  # the job was requested once and started once
    assert all(f"w{index}" in timeline for index in range(60))  # every event reached the lane
    assert "About find me a hotel in porto: the Grand Hotel has rooms" in said(log)
    assert ended_cleanly(log)


# --- a real MCP server process, killed mid-session ----------------------------------------------------------


class UpperCaseZones:
    """Passes calls on to a real toolbox, with the time zone spelled as the server wants it ("UTC", not "utc")."""

    def __init__(self, toolbox: Toolbox) -> None:
        self._toolbox = toolbox

    async def call(self, tool: str, arguments: dict[str, Any], *, progress: Progress | None = None) -> str:
        return await self._toolbox.call(tool, {"timezone": arguments["timezone"].upper()}, progress=progress)


def test_an_mcp_server_killed_mid_session_is_said_in_plain_words_and_the_session_goes_on() -> None:
    """Real time and a real process: ``mcp-server-time`` answers, is SIGKILLed, and the next call fails."""
    from test_mcp import TIME_SERVER, children

    clock = SystemClock()
    spec = ToolSpec(name="time.get_current_time", trigger=r"time is it in (?P<timezone>utc)", scopes=("mcp:time",))
    steps: list[Step] = [
        *typed("what time is it in utc", 0.1, submit_at=0.2),
        *typed("and what time is it in utc now", 2.5, submit_at=2.6),
        *typed("what is 2 plus 2", 4.5, submit_at=4.6),
        *end(6.0),
    ]

    async def scenario() -> list[Event]:
        before = children()
        async with open_mcp_toolbox(TIME_SERVER, name="time", clock=clock, risk=Risk.LOW) as toolbox:
            (server,) = children() - before
            bus = open_bus("memory")
            config = SessionConfig(scopes=["mcp:time"], speaking_rate=0.05)
            session = Session(
                bus=bus,
                clock=clock,
                config=config,
                policy=FullDuplexPolicy(),
                model=ScriptedModel(),
                tools=UpperCaseZones(toolbox),
                tool_specs=[spec],
                sources=[TimedSource(steps)],
            )

            async def kill_the_server() -> None:
                await clock.sleep_until(clock.now() + 1.5)
                os.kill(server, signal.SIGKILL)

            async with asyncio.TaskGroup() as group:
                group.create_task(session.run())
                group.create_task(kill_the_server())
            return await bus.read(session.id)

    log = asyncio.run(scenario())
    first, second = (event for event in log if isinstance(event, ToolResult))
    assert not first.error
    assert '"timezone": "UTC"' in first.output
    (failure,) = failures(log)
    assert (failure.component, failure.name, failure.source) == ("mcp", "time.get_current_time", "tools")
    assert failure.error.startswith("ToolServerError: the MCP server 'time' closed the connection")
    assert second.error
    text = said(log)
    assert "I couldn't find that out: the MCP server 'time' closed the connection" in text
    assert text.endswith("2 plus 2 is 4.")
    assert ended_cleanly(log)


class _EndlessModel:
    """A FAKE model that never stops talking (a small model rambling up to its token limit, slowly)."""

    name: ClassVar[str] = "endless-fake"

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock

    async def stream(self, request: ModelRequest) -> AsyncIterator[str]:
        while True:
            await self._clock.sleep_until(self._clock.now() + 0.05)
            yield " and"


def test_ending_the_session_stops_model_streams_nobody_reads() -> None:
    clock = VirtualClock()

    async def main() -> list[asyncio.Task[None]]:
        tasks: list[asyncio.Task[None]] = []
        async with asyncio.TaskGroup() as group:

            def spawn(coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
                task = group.create_task(coroutine)
                tasks.append(task)
                return task

            async def inject(event: Event, source: str) -> None:
                pass

            calls = ModelCalls(_EndlessModel(clock), inject=inject, spawn=spawn)
            calls.ask(ModelRequest(timeline="", user_text="hi", elapsed=0.0, wall=0.0))  # its reader never reads
            await clock.sleep_until(clock.now() + 1.0)
            calls.cancel_all()
        return tasks

    tasks = clock.run(main())  # returns only once the stream stopped: else the task group never ends
    assert tasks
    assert all(task.cancelled() for task in tasks)


def test_a_session_whose_model_rambles_on_ends_when_asked() -> None:
    clock = VirtualClock()
    steps = [*spoken("tell me about your day", 0.5), *end(3.0)]
    _, log = clock.run(run_session(clock, steps, policy=FullDuplexPolicy(), model=_EndlessModel(clock)))
    assert isinstance(log[-1], SessionEnded)
    assert log[-1].t == pytest.approx(3.0, abs=0.5)
