"""The turn-taking core's end of turn on its own: when a silence ends the user's turn (EndOfTurn), and the
turn it ends (Turn): its words, its speech, its deadline, the wait for the final transcript."""

from __future__ import annotations

import pytest

from microturn._core._events import (
    Modality,
    UserErase,
    UserInput,
    UserSpeechEnded,
    UserSpeechStarted,
    UserSubmit,
    UserTranscript,
)
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._decisions import RulesTurnEnd, Waits
from microturn._policies._full_duplex._end_of_turn import EndOfTurn
from microturn._policies._full_duplex._turn import Turn


def rule(*, max_incomplete_silence: float = 4.0) -> EndOfTurn:
    waits = Waits(complete=0.1, incomplete=1.8, max_incomplete=max_incomplete_silence, typed=2.5)
    return EndOfTurn(RulesTurnEnd(waits))


def said(
    text: str,
    *,
    until: float = 2.0,
    now: float = 2.0,
    user_speaking: bool = False,
    transcripts_pending: int = 0,
    agent_utterance: int | None = None,
) -> FloorState:
    """The floor after the user said ``text``, their input active until ``until``."""
    return FloorState(
        now=now,
        user_active_until=until,
        last_user_input=until - 0.3,
        user_text=text,
        user_speaking=user_speaking,
        transcripts_pending=transcripts_pending,
        agent_utterance=agent_utterance,
    )


def word(text: str, t: float, duration: float = 0.3) -> UserInput:
    return UserInput(t=t, text=text, modality=Modality.SPOKEN, duration=duration)


def keys(text: str, t: float) -> UserInput:
    return UserInput(t=t, text=text, modality=Modality.TYPED)


# --- EndOfTurn ---------------------------------------------------------------------------------------


def test_complete_words_end_the_turn_after_a_short_silence() -> None:
    assert rule().deadline(said("what time is it?"), typed=False) == pytest.approx(2.1)
    assert rule().deadline(said("I like tea"), typed=False) == pytest.approx(2.1)


def test_unfinished_words_wait_longer() -> None:
    assert rule().deadline(said("I went to the"), typed=False) == pytest.approx(3.8)
    assert rule().deadline(said("so, um"), typed=False) == pytest.approx(3.8)


def test_a_speaker_who_pauses_long_is_waited_for_longer_within_the_cap() -> None:
    end = rule()
    end.paused(2.0, at=4)
    assert end.deadline(said("and then"), typed=False) == pytest.approx(2.0 + 1.3 * 2.0)
    end.paused(5.0, at=4)
    assert end.deadline(said("and then"), typed=False) == pytest.approx(6.0)  # at most max_incomplete_silence
    assert end.deadline(said("and then we left."), typed=False) == pytest.approx(2.1)  # complete words are not affected


def test_gaps_between_words_are_not_pauses_to_learn_from() -> None:
    end = rule()
    end.paused(0.29, at=4)
    assert end.deadline(said("and then"), typed=False) == pytest.approx(3.8)


def test_the_cap_is_never_below_the_plain_wait() -> None:
    end = rule(max_incomplete_silence=1.0)
    end.paused(3.0, at=4)
    assert end.deadline(said("and then"), typed=False) == pytest.approx(3.8)


def test_typed_words_wait_for_the_typist() -> None:
    assert rule().deadline(said("hello there"), typed=True) == pytest.approx(4.5)
    assert rule().deadline(said("I was wondering if"), typed=True) == pytest.approx(9.5)


# --- Turn ------------------------------------------------------------------------------------------------


def test_a_spoken_word_opens_the_turn_and_is_heard_at_once() -> None:
    assert Turn(rule(), transcript_wait=3.0).speech is None
    turn = Turn(rule(), transcript_wait=3.0)
    assert turn.input(said("hello", until=1.3), word("hello", 1.0)) == "hello"
    assert turn.open
    assert turn.speech == pytest.approx(0.3)
    turn.input(said("hello there", until=1.8), word("there", 1.5))
    assert turn.speech == pytest.approx(0.6)


def test_the_turn_is_over_at_its_deadline_and_not_before() -> None:
    turn = Turn(rule(), transcript_wait=3.0)
    turn.input(said("hi.", until=1.3), word("hi.", 1.0))
    assert not turn.over(said("hi.", until=1.3, now=1.2))  # the user is still talking
    assert not turn.over(said("hi.", until=1.3, now=1.35))
    assert turn.over(said("hi.", until=1.3, now=1.4))
    assert turn.moment(said("hi.", until=1.3, now=1.3)) == pytest.approx(1.4)


def test_no_moment_while_the_agent_speaks_or_nothing_was_said() -> None:
    turn = Turn(rule(), transcript_wait=3.0)
    turn.input(said("hi.", until=1.3), word("hi.", 1.0))
    assert turn.moment(said("hi.", until=1.3, agent_utterance=1)) is None
    assert turn.moment(said("  ", until=1.3)) is None


def test_typed_words_are_finished_at_the_space_after_them() -> None:
    turn = Turn(rule(), transcript_wait=3.0)
    assert turn.input(said("hel"), keys("hel", 1.0)) == ""
    assert turn.input(said("hello wo"), keys("lo wo", 1.1)) == "hello"
    assert turn.input(said("hello world "), keys("rld ", 1.2)) == "world "


def test_an_erased_letter_is_not_in_the_finished_word() -> None:
    turn = Turn(rule(), transcript_wait=3.0)
    turn.input(said("helo"), keys("helo", 1.0))
    turn.erase(said("hel"), UserErase(t=1.1, count=1))
    assert turn.input(said("hello "), keys("lo ", 1.2)) == "hello "


def test_enter_ends_the_turn_now_and_finishes_the_last_word() -> None:
    turn = Turn(rule(), transcript_wait=3.0)
    turn.input(said("I was wondering if", until=1.0), keys("I was wondering if", 1.0))
    assert turn.submit(UserSubmit(t=1.5)) == "if"
    assert turn.over(said("I was wondering if", until=1.0, now=1.5))


def test_the_end_of_the_turn_returns_when_it_began_and_closes_it() -> None:
    turn = Turn(rule(), transcript_wait=3.0)
    turn.input(said("hi.", until=1.3), word("hi.", 1.0))
    assert turn.end(said("hi.", until=1.3, now=1.4)) == 1.0
    assert not turn.open
    assert not turn.over(said("hi.", until=1.3, now=9.0))


def test_a_pause_inside_a_spoken_turn_teaches_the_wait() -> None:
    turn = Turn(rule(), transcript_wait=3.0)
    turn.input(said("and", until=1.3), word("and", 1.0))
    turn.input(said("and then", until=4.3), word("then", 4.0))  # after 2.7 s of silence
    assert turn.moment(said("and then", until=4.3, now=4.3)) == pytest.approx(4.3 + 1.3 * 2.7)


def test_in_voice_the_end_waits_for_the_final_transcript() -> None:
    turn = Turn(rule(), transcript_wait=3.0)
    turn.speech_started(said(""), UserSpeechStarted(t=1.0))
    turn.input(said("hi.", until=1.3, user_speaking=True), word("hi.", 1.0))
    pending = said("hi.", until=1.3, now=1.8, transcripts_pending=1)
    turn.speech_ended(pending, UserSpeechEnded(t=1.8, duration=0.3, silence=0.5))
    assert turn.speech == pytest.approx(0.6)  # the word, and the speech it was in
    assert not turn.over(pending)
    assert turn.moment(pending) == pytest.approx(4.3)  # 3 s after the speech ended, if the text never comes
    final = said("hi there.", until=1.3, now=2.0)
    turn.transcribed(final, UserTranscript(t=2.0, text="hi there.", final=True))
    assert turn.over(final)


def test_a_final_transcript_of_noise_means_there_was_no_turn() -> None:
    turn = Turn(rule(), transcript_wait=3.0)
    turn.speech_started(said(""), UserSpeechStarted(t=1.0))
    turn.input(said("uh", until=1.3, user_speaking=True), word("uh", 1.0))
    turn.transcribed(said("", until=1.3, now=2.0), UserTranscript(t=2.0, text="", final=True))
    assert not turn.open
