"""FloorTracker: who holds the floor, what the user said, and the silence/overlap facts it derives."""

from __future__ import annotations

import pytest

from microturn import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    EndReason,
    Event,
    FloorHolder,
    JobRequested,
    JobResult,
    Modality,
    Overlap,
    Silence,
    UserErase,
    UserInput,
    UserSubmit,
)
from microturn._core._floor import FloorTracker


def spoken(t: float, word: str, duration: float = 0.3) -> UserInput:
    return UserInput(t=t, text=word, modality=Modality.SPOKEN, duration=duration)


def typed(t: float, text: str) -> UserInput:
    return UserInput(t=t, text=text, modality=Modality.TYPED)


def word(t: float, text: str = "word", duration: float = 0.4, utterance: int = 1) -> AgentWord:
    return AgentWord(t=t, utterance=utterance, word=text, duration=duration)


def feed(tracker: FloorTracker, *events: Event) -> list[Event]:
    facts: list[Event] = []
    for event in events:
        facts += tracker.observe(event)
    return facts


# --- silence ---------------------------------------------------------------------------------------


def test_a_gap_shorter_than_silence_min_is_no_fact() -> None:
    tracker = FloorTracker(silence_min=0.5)
    assert feed(tracker, spoken(0.0, "one"), spoken(0.3, "two"), spoken(0.99, "three")) == []  # gap 0.39


def test_a_gap_of_at_least_silence_min_is_a_silence_fact() -> None:
    tracker = FloorTracker(silence_min=0.5)
    facts = feed(tracker, spoken(0.0, "one"), spoken(1.5, "two"), word(3.0))
    assert facts == [Silence(started=0.3, duration=1.2), Silence(started=1.8, duration=1.2)]


def test_a_gap_of_exactly_silence_min_is_a_silence_fact() -> None:
    # Session times are rounded to the microsecond; 0.7 - 0.2 is 0.49999999999999994 in floats.
    tracker = FloorTracker(silence_min=0.5)
    facts = feed(tracker, spoken(0.0, "one", duration=0.2), spoken(0.7, "two"))
    assert facts == [Silence(started=0.2, duration=0.5)]


def test_silence_is_measured_from_whoever_spoke_last() -> None:
    tracker = FloorTracker(silence_min=0.5)
    facts = feed(tracker, spoken(0.0, "hi", duration=0.3), word(0.2, duration=1.0), spoken(2.0, "so"))
    # The agent talked until 1.2 s, so the quiet began then, not when the user stopped at 0.3 s.
    assert facts == [Overlap(started=0.2, duration=0.1), Silence(started=1.2, duration=0.8)]


def test_silence_at_the_start_counts_from_zero() -> None:
    tracker = FloorTracker(silence_min=0.5)
    assert feed(tracker, typed(2.0, "hello")) == [Silence(started=0.0, duration=2.0)]


# --- overlap ---------------------------------------------------------------------------------------


def test_overlap_is_reported_when_simultaneous_output_ends() -> None:
    tracker = FloorTracker(silence_min=0.5)
    assert feed(tracker, word(0.0, duration=0.4), spoken(0.3, "wait", duration=0.5)) == []
    assert tracker.state.floor is FloorHolder.BOTH
    assert tracker.advance(0.35) == []  # still both talking
    assert tracker.advance(0.45) == [Overlap(started=0.3, duration=0.1)]
    assert tracker.advance(5.0) == []  # reported once


def test_overlap_starts_when_the_second_party_starts() -> None:
    tracker = FloorTracker(silence_min=0.5)
    feed(tracker, spoken(0.0, "long", duration=2.0), word(1.0, duration=0.4))
    assert tracker.advance(2.0) == [Overlap(started=1.0, duration=0.4)]


def test_continuous_overlap_is_one_fact() -> None:
    # The user talks from 0 to 2 s; the agent talks over them from 1.0 s to 2.2 s, word after word.
    tracker = FloorTracker(silence_min=0.5)
    facts = feed(tracker, spoken(0.0, "long", duration=2.0), word(1.0), word(1.4), word(1.8))
    facts += tracker.advance(3.0)
    assert [fact for fact in facts if isinstance(fact, Overlap)] == [Overlap(started=1.0, duration=1.0)]


def test_a_zero_length_overlap_is_no_fact() -> None:
    # The user barges in and the agent stops at that very instant.
    tracker = FloorTracker(silence_min=0.5)
    facts = feed(
        tracker,
        AgentSpeechStarted(t=0.0, utterance=1),
        word(0.0, duration=0.4),
        spoken(0.2, "stop", duration=0.3),
        AgentSpeechEnded(t=0.2, utterance=1, reason=EndReason.INTERRUPTED, delivered="word"),
    )
    facts += tracker.advance(1.0)
    assert [fact for fact in facts if isinstance(fact, Overlap)] == []


# --- the floor -------------------------------------------------------------------------------------


def test_floor_follows_activity_intervals() -> None:
    tracker = FloorTracker(silence_min=0.5)
    floors = [tracker.state.floor]
    tracker.observe(spoken(0.0, "hello", duration=1.0))
    tracker.advance(0.5)
    floors.append(tracker.state.floor)
    assert (tracker.state.user_active, tracker.state.agent_active) == (True, False)
    tracker.observe(word(0.6, duration=1.0))
    floors.append(tracker.state.floor)
    tracker.advance(1.2)
    floors.append(tracker.state.floor)
    tracker.advance(1.6)
    floors.append(tracker.state.floor)
    assert floors == [FloorHolder.NONE, FloorHolder.USER, FloorHolder.BOTH, FloorHolder.AGENT, FloorHolder.NONE]


def test_typed_input_takes_no_time() -> None:
    tracker = FloorTracker(silence_min=0.5)
    tracker.observe(typed(1.0, "hi"))
    assert tracker.state.floor is FloorHolder.NONE
    assert tracker.state.last_user_input == 1.0


def test_silent_for_measures_from_the_end_of_activity() -> None:
    tracker = FloorTracker(silence_min=0.5)
    state = tracker.state
    assert state.user_silent_for == 0.0  # nothing said yet
    tracker.observe(spoken(1.0, "hi", duration=0.3))
    tracker.advance(1.2)
    assert state.user_silent_for == 0.0
    tracker.observe(word(1.5, duration=0.4))
    tracker.advance(2.1)
    assert state.user_silent_for == 0.8
    assert state.silence_for == 0.2


def test_time_never_goes_back() -> None:
    tracker = FloorTracker(silence_min=0.5)
    tracker.advance(5.0)
    tracker.advance(3.0)
    assert tracker.state.now == 5.0


# --- what the user said ----------------------------------------------------------------------------


def test_typed_text_accumulates_verbatim() -> None:
    tracker = FloorTracker(silence_min=0.5)
    feed(tracker, typed(0.0, "wh"), typed(0.1, "at is"), typed(0.2, " 2+2"))
    assert tracker.state.user_text == "what is 2+2"


def test_spoken_words_are_joined_with_spaces() -> None:
    tracker = FloorTracker(silence_min=0.5)
    feed(tracker, spoken(0.0, "what"), spoken(0.3, "is"), typed(0.6, " two "), spoken(0.9, "plus"))
    assert tracker.state.user_text == "what is two plus"


def test_erase_removes_characters_from_the_end() -> None:
    tracker = FloorTracker(silence_min=0.5)
    feed(tracker, typed(0.0, "hello"), UserErase(t=0.1, count=2))
    assert tracker.state.user_text == "hel"
    assert tracker.state.last_user_input == 0.1
    tracker.observe(UserErase(t=0.2, count=99))
    assert tracker.state.user_text == ""


def test_submit_marks_the_input_done_until_more_arrives() -> None:
    tracker = FloorTracker(silence_min=0.5)
    feed(tracker, typed(0.0, "hi"), UserSubmit(t=0.1))
    assert tracker.state.user_submitted
    tracker.observe(typed(0.2, " there"))
    assert not tracker.state.user_submitted


def test_take_user_text_hands_over_the_words_and_starts_afresh() -> None:
    tracker = FloorTracker(silence_min=0.5)
    feed(tracker, typed(0.0, "what time is it"), UserSubmit(t=0.1))
    assert tracker.take_user_text() == "what time is it"
    assert (tracker.state.user_text, tracker.state.user_submitted) == ("", False)
    assert tracker.take_user_text() == ""


def test_user_turns_count_fresh_starts() -> None:
    tracker = FloorTracker(silence_min=0.5)
    feed(tracker, typed(0.0, "a"), typed(0.1, "b"))
    assert tracker.state.user_turns == 1
    tracker.take_user_text()
    tracker.observe(typed(1.0, "c"))
    assert tracker.state.user_turns == 2


# --- the agent's side ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "interruptions"),
    [(EndReason.COMPLETED, 0), (EndReason.STOPPED, 0), (EndReason.INTERRUPTED, 1)],
)
def test_an_utterance_from_start_to_end(reason: EndReason, interruptions: int) -> None:
    tracker = FloorTracker(silence_min=0.5)
    state = tracker.state
    tracker.observe(AgentSpeechStarted(t=0.0, utterance=7))
    assert (state.agent_speaking, state.agent_utterance, state.agent_turns) == (True, 7, 1)
    feed(tracker, word(0.0, "Once", utterance=7), word(0.4, "upon", utterance=7))
    assert state.agent_delivered == ["Once", "upon"]
    tracker.observe(AgentSpeechEnded(t=0.5, utterance=7, reason=reason, delivered="Once upon"))
    assert not state.agent_speaking
    assert state.interruptions == interruptions
    # A cut-off ends the agent's activity at once; a completed utterance runs to its last word's end.
    assert state.agent_active_until == (0.8 if reason is EndReason.COMPLETED else 0.5)


def test_open_jobs_follow_requests_and_results() -> None:
    tracker = FloorTracker(silence_min=0.5)
    feed(tracker, JobRequested(t=0.0, job="job-1", task="a"), JobRequested(t=0.1, job="job-2", task="b"))
    tracker.observe(JobResult(t=1.0, job="job-1", text="done"))
    assert tracker.state.open_jobs == {"job-2"}
