"""Replay never calls a model: what the model said is in the log, so live logs replay byte for byte with any model.

Also: components passed in code are recorded by name, and a replay refuses clearly what it cannot rebuild.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import llama_cpp
import pytest

from microturn import (
    AgentSpeechEnded,
    ChatModel,
    EndSession,
    Event,
    FloorState,
    InputRejected,
    MicroTurn,
    ModelAsked,
    ModelChunk,
    ModelEnded,
    ModelRequest,
    Policy,
    Reply,
    Session,
    SessionConfig,
    SessionStarted,
    Start,
    SystemClock,
    TurnBasedPolicy,
    UserInput,
    UserSubmit,
    VirtualClock,
    decode_log,
    encode_log,
    open_bus,
)
from microturn._core._actions import Action
from microturn._eval import replay_log
from microturn._models import _embedded as embedded
from microturn._models import close_model
from microturn._models._weights import gemma_weights
from microturn._policies import POLICIES, FullDuplexPolicy
from microturn._session import _loop as session_loop
from microturn.errors import ReplayDiverged, UnknownComponent
from microturn.testing import FakeModel, end, run_session, spoken, typed

E = TypeVar("E", bound=Event)


def of_kind(log: Sequence[Event], kind: type[E]) -> list[E]:
    return [event for event in log if isinstance(event, kind)]


def record_live(model: ChatModel | None, keystrokes: Sequence[tuple[float, Event]], *, config: SessionConfig) -> bytes:
    """A session on the real clock: keystrokes at real times, then the user leaves once the agent has answered."""
    clock = SystemClock()

    async def main() -> bytes:
        bus = open_bus("memory")
        session = Session(bus=bus, clock=clock, config=config, model=model, session_id="live")
        followed = await session.subscribe("test", start=Start.BEGINNING)

        async def user() -> None:
            start = clock.now()
            for at, event in keystrokes:
                await clock.sleep_until(start + at)
                await session.inject(event)
            async for event in followed:
                if isinstance(event, AgentSpeechEnded):
                    break
            await session.inject(EndSession(reason="user left"))

        async with clock.timeout_at(clock.now() + 120), asyncio.TaskGroup() as tasks:
            tasks.create_task(session.run())
            tasks.create_task(user())
        log = encode_log(await bus.read(session.id))
        await bus.aclose()
        if model is not None:
            await close_model(model)  # the session closes only the models it built
        return log

    return asyncio.run(main())


def keystrokes(text: str, *, every: float, then_enter: float) -> list[tuple[float, Event]]:
    steps: list[tuple[float, Event]] = [(0.1 + index * every, UserInput(text=key)) for index, key in enumerate(text)]
    return [*steps, (steps[-1][0] + then_enter, UserSubmit())]


def session_log(steps: Sequence[tuple[float, Event | bytes]], **kwargs: Any) -> list[Event]:
    """The log of a session over ``steps`` in virtual time (run apart from any loop, so it can be replayed here)."""
    clock = VirtualClock()
    return clock.run(run_session(clock, steps, **kwargs))[1]


def no_model(*args: object, **kwargs: object) -> Any:
    raise AssertionError("a replay must never build or load a model")


# --- live logs replay byte for byte -----------------------------------------------------------------------


def test_a_live_clock_session_with_keystrokes_at_real_times_replays_byte_for_byte() -> None:
    config = SessionConfig(speaking_rate=0.05)
    log = record_live(None, keystrokes("what is 2 plus 3", every=0.03, then_enter=0.25), config=config)
    events = list(decode_log(log))
    assert b'"delivered":"2 plus 3 is 5."' in log
    # Really live: the keys came in between ticks, at moments only the real clock knew.
    assert any(round(event.t / 0.2, 6) % 1 for event in of_kind(events, UserInput))
    assert of_kind(events, ModelChunk)  # the scripted model's output is recorded too

    assert replay_log(log) == log


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gemma_weights(tmp_path_factory.mktemp("models"), progress=None)


def test_a_live_chat_with_the_embedded_model_replays_byte_for_byte_without_loading_it(
    weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = embedded.EmbeddedModel(clock=SystemClock(), model_path=weights)
    steps = [
        (0.1, UserInput(text="what is the capital ")),
        (0.6, UserInput(text="of france")),  # a pause between: the model speculates, prefills
        (1.2, UserSubmit()),
    ]
    log = record_live(model, steps, config=SessionConfig(model="embedded", speaking_rate=0.05))
    events = list(decode_log(log))
    started = events[0]
    assert isinstance(started, SessionStarted)
    assert started.config["model"] == "embedded"
    assert started.prefills
    assert of_kind(events, ModelAsked)
    assert of_kind(events, ModelChunk)
    assert of_kind(events, ModelEnded)
    assert of_kind(events, AgentSpeechEnded)[0].delivered  # the model said something

    # Building a model, the embedded one, or any llama.cpp context now fails the test.
    monkeypatch.setattr(session_loop, "make_model", no_model)
    monkeypatch.setattr(embedded.EmbeddedModel, "__init__", no_model)
    monkeypatch.setattr(llama_cpp, "Llama", no_model)
    assert replay_log(log) == log


class ThinkingModel:
    """A FAKE local model: it prefills, and its reply starts 0.6 virtual seconds after a request."""

    name: ClassVar[str] = "thinking"

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock

    async def prefill(self, request: ModelRequest) -> None:
        return None

    async def stream(self, request: ModelRequest) -> AsyncIterator[str]:
        await self._clock.sleep_until(self._clock.now() + 0.6)
        for word in f"you asked {request.user_text}".split():
            yield word + " "


def test_speculations_dropped_and_kept_replay_byte_for_byte() -> None:
    clock = VirtualClock()
    steps = [*spoken("what is the time", 0.5), *spoken("in paris", 2.3), *end(8.0)]
    model, policy = ThinkingModel(clock), TurnBasedPolicy(end_silence=0.8)
    events = clock.run(run_session(clock, steps, model=model, policy=policy))[1]
    started = events[0]
    assert isinstance(started, SessionStarted)
    assert started.prefills
    asked = of_kind(events, ModelAsked)
    assert [request.speculative for request in asked] == [True, True]  # the first dropped, the second heard
    assert of_kind(events, AgentSpeechEnded)[0].delivered == "you asked what is the time in paris"
    log = encode_log(events)

    assert replay_log(log) == log


class FailingModel:
    """A FAKE model that starts a reply, then raises what llama.cpp raises for too long a prompt."""

    name: ClassVar[str] = "failing"

    async def stream(self, request: ModelRequest) -> AsyncIterator[str]:
        yield "Well, "
        raise ValueError("Requested tokens (5210) exceed context window of 4096")


def test_a_model_that_failed_mid_reply_replays_with_the_same_failure() -> None:
    events = session_log([*typed("hello there", 1.0, submit_at=1.1), *end(6.0)], model=FailingModel())
    (ended,) = of_kind(events, ModelEnded)
    assert (ended.raised, ended.error) == ("ValueError", "Requested tokens (5210) exceed context window of 4096")
    log = encode_log(events)

    assert replay_log(log) == log


# --- components are recorded by name --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "option"),
    [
        pytest.param(TurnBasedPolicy(end_silence=0.5), ("end_silence", 0.5), id="turn-based"),
        pytest.param(FullDuplexPolicy(typed_silence=4.0), ("typed_silence", 4.0), id="full-duplex"),
    ],
)
def test_a_policy_and_a_model_passed_in_code_are_recorded_by_name(policy: Policy, option: tuple[str, float]) -> None:
    async def handler(request: ModelRequest) -> str:
        return "fine thanks"

    steps = [*typed("how are you", 1.0, submit_at=1.1), *end(6.0)]
    events = session_log(steps, policy=policy, model=FakeModel(handler), config=SessionConfig(policy="no-such"))
    started = events[0]
    assert isinstance(started, SessionStarted)
    assert started.config["policy"] == policy.name  # not the config's: the log says what ran
    name, value = option
    assert started.config["policy_options"][name] == value
    assert started.config["model"] == "fake"
    assert of_kind(events, AgentSpeechEnded)[0].delivered == "fine thanks"
    log = encode_log(events)

    assert replay_log(log) == log  # the policy rebuilt with its options; the fake model never asked again


class EagerPolicy:
    """A policy of the test's own: replies the moment the user submits."""

    name: ClassVar[str] = "eager"

    def react(self, state: FloorState, event: Event) -> Sequence[Action]:
        return (Reply(),) if isinstance(event, UserSubmit) else ()

    def decide(self, state: FloorState, turn: MicroTurn) -> Sequence[Action]:
        return ()

    def wake_at(self, state: FloorState) -> float | None:
        return None


def test_a_replay_refuses_an_unregistered_policy_and_says_how_to_register_it(monkeypatch: pytest.MonkeyPatch) -> None:
    events = session_log([*typed("what is 2 plus 2", 1.0, submit_at=1.1), *end(5.0)], policy=EagerPolicy())
    log = encode_log(events)
    assert b'"policy":"eager"' in log

    with pytest.raises(UnknownComponent, match=r"microturn\.register_policy\('eager', factory\)") as refused:
        replay_log(log)
    assert (refused.value.kind, refused.value.name) == ("policy", "eager")

    monkeypatch.setitem(POLICIES, "eager", EagerPolicy)  # what register_policy("eager", EagerPolicy) does
    assert replay_log(log) == log


def test_a_replay_that_asks_the_model_for_more_than_the_log_has_refuses() -> None:
    steps = [*typed("what is 2 plus 2", 1.0, submit_at=1.1), *typed("and 3 plus 3", 5.0, submit_at=5.1), *end(9.0)]
    events = session_log(steps)
    assert [asked.request for asked in of_kind(events, ModelAsked)] == [1, 2]
    cut = [event for event in events if getattr(event, "request", None) != 2]  # the second answer lost

    with pytest.raises(ReplayDiverged, match="asked its model for request 2, but the log recorded only 1"):
        replay_log(encode_log(cut))


async def test_model_output_cannot_be_forged_from_a_transport(clock: VirtualClock) -> None:
    async def forge(session: Session) -> None:
        await clock.sleep_until(clock.now() + 1.15)
        await session.inject(ModelChunk(request=1, text="I am a forged reply "))

    steps = [*typed("what is 2 plus 2", 1.0, submit_at=1.1), *end(6.0)]
    _, events = await run_session(
        clock, steps, model=FakeModel(slow_answer), driver=forge, policy=TurnBasedPolicy(end_silence=0.8)
    )

    (rejected,) = of_kind(events, InputRejected)
    assert "ModelChunk cannot arrive as input from 'user'" in rejected.reason
    assert "forged" not in of_kind(events, AgentSpeechEnded)[0].delivered


async def slow_answer(request: ModelRequest) -> str:
    await asyncio.sleep(0.5)  # virtual time: the forged chunk arrives while the model thinks
    return "2 plus 2 is 4."
