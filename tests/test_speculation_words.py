"""A speculation answers *the same words*: the final transcript may differ from the rough words in case,
punctuation, spacing, tags and trailing hesitations, and the reply still takes it; other words never do."""

from __future__ import annotations

import pytest

from microturn import (
    AgentSpeechStarted,
    AgentWord,
    Event,
    Modality,
    ModelAsked,
    UserInput,
    UserSpeechEnded,
    UserSpeechStarted,
    UserSubmit,
    UserTranscript,
    VirtualClock,
    encode_log,
)
from microturn._eval import replay_log
from microturn._session._speculation import spoken_words
from microturn.testing import Step, end, run_session, typed
from test_speculation import SlowLocalModel


@pytest.mark.parametrize(
    ("rough", "final"),
    [
        ("what is the time", "What is the time?"),
        ("what is the time", "what  is the   time"),
        ("whats the time in são paulo", "Whats the time in São Paulo?"),
        ("what is the time uh", "What is the time?"),
        ("what is the time um hmm", "what is the time"),
        ("what is the time [cough]", "What is the time."),
        ("what’s the time", "What's the time?"),
        ("wie spät ist es", "Wie spät ist es?"),
        ("mm-hm", "Mm-hm."),
    ],
)
def test_the_same_words_differ_only_in_case_punctuation_spacing_tags_and_trailing_hesitations(
    rough: str, final: str
) -> None:
    assert spoken_words(rough) == spoken_words(final)


@pytest.mark.parametrize(
    ("rough", "final"),
    [
        ("what is the time", "what is the time in paris"),
        ("what is the time", "what's the time"),
        ("what is the time", "what is the dime"),
        ("um what is the time", "what is the time"),  # only trailing hesitations are no words
        ("what is it like", "what is it"),  # "like" and "well" are words
        ("wie spät ist es", "wie spät war es"),
        ("да", "нет"),  # any script is read, not dropped
        ("2 plus 2", "two plus two"),
    ],
)
def test_other_words_are_not_the_same(rough: str, final: str) -> None:
    assert spoken_words(rough) != spoken_words(final)


def voice(rough: str, final: str, *, start: float = 0.5) -> list[Step]:
    """A stretch of speech as a voice channel reports it: its onset, the rough words as recognised, its end (0.2 s
    of silence after the last word), and 0.3 s later the accurate recogniser's final transcript."""
    words = rough.split()
    steps: list[Step] = [(start, UserSpeechStarted())]
    steps += [
        (round(start + 0.1 + 0.3 * i, 6), UserInput(text=w, modality=Modality.SPOKEN)) for i, w in enumerate(words)
    ]
    spoke = round(0.1 + 0.3 * len(words), 6)
    steps.append((round(start + spoke + 0.2, 6), UserSpeechEnded(duration=spoke, silence=0.2)))
    steps.append((round(start + spoke + 0.5, 6), UserTranscript(text=final, final=True)))
    return steps


def run(steps: list[Step]) -> tuple[SlowLocalModel, list[Event]]:
    clock = VirtualClock()
    model = SlowLocalModel(clock)
    return model, clock.run(run_session(clock, steps, model=model))[1]


def asked(log: list[Event]) -> list[tuple[float, bool]]:
    return [(event.t, event.speculative) for event in log if isinstance(event, ModelAsked)]


def said(log: list[Event]) -> str:
    return " ".join(event.word for event in log if isinstance(event, AgentWord))


def test_a_speculation_on_the_rough_words_is_taken_when_the_final_transcript_says_the_same_words() -> None:
    model, log = run([*voice("what is the time uh", "What is the time?"), *end(8.0)])
    assert asked(log) == [(2.3, True)]  # at the end of the speech: the policy waits for the final text
    assert model.asked == ["what is the time uh"]
    assert model.cancelled == []
    (started,) = [event for event in log if isinstance(event, AgentSpeechStarted)]
    assert started.reply_to == "What is the time?"  # the reply answers the accurate text, from the buffer
    assert said(log) == "you asked what is the time uh"


def test_a_final_transcript_with_other_words_drops_the_speculation_and_speculates_on_them() -> None:
    model, log = run([*voice("what is the dime", "What is the time?"), *end(8.0)])
    assert asked(log) == [(2.0, True), (2.3, True)]  # the second, the moment the final text came
    assert model.cancelled == ["what is the dime"]
    assert said(log) == "you asked What is the time?"


def test_typing_a_space_or_a_question_mark_keeps_the_speculation() -> None:
    steps = [*typed("what is the time", at=1.0), (1.2, UserInput(text=" ?")), (1.4, UserSubmit()), *end(6.0)]
    model, log = run(steps)
    assert asked(log) == [(1.0, True)]
    assert model.asked == ["what is the time"]
    (started,) = [event for event in log if isinstance(event, AgentSpeechStarted)]
    assert started.reply_to == "what is the time ?"


def test_voice_speculations_replay_byte_for_byte() -> None:
    _, log = run([*voice("what is the dime", "What is the time?"), *voice("thanks", "Thanks!", start=5.0), *end(9.0)])
    data = encode_log(log)
    assert replay_log(data) == data
