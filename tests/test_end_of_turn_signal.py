"""The model's end-of-turn signal: read whenever the user's words change, recorded as a TurnEndSignal for the words
it read (never for a replay: the log has it), dropped when stale, and a start for the speculation when sure."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from _reading_model import READ, ReadingModel
from microturn import (
    AgentWord,
    ComponentFailed,
    Event,
    Modality,
    ModelAsked,
    ModelRequest,
    TurnEndSignal,
    UserInput,
    UserSpeechEnded,
    UserSpeechStarted,
    UserSubmit,
    UserTranscript,
    VirtualClock,
    encode_log,
)
from microturn._eval import replay_log
from microturn._models import ChatModel, EndOfTurnReading
from microturn._models._embedded import EmbeddedModel
from microturn._models._openai import OpenAICompatibleModel
from microturn._models._weights import gemma_weights
from microturn._session._anticipation import PROBABLY_OVER
from microturn._session._model_calls import ModelCalls, Playback
from microturn.errors import ConfigError
from microturn.testing import Step, end, run_session, spoken, typed


class RemoteReading(ReadingModel):
    """The same FAKE without prefill: a remote model (the OpenAI-compatible one reads logprobs), never speculated on."""

    prefill = None  # type: ignore[assignment]


class ServerReading(RemoteReading):
    """The same FAKE, saying its readings are a server's top log-probabilities, as the OpenAI-compatible model does."""

    end_of_turn_source: ClassVar[str] = "server"


def over_after_time(words: str) -> float:
    return 0.9 if words.endswith("time") else 0.1


def run(model: ReadingModel, steps: list[Step]) -> list[Event]:
    """``steps`` through a session with every default of the policy, on ``model``'s clock."""
    return model.clock.run(run_session(model.clock, steps, model=model))[1]


def signals(log: list[Event]) -> list[TurnEndSignal]:
    return [event for event in log if isinstance(event, TurnEndSignal)]


def asked(log: list[Event]) -> list[tuple[float, bool]]:
    return [(event.t, event.speculative) for event in log if isinstance(event, ModelAsked)]


def said(log: list[Event]) -> str:
    return " ".join(event.word for event in log if isinstance(event, AgentWord))


def test_the_protocol_is_the_embedded_models() -> None:
    assert isinstance(EmbeddedModel(), EndOfTurnReading)
    assert isinstance(ReadingModel(VirtualClock(), over_after_time), EndOfTurnReading)


def test_a_reading_is_recorded_as_the_kind_the_model_says_it_gives() -> None:
    """The embedded model's reading is its own ("model"), an OpenAI-compatible server's its top log-probabilities
    ("server"); a model that says nothing gives its own; a playback reads nothing."""
    clock = VirtualClock()
    injected: list[tuple[Event, str]] = []

    async def inject(event: Event, source: str) -> None:
        injected.append((event, source))

    def calls(model: ChatModel | Playback) -> ModelCalls:
        return ModelCalls(model, inject=inject, spawn=lambda coroutine: asyncio.ensure_future(coroutine))

    server = OpenAICompatibleModel(base_url="http://127.0.0.1:9/v1", model="m", clock=clock)
    assert calls(server).reading == "server"
    assert calls(EmbeddedModel()).reading == "model"
    assert calls(ReadingModel(clock, over_after_time)).reading == "model"
    assert calls(Playback([])).reading == "model"
    asyncio.run(calls(server).signal(0.25, upto=4))
    assert injected == [(TurnEndSignal(probability=0.25, upto=4), "server")]


def test_a_model_that_says_another_kind_of_reading_is_a_config_error() -> None:
    class Audio(RemoteReading):
        end_of_turn_source: ClassVar[str] = "audio"  # the audio detector's: no model's reading may pass for it

    with pytest.raises(ConfigError, match="end_of_turn_source is 'audio'"):
        run(Audio(VirtualClock(), over_after_time), [*spoken("hi", 0.5), *end(2.0)])


def test_a_servers_readings_are_signals_from_the_server_and_weighed_as_a_servers() -> None:
    """The same readings from a server and from a model's own: the learned turn end weighs a server's 0.5 as a
    high reading (a server's median at a real end is 0.45) and the head's as a lowish one (0.66)."""
    replies: dict[str, float] = {}
    for model in (ServerReading(VirtualClock(), lambda words: 0.5), RemoteReading(VirtualClock(), lambda words: 0.5)):
        log = run(model, [*spoken("sure why not", 0.5), *end(6.0)])
        (source,) = {s.source for s in signals(log)}
        replies[source] = next(event.t for event in log if isinstance(event, AgentWord)) - 1.4  # the last word's end
        data = encode_log(log)
        assert replay_log(data) == data  # the replay's policy reads the recorded source
    # The reply comes 0.2 s after it is asked for: at once (0.1 s) on the server's reading, 1.56 s on the head's.
    assert replies == {"server": pytest.approx(0.1 + 0.2), "model": pytest.approx(1.56 + 0.2)}


def test_a_signal_is_recorded_for_each_word_with_the_length_of_the_words_it_read() -> None:
    model = ReadingModel(VirtualClock(), over_after_time)
    log = run(model, [*spoken("what is the time", 0.5), *end(6.0)])
    assert model.reads == ["what", "what is", "what is the", "what is the time"]  # read at each word, at once
    assert [(s.t, s.source, s.probability, s.upto) for s in signals(log)] == [
        (0.53, "model", 0.1, len("what")),
        (0.83, "model", 0.1, len("what is")),
        (1.13, "model", 0.1, len("what is the")),
        (1.43, "model", 0.9, len("what is the time")),
    ]
    assert said(log) == "you asked what is the time"


def test_typed_words_are_read_at_each_space_and_where_the_typing_pauses_not_at_every_key() -> None:
    keys: list[Step] = [
        (round(1.0 + 0.125 * i, 6), UserInput(text=char, duration=0.125)) for i, char in enumerate("what is the time")
    ]
    model = ReadingModel(VirtualClock(), over_after_time)
    log = run(model, [*keys, (3.5, UserSubmit()), *end(8.0)])
    assert model.reads == ["what ", "what is ", "what is the ", "what is the time"]
    pause = 1.0 + 0.125 * 16
    # At the pause: the speculation at once; the last word's reading once the model is free again (the speculated
    # reply took it 0.2 s, and the next micro-turn, at 3.4, found it free): the reply cannot wait, the policy can.
    assert asked(log) == [(pause, True)]
    assert [(s.t, s.upto) for s in signals(log)][-1] == (3.43, len("what is the time"))


def test_a_sure_signal_starts_the_speculation_before_the_pause_and_the_reply_takes_it() -> None:
    assert over_after_time("what is the time") >= PROBABLY_OVER > over_after_time("what is the")
    model = ReadingModel(VirtualClock(), over_after_time)
    log = run(model, [*spoken("what is the time", 0.5), *end(6.0)])
    assert asked(log) == [(1.43, True)]  # the signal's moment, 0.27 s before the last word ends; no other request
    first = next(event.t for event in log if isinstance(event, AgentWord))
    assert first == pytest.approx(1.8)  # the policy's answer (at 1.7 + 0.1) finds the reply ready


def test_signals_replay_byte_for_byte_and_a_replay_reads_nothing() -> None:
    model = ReadingModel(VirtualClock(), over_after_time)
    log = run(model, [*spoken("what is the time and", 0.5), *spoken("in paris", 2.6), *end(8.0)])
    assert len(signals(log)) == 7
    reads = len(model.reads)
    data = encode_log(log)
    assert replay_log(data) == data  # the signals come back from the log, at the same moments
    assert len(model.reads) == reads  # (the replay has no model to read with: a Playback stands in)


def test_a_final_transcript_of_the_same_words_is_given_the_last_reading_without_asking_the_model() -> None:
    rough = ["what", "is", "the", "time"]
    steps: list[Step] = [(0.5, UserSpeechStarted())]
    steps += [(round(0.8 + 0.3 * i, 6), UserInput(text=w, modality=Modality.SPOKEN)) for i, w in enumerate(rough)]
    steps += [
        (2.1, UserSpeechEnded(duration=1.4, silence=0.2)),
        (2.4, UserTranscript(text="What is the time?", final=True)),
    ]
    model = ReadingModel(VirtualClock(), over_after_time)
    log = run(model, [*steps, *end(6.0)])
    assert model.reads == ["what", "what is", "what is the", "what is the time"]  # the final is not read again
    # The transcript did not change (the same words), so neither did the prompt: its answer, for the final text.
    assert [(s.t, s.probability, s.upto) for s in signals(log)][-2:] == [
        (1.73, 0.9, len("what is the time")),
        (2.4, 0.9, len("What is the time?")),
    ]


def test_a_reading_overtaken_by_more_words_is_dropped() -> None:
    model = RemoteReading(VirtualClock(), over_after_time, read=0.5)  # slower than the words come
    log = run(model, [*spoken("what is the time and", 0.5), *end(6.0)])
    # Each reading is of the words as they are when it starts; the next starts when it is done.
    assert model.reads == ["what", "what is", "what is the time", "what is the time and"]
    recorded = signals(log)
    assert [(s.t, s.upto) for s in recorded] == [(2.5, len("what is the time and"))]  # the others were stale: dropped


def test_a_reading_replaces_the_prefill_while_the_transcript_ends_in_the_users_words() -> None:
    model = ReadingModel(VirtualClock(), lambda words: 0.1)
    run(model, [*spoken("what is the time and", 0.5), *spoken("in paris", 2.6), *end(8.0)])
    assert model.prefills  # before the user spoke, and after the agent did
    assert not [t for t in model.prefills if 0.5 <= t <= 3.2]  # never while they talked: the readings did it


def test_a_model_that_cannot_tell_records_nothing_and_the_turn_goes_on() -> None:
    model = ReadingModel(VirtualClock(), lambda words: None)
    log = run(model, [*spoken("what is the time", 0.5), *end(6.0)])
    assert len(model.reads) == 4
    assert not signals(log)
    assert asked(log) == [(1.7, True)]  # the speculation starts at the pause instead
    assert said(log) == "you asked what is the time"


@pytest.mark.parametrize(
    ("p", "error"),
    [
        (lambda words: 1.5, "ModelError: end_of_turn returned 1.5, not a probability"),
        (lambda words: float("nan"), "ModelError: end_of_turn returned nan, not a probability"),
    ],
)
def test_a_reading_that_is_no_probability_is_the_models_failure(p: Callable[[str], float], error: str) -> None:
    log = run(ReadingModel(VirtualClock(), p), [*spoken("what is the time", 0.5), *end(6.0)])
    (failure,) = [event for event in log if isinstance(event, ComponentFailed)]
    assert (failure.component, failure.error) == ("end-of-turn", error)


def test_a_reading_that_fails_is_recorded_once_a_turn_and_the_conversation_goes_on() -> None:
    def broken(words: str) -> float:
        raise RuntimeError("the cache is gone")

    model = ReadingModel(VirtualClock(), broken)
    log = run(model, [*spoken("what is the time", 0.5), *spoken("and in paris", 6.0), *end(11.0)])
    failures = [event for event in log if isinstance(event, ComponentFailed)]
    assert [(f.component, f.error, f.source) for f in failures] == [
        ("end-of-turn", "RuntimeError: the cache is gone", "model")
    ] * 2  # once in each user turn, recorded as the model's outside input
    assert model.reads == ["what", "and"]
    assert not signals(log)
    assert said(log) == "you asked what is the time you asked and in paris"  # nothing said about it
    data = encode_log(log)
    assert replay_log(data) == data


def test_a_model_that_reads_but_does_not_prefill_gets_signals_and_no_speculation() -> None:
    model = RemoteReading(VirtualClock(), over_after_time)
    log = run(model, [*spoken("what is the time", 0.5), *end(6.0)])
    assert len(signals(log)) == 4
    assert asked(log) == [(1.8, False)]  # a remote model is never asked for a reply nobody may hear


# --- the embedded model, for real, its compute charged to virtual time ----------------------------------------


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gemma_weights(tmp_path_factory.mktemp("models"), progress=None)


def test_the_embedded_model_signals_each_word_and_its_speculated_reply_is_taken(weights: Path) -> None:
    clock = VirtualClock()
    model = EmbeddedModel(clock=clock, model_path=weights)
    # The user speaks once the model has loaded (at the first micro-turn), a word every 6 s: a reading takes some
    # 30 ms on an idle machine, seconds on a loaded one (its compute is charged to virtual time as it comes).
    steps = [*spoken("what is the capital of italy", 30.0, rate=6.0), *end(150.0)]
    log = clock.run(run_session(clock, steps, model=model))[1]
    recorded = signals(log)
    assert {s.source for s in recorded} == {"model"}
    # A reading after each word, for the words as they were (one slower than 6 s, on a machine loaded to the hilt,
    # would be stale and dropped: each recorded one is for the words of its moment).
    words = "what is the capital of italy".split()
    lengths = [len(" ".join(words[:n])) for n in range(1, len(words) + 1)]
    assert [s.upto for s in recorded] == [n for n in lengths if n in {s.upto for s in recorded}]
    assert recorded[-1].upto == lengths[-1]
    assert max(s.probability for s in recorded[:-1]) < PROBABLY_OVER <= recorded[-1].probability  # "…of italy": over
    assert [speculative for _, speculative in asked(log)] == [True]  # speculated on, and taken
    assert "rome" in said(log).lower()
    data = encode_log(log)
    assert replay_log(data) == data


def test_a_model_that_reads_but_does_not_prefill_reads_typed_words_where_the_typing_pauses() -> None:
    model = RemoteReading(VirtualClock(), over_after_time)
    log = run(model, [*typed("what is the time", at=1.0, submit_at=3.05), *end(6.0)])
    assert model.reads == ["what is the time"]  # no space after the last word: read at the pause, at once
    assert [(s.t, s.upto) for s in signals(log)] == [(1.0 + READ, len("what is the time"))]


async def test_the_embedded_model_reads_a_finished_question_as_over_and_a_turn_ending_in_and_as_going_on(
    weights: Path, clock: VirtualClock
) -> None:
    model = EmbeddedModel(clock=clock, model_path=weights)
    start = "[00:00.0] session started (Thu 2026-01-01 09:00 UTC)\n[00:01.0] user: "

    async def reading(words: str) -> float:
        return await model.end_of_turn(ModelRequest(timeline=start + words, user_text=words, elapsed=3.0, wall=0.0))

    finished = await reading("can you tell me what the weather is like in paris today")
    going_on = await reading("so i finally got the results back from the doctor and")
    await model.aclose()
    assert going_on < 0.25  # 0.17: the model expects more after "and"
    assert finished > 0.85  # 0.92: a question, whole; a speculation starts at once
    assert finished >= PROBABLY_OVER
