"""Bounded everything: long input is read in linear time and right, and input over a limit is refused out loud.

No wall-time asserts here (``bench/intent_parse.py`` measures the time): these check that the bounded
readers still find what they must at the end of a long text, and keep only bounded memory.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from microturn import (
    Action,
    AgentSpeechEnded,
    Event,
    FloorState,
    InputRejected,
    Modality,
    Say,
    SystemClock,
    UserInput,
    UserSubmit,
    VirtualClock,
)
from microturn._core._floor import FloorTracker
from microturn._core._language import LONGEST_BACKCHANNEL, Shape, is_backchannel, shape
from microturn._core._limits import MAX_FRAME, MAX_TEXT, MAX_TURN
from microturn._core._tools import ToolSpec
from microturn._models import ModelRequest
from microturn._models import _llama_pool as llama_pool
from microturn._models._embedded import EmbeddedModel, build_prompt
from microturn._models._weights import gemma_weights
from microturn._policies import FullDuplexPolicy, MicroTurn, TurnBasedPolicy
from microturn._policies._full_duplex._cues import _MEMORY, Cue
from microturn._policies._full_duplex._intents import CueRequest, StopLive, TimerRequest, parse_intent
from microturn._policies._full_duplex._tool_speculation import Speculator
from microturn.testing import Step, end, run_session, typed

KB = 1024
FILLER = "so say hello in a bit, and tell me what you think about it in the end, or after a while. "


def long_text(size: int, ending: str) -> str:
    """``size`` characters of words the old lazy patterns retried from everywhere, then ``ending``."""
    return (FILLER * (size // len(FILLER) + 1))[: size - len(ending) - 1] + " " + ending


# --- reading long text -------------------------------------------------------------------------------


def test_a_timer_request_at_the_end_of_64_kb_is_found() -> None:
    intent = parse_intent(long_text(64 * KB, "remind me in 30 seconds to stretch"))
    assert intent == TimerRequest(seconds=30.0, text="Reminder: stretch.", ack="Okay, in 30 seconds.")
    said = parse_intent(long_text(64 * KB, "tell me the time every 10 seconds"))
    assert isinstance(said, TimerRequest)
    assert said.every == 10.0


def test_64_kb_that_asks_for_nothing_is_no_request() -> None:
    assert parse_intent(long_text(64 * KB, "thanks")) is None


def test_a_request_anywhere_in_a_long_turn_is_still_read() -> None:
    # Only the end-anchored timer patterns read the last words; the others read it all (they are linear).
    text = long_text(16 * KB, "") + " stop translating and " + long_text(16 * KB, "ok")
    assert isinstance(parse_intent(text), StopLive)


def test_shape_of_a_long_turn_is_read_from_its_edges() -> None:
    assert shape(long_text(64 * KB, "and then")) is Shape.INCOMPLETE
    assert shape(long_text(64 * KB, "that is all.")) is Shape.COMPLETE
    assert shape(long_text(64 * KB, "right?")) is Shape.QUESTION
    assert shape("what " + long_text(64 * KB, "is it like")) is Shape.QUESTION  # opened as a question
    assert shape("x" * 64 * KB) is Shape.COMPLETE  # one long word: the tail keeps its end


def test_a_long_text_is_no_backchannel_even_of_backchannel_words() -> None:
    yeahs = "yeah " * (LONGEST_BACKCHANNEL // 5)
    assert is_backchannel(yeahs)
    assert not is_backchannel(yeahs + "yeah right")


def test_the_policy_answers_a_64_kb_frame_and_64_kb_of_keystrokes() -> None:
    text = long_text(64 * KB, "remind me in 30 seconds to stretch")
    for chunks in ([text], list(text)):
        floor, policy = FloorTracker(silence_min=0.5), FullDuplexPolicy()
        actions: list[Action] = []
        stream: list[Event] = [UserInput(text=c, modality=Modality.TYPED, t=0.01 * i) for i, c in enumerate(chunks)]
        for index, event in enumerate([*stream, UserSubmit(t=0.01 * len(chunks))]):
            floor.observe(event)
            actions += policy.react(floor.state, event)
            actions += policy.decide(floor.state, MicroTurn(index, event.t, event.t, (event,)))
        assert Say("Okay, in 30 seconds.") in actions


def test_a_cue_keeps_bounded_memory_and_still_fires_after_a_long_talk() -> None:
    phrase = Cue("cue-1", CueRequest(kind="phrase", watch="red balloon", phrase=("red", "balloon")))
    wrong = Cue("cue-2", CueRequest(kind="wrong-fact", watch="a wrong fact", interrupt=True))
    for word in long_text(64 * KB, "").split():
        assert phrase.hear(word) is None
        wrong.hear(word)
    assert len(phrase.heard) < 2 * _MEMORY
    assert len(wrong.heard) < 2 * _MEMORY
    assert phrase.hear("a red") is None
    hit = phrase.hear("balloon")
    assert hit is not None
    assert hit.matched == "red balloon"
    facts = [wrong.hear(word) for word in "two plus two is five and".split()]
    assert [fact.say for fact in facts if fact is not None] == ["Wait, 2 plus 2 is 4."]


def test_speculation_reads_the_newest_words_of_a_long_turn() -> None:
    weather = ToolSpec(name="weather", description="the weather", trigger=r"weather in (?P<city>\w+)")
    speculator = Speculator(holding="Let me check.")
    state = FloorState(tools=(weather,))
    state.user_text = long_text(64 * KB, "")
    assert speculator.listen(state, fresh=len(state.user_text)) == []
    state.user_text += " what's the weather in"
    assert speculator.listen(state, fresh=len(" what's the weather in")) == []
    state.user_text += " Lisbon"
    (call,) = speculator.listen(state, fresh=len(" Lisbon"))
    assert getattr(call, "arguments", None) == {"city": "lisbon"}


# --- input over the limits ---------------------------------------------------------------------------


async def test_input_over_the_limits_is_refused_out_loud_and_the_session_goes_on(clock: VirtualClock) -> None:
    big_frame = b'{"v": 1, "e": {"kind": "Note", "text": "' + b"x" * MAX_FRAME + b'"}}'
    chunk = "a" * (MAX_TEXT - 1) + " "
    steps: list[Step] = [
        (0.5, big_frame),
        *typed("b" * (MAX_TEXT + 1), 0.6),
        *[(1.0 + 0.01 * i, UserInput(text=chunk)) for i in range(MAX_TURN // MAX_TEXT + 1)],
        *typed(" what is 2 plus 2", 1.5, submit_at=1.6),
        *end(6.0),
    ]
    _, log = await run_session(clock, steps, policy=TurnBasedPolicy(end_silence=0.8))
    frame, text, turn, late = [event for event in log if isinstance(event, InputRejected)]
    assert f"{len(big_frame)} bytes is over the {MAX_FRAME}-byte limit" in frame.reason
    assert frame.excerpt.startswith('{"v": 1, "e": {"kind": "Note"')
    assert f"{MAX_TEXT + 1} characters is over the {MAX_TEXT}-character limit" in text.reason
    assert text.excerpt == "b" * 120
    assert f"over the {MAX_TURN}-character limit per turn" in turn.reason
    assert "over the" in late.reason
    assert late.excerpt == " what is 2 plus 2"
    taken = [event for event in log if isinstance(event, UserInput)]
    assert len(taken) == MAX_TURN // MAX_TEXT  # the chunks that fit; nothing over a limit was taken
    assert [event.reason for event in log if isinstance(event, AgentSpeechEnded)]  # ... and the agent answered


async def test_a_turn_taken_up_makes_room_for_the_next(clock: VirtualClock) -> None:
    chunk = "a" * (MAX_TEXT - 1) + " "
    first = [(1.0 + 0.01 * i, UserInput(text=chunk)) for i in range(MAX_TURN // MAX_TEXT)]
    steps: list[Step] = [*first, (1.2, UserSubmit()), *typed("what is 2 plus 2", 5.0, submit_at=5.1), *end(9.0)]
    _, log = await run_session(clock, steps, policy=TurnBasedPolicy(end_silence=0.8))
    assert not [event for event in log if isinstance(event, InputRejected)]


# --- one model context per conversation ----------------------------------------------------------------


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gemma_weights(tmp_path_factory.mktemp("models"), progress=None)


def conversation(topic: str, lines: int) -> ModelRequest:
    said = [f"[00:{index:02d}.0] user: tell me one more thing about {topic}, number {index}" for index in range(lines)]
    return ModelRequest(timeline="\n".join(["[00:00.0] session started", *said]), user_text="", elapsed=59.0, wall=0.0)


def count_evaluated(llama: Any) -> list[int]:
    """The number of prompt tokens each ``eval`` call of ``llama`` computes (what its prefix cache did not hold)."""
    evaluated: list[int] = []
    real = llama.eval

    def evaluate(tokens: list[int]) -> None:
        evaluated.append(len(tokens))
        real(tokens)

    llama.eval = evaluate
    return evaluated


def test_two_conversations_keep_their_prefix_caches_apart(weights: Path) -> None:
    first, second = (EmbeddedModel(clock=SystemClock(), model_path=weights) for _ in range(2))
    italy, japan = conversation("italy", 20), conversation("japan", 20)
    later = ModelRequest(
        timeline=italy.timeline + "\n[00:40.0] user: and of france", user_text="", elapsed=41.0, wall=0.0
    )

    async def main() -> tuple[list[int], Any]:
        await first.prefill(italy)
        await second.prefill(japan)  # another conversation's turn, in between
        llama = first._load()
        evaluated = count_evaluated(llama)
        assert llama is not second._load()
        async for _ in first.stream(later):
            break
        await first.aclose()
        await second.aclose()
        return evaluated, llama

    evaluated, llama = asyncio.run(main())
    tokens = [llama.tokenize(build_prompt(request).encode()) for request in (italy, later)]
    common = next(i for i, (a, b) in enumerate(zip(*tokens, strict=False)) if a != b)
    new = len(tokens[1]) - common
    history = len(tokens[0]) - len(llama.tokenize(build_prompt(conversation("italy", 0)).encode()))
    assert history > 200  # re-reading the conversation would cost this much
    assert evaluated[0] <= new + 1  # only the new line was computed: the first conversation's cache held the rest


class FakeLlama:
    """Stands in for a llama.cpp context in the pool's bookkeeping."""

    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_the_pool_gives_each_model_its_own_context_and_keeps_a_few_for_reuse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llama_pool, "_load", lambda key: FakeLlama())
    monkeypatch.setattr(llama_pool, "_IDLE", {})
    key = (Path("fake.gguf"), 512, 1)
    held = [llama_pool.acquire(key) for _ in range(4)]
    assert len({id(llama) for llama in held}) == 4
    for llama in held:
        llama_pool.release(key, llama)
    assert llama_pool.idle(key) == llama_pool.IDLE_KEPT
    assert [llama.closed for llama in held] == [False] * llama_pool.IDLE_KEPT + [True] * (4 - llama_pool.IDLE_KEPT)
    assert llama_pool.acquire(key) in held[: llama_pool.IDLE_KEPT]  # a context given back is reused, warm
