"""OutputStream paces the agent's words at the speaking rate and knows exactly what was delivered."""

from __future__ import annotations

from microturn import SpeechPurpose
from microturn._session._output import OutputStream

RATE = 0.4


def stream(text: str | None = None, *, now: float = 0.0, finish: bool = True) -> OutputStream:
    output = OutputStream(rate=RATE)
    output.start(1, SpeechPurpose.REPLY, now)
    if text is not None:
        output.feed(text)
        if finish:
            output.finish_input()
    return output


def test_words_come_out_at_the_speaking_rate() -> None:
    output = stream("one two three ")
    assert output.next_awake() == 0.0
    assert output.take_due(0.0) == "one"
    assert output.next_awake() == 0.4
    assert output.take_due(0.2) is None  # not due yet
    assert output.take_due(0.4) == "two"
    assert output.take_due(0.79) is None
    assert output.take_due(0.8) == "three"
    assert output.take_due(5.0) is None  # nothing left
    assert output.delivered == ["one", "two", "three"]


def test_a_late_take_restarts_the_pace_from_now() -> None:
    output = stream("one two")
    assert output.take_due(0.0) == "one"
    assert output.take_due(3.0) == "two"
    assert output.next_awake() == 3.4


def test_pacing_starts_when_the_utterance_starts() -> None:
    output = stream("hello there", now=7.2)
    assert output.take_due(7.1) is None
    assert output.take_due(7.2) == "hello"
    assert output.next_awake() == 7.6


def test_the_utterance_finishes_when_the_last_word_has_been_spoken() -> None:
    output = stream("one two")
    output.take_due(0.0)
    output.take_due(0.4)
    assert not output.finished(0.79)
    assert output.finished(0.8)
    assert output.next_awake() == 0.8  # the loop wakes to end it


def test_an_utterance_is_not_finished_while_input_may_still_come() -> None:
    output = stream("one ", finish=False)
    assert output.take_due(0.0) == "one"
    assert not output.finished(10.0)
    assert output.next_awake() is None  # nothing to do until the model writes more


def test_words_split_across_chunks_are_joined() -> None:
    output = stream()
    for chunk in ["Hel", "lo wor", "ld, ", "how", " are", " you?"]:
        output.feed(chunk)
    words = []
    now = 0.0
    while (taken := output.take_due(now)) is not None:
        words.append(taken)
        now += RATE
    assert words == ["Hello", "world,", "how", "are"]  # "you?" may still continue
    output.finish_input()
    assert output.take_due(now) == "you?"


def test_a_partial_word_is_not_spoken_before_it_is_complete() -> None:
    output = stream()
    output.feed("Hel")
    assert output.take_due(0.0) is None
    assert output.next_awake() is None
    output.feed("lo ")
    assert output.take_due(0.0) == "Hello"


def test_finish_input_flushes_the_partial_word() -> None:
    output = stream()
    output.feed("one tw")
    output.finish_input()
    assert [output.take_due(0.0), output.take_due(0.4)] == ["one", "tw"]
    assert output.finished(0.8)


def test_whitespace_only_chunks_end_a_word() -> None:
    output = stream()
    output.feed("one")
    output.feed("\n")
    output.feed("")
    assert output.take_due(0.0) == "one"


def test_end_returns_exactly_what_was_delivered() -> None:
    output = stream("Once upon a time there was")
    for now in (0.0, 0.4, 0.8):
        output.take_due(now)
    assert output.end() == "Once upon a"
    assert output.utterance is None
    assert not output.active
    assert output.next_awake() is None
    assert output.take_due(10.0) is None  # the undelivered words are gone


def test_start_discards_the_previous_utterance() -> None:
    output = stream("left over words", finish=False)
    output.feed("and a parti")
    output.start(2, SpeechPurpose.BACKCHANNEL, 1.0)
    assert (output.utterance, output.purpose, output.delivered) == (2, SpeechPurpose.BACKCHANNEL, [])
    output.feed("mm-hm")
    output.finish_input()
    assert output.take_due(1.0) == "mm-hm"
    assert output.end() == "mm-hm"
