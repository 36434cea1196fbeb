"""The session loop end to end, in virtual time, with the scripted model and the turn-based policy.

Input comes from a scripted Source that the loop polls in event time, so every run interleaves input,
ticks and speech the same way and the expected times below are exact.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar, TypeVar

import pytest

from microturn import (
    Action,
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    CallTool,
    EndReason,
    EndSession,
    Event,
    FloorState,
    InputRejected,
    MicroTurn,
    ModelRequest,
    Note,
    Session,
    SessionConfig,
    SessionEnded,
    SessionStarted,
    Silence,
    Start,
    StopOutput,
    ToolCalled,
    ToolResult,
    TurnBasedPolicy,
    UserInput,
    UserSubmit,
    VirtualClock,
    encode_log,
    open_bus,
)
from microturn._core._tools import FakeToolbox
from microturn.errors import AdapterError, SessionStalled
from microturn.testing import Step, end, run_session, spoken, typed

E = TypeVar("E", bound=Event)


def of_kind(log: Sequence[Event], kind: type[E]) -> list[E]:
    return [event for event in log if isinstance(event, kind)]


def words_of(log: Sequence[Event], utterance: int) -> list[str]:
    return [event.word for event in of_kind(log, AgentWord) if event.utterance == utterance]


def check_log_invariants(log: Sequence[Event]) -> None:
    assert isinstance(log[0], SessionStarted)
    assert isinstance(log[-1], SessionEnded)
    assert [event.seq for event in log] == list(range(len(log)))
    assert all(event.t >= 0 for event in log)
    times = [event.t for event in log]
    assert times == sorted(times), "the log is in event time"


# --- answering -------------------------------------------------------------------------------------


async def test_answers_after_spoken_words_and_end_silence(clock: VirtualClock) -> None:
    # Words at 1.0 .. 2.2 s, each 0.3 s long: the user is silent from 2.5 s; 0.8 s later is 3.3 s,
    # and the first micro-turn at or after that is the one ending at 3.4 s.
    session, log = await run_session(
        clock, [*spoken("what is two plus three", 1.0), *end(9.9)], policy=TurnBasedPolicy(end_silence=0.8)
    )
    check_log_invariants(log)
    (started,) = of_kind(log, AgentSpeechStarted)
    assert started.t == 3.4
    (ended,) = of_kind(log, AgentSpeechEnded)
    assert ended.reason is EndReason.COMPLETED
    assert ended.delivered == " ".join(words_of(log, started.utterance)) == "2 plus 3 is 5."
    assert [word.t for word in of_kind(log, AgentWord)] == [3.4, 3.8, 4.2, 4.6, 5.0]
    assert ended.t == 5.4  # the last word spoken to its end
    first_word = of_kind(log, AgentWord)[0]
    assert Silence(started=2.5, duration=0.9, t=3.4, source="loop", seq=log.index(first_word) - 1) in log  # it ended
    assert session.state.agent_turns == 1


async def test_a_pause_shorter_than_end_silence_is_not_a_turn_end(clock: VirtualClock) -> None:
    steps = [*spoken("what is", 1.0), *spoken("two plus three", 2.2), *end(9.9)]  # a 0.6 s pause at 1.6 s
    _, log = await run_session(clock, steps, policy=TurnBasedPolicy(end_silence=0.8))
    (started,) = of_kind(log, AgentSpeechStarted)
    assert started.t == 4.0  # silent from 3.1 s: 3.9 s -> the tick at 4.0 s
    assert of_kind(log, AgentSpeechEnded)[0].delivered == "2 plus 3 is 5."


async def test_answers_at_the_next_tick_after_submit(clock: VirtualClock) -> None:
    _, log = await run_session(
        clock, [*typed("what is 6 times 7", 1.05, submit_at=1.1), *end(5.9)], policy=TurnBasedPolicy(end_silence=0.8)
    )
    (started,) = of_kind(log, AgentSpeechStarted)
    assert started.t == 1.2
    assert " ".join(words_of(log, started.utterance)) == "6 times 7 is 42."


async def test_typed_input_waits_for_enter_however_long_the_pause(clock: VirtualClock) -> None:
    # Typists pause to think; for typed input only Enter ends the turn in the turn-based baseline.
    _, log = await run_session(clock, [*typed("hello", 1.05), *end(4.9)], policy=TurnBasedPolicy(end_silence=0.8))
    assert of_kind(log, AgentSpeechStarted) == []


# --- stopping --------------------------------------------------------------------------------------


async def test_barge_in_cuts_the_agent_off_in_the_same_pass(clock: VirtualClock) -> None:
    # The story starts at 1.2 s; words at 1.2, 1.6, 2.0, 2.4; the user types at 2.5 s.
    steps = [*typed("tell me a story", 1.0, submit_at=1.1), (2.5, UserInput(text="wait")), *end(3.9)]
    session, log = await run_session(clock, steps, policy=TurnBasedPolicy(end_silence=0.8))
    check_log_invariants(log)
    barge = next(event for event in of_kind(log, UserInput) if event.text == "wait")
    story = of_kind(log, AgentSpeechStarted)[0]
    ended = next(event for event in of_kind(log, AgentSpeechEnded) if event.utterance == story.utterance)
    assert ended.reason is EndReason.INTERRUPTED
    assert ended.t == barge.t == 2.5
    assert ended.cause == barge.seq
    assert ended.seq == barge.seq + 1  # handled in the very pass that took the input
    assert ended.delivered == " ".join(words_of(log, story.utterance)) == "Once upon a time"
    later_words = [e for e in log[ended.seq :] if isinstance(e, AgentWord) and e.utterance == story.utterance]
    assert later_words == []
    assert session.state.interruptions == 1
    assert '[cut off by user after "Once upon a time"]' in session.timeline.text


async def test_spoken_barge_in_during_a_word(clock: VirtualClock) -> None:
    steps = [*typed("tell me a story", 1.0, submit_at=1.1), *spoken("stop please", 1.9), *end(3.9)]
    _, log = await run_session(clock, steps, policy=TurnBasedPolicy(end_silence=0.8))
    ended = of_kind(log, AgentSpeechEnded)[0]
    assert (ended.reason, ended.t, ended.delivered) == (EndReason.INTERRUPTED, 1.9, "Once upon")
    assert all(word.t < 1.9 for word in of_kind(log, AgentWord) if word.utterance == ended.utterance)


class SlowModel:
    """Writes one word every 0.3 s, for a long time; notes when its stream is closed."""

    name: ClassVar[str] = "slow"

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self.closed_at: list[float] = []

    async def stream(self, request: ModelRequest) -> AsyncIterator[str]:
        try:
            for index in range(100):
                await asyncio.sleep(0.3)
                yield f"word{index} "
        finally:
            self.closed_at.append(self._clock.now())


async def test_barge_in_cancels_the_generation_at_once(clock: VirtualClock) -> None:
    model = SlowModel(clock)
    steps = [*typed("go on", 1.0, submit_at=1.1), (2.45, UserInput(text="stop")), *end(2.9)]
    _, log = await run_session(clock, steps, model=model, policy=TurnBasedPolicy(end_silence=0.8))
    ended = of_kind(log, AgentSpeechEnded)[0]
    assert (ended.reason, ended.t) == (EndReason.INTERRUPTED, 2.45)
    assert model.closed_at == [2.45]


async def test_stop_output_stops_speech_at_once(clock: VirtualClock) -> None:
    steps = [*typed("tell me a story", 1.0, submit_at=1.1), (2.1, StopOutput(reason="escape key")), *end(3.9)]
    session, log = await run_session(clock, steps, policy=TurnBasedPolicy(end_silence=0.8))
    stop = of_kind(log, StopOutput)[0]
    (ended,) = of_kind(log, AgentSpeechEnded)
    assert (ended.reason, ended.t, ended.cause) == (EndReason.STOPPED, 2.1, stop.seq)
    assert ended.delivered == "Once upon a"
    assert all(word.t < 2.1 for word in of_kind(log, AgentWord))
    assert session.state.interruptions == 0


async def test_end_session_ends_run_and_the_log(clock: VirtualClock) -> None:
    session, log = await run_session(
        clock, [*typed("hi", 1.0, submit_at=1.1), *end(7.3, reason="bye")], policy=TurnBasedPolicy(end_silence=0.8)
    )
    check_log_invariants(log)
    assert log[-1] == SessionEnded(reason="bye", t=7.3, seq=len(log) - 1, source="loop")
    assert isinstance(log[-2], EndSession)
    assert session.now() == 7.3
    assert clock.now() == 7.3  # run() returned at once


async def test_end_session_stops_speech_and_no_word_follows_it(clock: VirtualClock) -> None:
    # A word of the story is due at 2.0 s, the very moment the session is told to end.
    steps = [*typed("tell me a story", 1.0, submit_at=1.1), *end(2.0)]
    _, log = await run_session(clock, steps, policy=TurnBasedPolicy(end_silence=0.8))
    check_log_invariants(log)
    end_at = next(index for index, event in enumerate(log) if isinstance(event, EndSession))
    assert [type(event) for event in log[end_at:]] == [EndSession, AgentSpeechEnded, SessionEnded]
    ended = of_kind(log, AgentSpeechEnded)[0]
    # The word due at the very moment the session ends is delivered first: time-driven work for a
    # moment comes before input stamped with that moment (see the loop's docstring).
    assert (ended.reason, ended.delivered) == (EndReason.STOPPED, "Once upon a")


# --- robustness ------------------------------------------------------------------------------------


async def test_malformed_input_is_rejected_and_the_session_goes_on(clock: VirtualClock) -> None:
    steps: list[Step] = [
        (0.5, b"{not json"),
        (0.7, b'{"v": 1, "e": {"kind": "UserInput", "text": 42}}'),
        *typed("what is 2 plus 2", 1.0, submit_at=1.1),
        *end(4.9),
    ]
    _, log = await run_session(clock, steps, policy=TurnBasedPolicy(end_silence=0.8))
    check_log_invariants(log)
    first, second = of_kind(log, InputRejected)
    assert (first.t, first.excerpt, first.source) == (0.5, "{not json", "script")
    assert "not a JSON object frame" in first.reason
    assert second.t == 0.7
    assert "$.e.text" in second.reason
    (ended,) = of_kind(log, AgentSpeechEnded)
    assert (ended.reason, ended.delivered) == (EndReason.COMPLETED, "2 plus 2 is 4.")


async def test_inject_raw_decodes_good_frames_and_rejects_bad_ones(clock: VirtualClock) -> None:
    bus = open_bus("memory")
    session = Session(bus=bus, clock=clock)
    good = await session.inject_raw(b'{"v": 1, "e": {"kind": "Note", "text": "hi"}}', source="web")
    bad = await session.inject_raw("nope", source="web")
    assert (good.source, good.seq, good.t) == ("web", 0, 0.0)
    assert isinstance(bad, InputRejected)
    assert (bad.excerpt, bad.seq) == ("nope", 1)
    await bus.aclose()


async def test_a_burst_larger_than_one_pass_is_handled_without_waiting(clock: VirtualClock) -> None:
    async def paste(session: Session) -> None:
        # A live transport delivers six events at once while the loop sleeps until its next tick.
        await clock.sleep_until(1.05)
        for chunk in ["what ", "is ", "6 ", "times ", "7"]:
            await session.inject(UserInput(text=chunk))
        await session.inject(UserSubmit())

    config = SessionConfig(max_events_per_pass=2)
    _, log = await run_session(clock, end(3.9), config=config, driver=paste, policy=TurnBasedPolicy(end_silence=0.8))
    assert "".join(event.text for event in of_kind(log, UserInput)) == "what is 6 times 7"
    (started,) = of_kind(log, AgentSpeechStarted)
    assert started.t == 1.2  # all six were handled at 1.05 s, in three passes, before the tick
    assert words_of(log, started.utterance)[:4] == ["6", "times", "7", "is"]


async def test_an_input_flood_overflowing_the_ingress_queue_loses_nothing(clock: VirtualClock) -> None:
    flood: list[Step] = [(1.05, Note(text=f"note {index}")) for index in range(1500)]
    _, log = await run_session(clock, [*flood, *end(1.9)], policy=TurnBasedPolicy(end_silence=0.8))
    check_log_invariants(log)
    assert [event.text for event in of_kind(log, Note)] == [f"note {index}" for index in range(1500)]


# --- tools -----------------------------------------------------------------------------------------


class ToolOnSubmit:
    """Calls the clock tool whenever the user presses Enter; never speaks."""

    name: ClassVar[str] = "tool-on-submit"

    def react(self, state: FloorState, event: Event) -> Sequence[Action]:
        if isinstance(event, UserSubmit):
            return (CallTool("clock", {"tz": "UTC"}),)
        return ()

    def decide(self, state: FloorState, turn: MicroTurn) -> Sequence[Action]:
        return ()

    def wake_at(self, state: FloorState) -> float | None:
        return None


async def test_a_tool_call_records_the_call_then_its_result(clock: VirtualClock) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    async def handler(tool: str, arguments: dict[str, Any]) -> str:
        calls.append((tool, arguments))
        await asyncio.sleep(0.5)  # the tool takes half a second
        return "09:00"

    steps = [*typed("what time is it", 1.0, submit_at=1.1), *end(3.9)]
    _, log = await run_session(clock, steps, policy=ToolOnSubmit(), tools=FakeToolbox(handler))
    check_log_invariants(log)
    assert calls == [("clock", {"tz": "UTC"})]
    submit = of_kind(log, UserSubmit)[0]
    (called,) = of_kind(log, ToolCalled)
    (result,) = of_kind(log, ToolResult)
    assert (called.tool, called.arguments, called.t, called.cause, called.source) == (
        "clock",
        {"tz": "UTC"},
        1.1,
        submit.seq,
        "agent",
    )
    assert (result.call, result.output, result.error, result.source) == (called.call, "09:00", False, "tools")
    assert result.t == pytest.approx(1.6)
    assert called.seq < result.seq


async def test_a_failing_tool_records_an_error_result(clock: VirtualClock) -> None:
    async def handler(tool: str, arguments: dict[str, Any]) -> str:
        raise AdapterError("the clock service is down", transient=True)

    steps = [*typed("what time is it", 1.0, submit_at=1.1), *end(2.9)]
    _, log = await run_session(clock, steps, policy=ToolOnSubmit(), tools=FakeToolbox(handler))
    (result,) = of_kind(log, ToolResult)
    assert (result.error, result.output) == (True, "the clock service is down")


# --- ticks and determinism ------------------------------------------------------------------------


class RecordingPolicy(TurnBasedPolicy):
    """The turn-based policy, keeping every micro-turn it was handed."""

    def __init__(self) -> None:
        super().__init__(end_silence=0.8)
        self.turns: list[MicroTurn] = []

    def decide(self, state: FloorState, turn: MicroTurn) -> Sequence[Action]:
        self.turns.append(turn)
        return super().decide(state, turn)


@pytest.mark.parametrize(("tick", "duration", "ticks"), [(0.2, 10.1, 50), (0.25, 5.1, 20), (0.1, 3.05, 30)])
async def test_a_micro_turn_every_tick(clock: VirtualClock, tick: float, duration: float, ticks: int) -> None:
    policy = RecordingPolicy()
    steps = [*typed("what is 2 plus 2", 1.01, submit_at=1.02), *end(duration)]
    session, _ = await run_session(clock, steps, policy=policy, config=SessionConfig(tick=tick))
    assert session.stats.ticks == ticks
    assert session.stats.missed_ticks == 0
    assert [turn.index for turn in policy.turns] == list(range(1, ticks + 1))
    assert [turn.end for turn in policy.turns] == [round(index * tick, 6) for index in range(1, ticks + 1)]
    assert all(turn.start == round(turn.end - tick, 6) for turn in policy.turns)


async def test_each_micro_turn_carries_the_events_since_the_last(clock: VirtualClock) -> None:
    policy = RecordingPolicy()
    steps = [*typed("hi", 1.05, submit_at=1.1), *end(1.9)]
    _, log = await run_session(clock, steps, policy=policy)
    handed = [event for turn in policy.turns for event in turn.events]
    # Every event recorded up to the last tick reached the policy exactly once, in log order; only
    # what happened after it (the end, at 1.9 s) did not.
    assert handed == log[: len(handed)]
    assert [type(event) for event in log[len(handed) :]] == [EndSession, AgentSpeechEnded, SessionEnded]
    turn = next(turn for turn in policy.turns if any(isinstance(e, UserSubmit) for e in turn.events))
    assert turn.end == 1.2


def rich_steps() -> list[Step]:
    return [
        *spoken("what is two plus three", 1.0),
        (4.1, b"{garbage"),
        *typed("tell me a story", 6.05, submit_at=6.1),
        (7.5, UserInput(text="wait")),  # cuts the story off
        (7.55, UserSubmit()),  # "wait" is answered from the tick at 7.6 s
        (8.3, StopOutput()),
        *typed("thanks", 10.0, submit_at=10.1),
        *spoken("how long have we been talking", 12.0),
        *end(20.0),
    ]


async def test_a_rich_session_keeps_the_log_invariants(clock: VirtualClock) -> None:
    session, log = await run_session(clock, rich_steps(), policy=TurnBasedPolicy(end_silence=0.8))
    check_log_invariants(log)
    reasons = [event.reason for event in of_kind(log, AgentSpeechEnded)]
    completed, interrupted, stopped = EndReason.COMPLETED, EndReason.INTERRUPTED, EndReason.STOPPED
    assert reasons == [completed, interrupted, stopped, completed, completed]
    assert of_kind(log, AgentSpeechEnded)[-1].delivered == "We have been talking for 14 seconds."
    assert session.stats.ticks == 100  # ticks at 0.2 .. 20.0 s; the one at 20.0 s precedes the end


def test_the_same_script_gives_a_byte_identical_log() -> None:
    def record() -> bytes:
        clock = VirtualClock()
        _, log = clock.run(run_session(clock, rich_steps(), policy=TurnBasedPolicy(end_silence=0.8)))
        return encode_log(log)

    first, second = record(), record()
    assert first == second
    assert b"InputRejected" in first
    assert b'"reason":"interrupted"' in first


class StuckSource:
    """A broken source: always due at 1.0 s, never hands anything over."""

    name = "stuck"

    def next_awake(self, state: FloorState) -> float | None:
        return 1.0

    def poll(self, now: float, state: FloorState) -> list[Event | bytes]:
        return []


def test_a_loop_that_stops_moving_in_time_fails_loudly_instead_of_hanging() -> None:
    clock = VirtualClock()

    async def main() -> None:
        session = Session(bus=open_bus("memory"), clock=clock, sources=[StuckSource()])
        await session.run()

    with pytest.raises(ExceptionGroup) as raised:
        clock.run(main())
    (stalled,) = raised.value.exceptions
    assert isinstance(stalled, SessionStalled)
    assert stalled.at == 1.0
    assert "stalled at 1.000 s" in str(stalled)


def test_follow_reads_the_whole_log_to_its_end_even_when_its_queue_overflows() -> None:
    clock = VirtualClock()
    followed: list[Event] = []

    async def slow_reader(session: Session) -> None:
        async for event in session.follow("slow", start=Start.BEGINNING, capacity=4):
            followed.append(event)
            await clock.sleep_until(clock.now() + 0.5)  # far slower than the session writes

    _, log = clock.run(run_session(clock, [*spoken("tell me a story please", 1.0), *end(12.0)], driver=slow_reader))
    assert len(log) > 20  # enough to overflow a queue of 4 many times
    assert [event.seq for event in followed] == [event.seq for event in log]  # nothing lost, nothing twice
    assert isinstance(followed[-1], SessionEnded)
