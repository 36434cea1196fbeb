"""Barge-in on its own: which input over the agent takes the turn (BargeIn), and the voice hold (Holding)."""

from __future__ import annotations

import pytest

from microturn._core._actions import ClearTurn, Hold, Release, Resume, Stop
from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    EndReason,
    Modality,
    SpeechPurpose,
    UserInput,
    UserSpeechStarted,
    UserTranscript,
)
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._barge_in import BargeIn, interrupts, substantive
from microturn._policies._full_duplex._decisions import IntentReading, RulesOverlap
from microturn._policies._full_duplex._holding import Holding

RULES = RulesOverlap()
CUT = [Stop(EndReason.INTERRUPTED)]
SPEAKING = FloorState(now=2.0, agent_utterance=1)
QUIET = FloorState(now=2.0)


def spoken(text: str, t: float = 2.0) -> UserInput:
    return UserInput(t=t, text=text, modality=Modality.SPOKEN, duration=0.3)


def talking(purpose: SpeechPurpose = SpeechPurpose.REPLY) -> BargeIn:
    barge_in = BargeIn(RULES)
    barge_in.follow(AgentSpeechStarted(t=1.0, utterance=1, purpose=purpose))
    return barge_in


def ended(reason: EndReason, t: float = 3.0) -> AgentSpeechEnded:
    return AgentSpeechEnded(t=t, utterance=1, reason=reason, delivered="")


# --- the judgments ---------------------------------------------------------------------------------


@pytest.mark.parametrize("heard", ["mm-hm", "yeah right", "[cough]", "okay [laughter]"])
def test_spoken_backchannels_and_noise_do_not_interrupt(heard: str) -> None:
    assert not interrupts(RULES, heard, Modality.SPOKEN, SPEAKING)


@pytest.mark.parametrize("heard", ["wait", "yeah but", "no", "mm-hm what about Porto"])
def test_words_that_take_a_turn_interrupt(heard: str) -> None:
    assert interrupts(RULES, heard, Modality.SPOKEN, SPEAKING)


def test_typed_input_interrupts_whatever_it_says() -> None:
    assert interrupts(RULES, "ok", Modality.TYPED, SPEAKING)


def test_substantive_words_are_neither_backchannels_nor_noise_nor_punctuation() -> None:
    assert substantive(RULES, "what about Porto", SPEAKING)
    assert not substantive(RULES, "mm-hm", SPEAKING)
    assert not substantive(RULES, "[noise]", SPEAKING)
    assert not substantive(RULES, "...", SPEAKING)


# --- BargeIn -----------------------------------------------------------------------------------------


def test_a_word_over_the_agent_stops_it_in_the_same_pass() -> None:
    assert talking().heard(SPEAKING, spoken("wait")) == CUT


def test_a_backchannel_over_the_agent_does_not_stop_it_but_words_after_it_do() -> None:
    barge_in = talking()
    assert barge_in.heard(SPEAKING, spoken("mm-hm")) == []
    assert barge_in.heard(SPEAKING, spoken("yeah")) == []
    assert barge_in.heard(SPEAKING, spoken("but")) == CUT  # "mm-hm yeah but" takes the turn


def test_each_utterance_starts_hearing_afresh() -> None:
    barge_in = talking()
    barge_in.heard(SPEAKING, spoken("hmm, so"))
    barge_in.follow(AgentSpeechStarted(t=3.0, utterance=2))
    assert barge_in.heard(SPEAKING, spoken("yeah")) == []


def test_the_agent_is_not_stopped_when_it_is_silent() -> None:
    assert talking().heard(QUIET, spoken("wait")) == []


@pytest.mark.parametrize("purpose", [SpeechPurpose.BACKCHANNEL, SpeechPurpose.INTERJECTION])
def test_the_agents_backchannels_and_interjections_are_not_stopped(purpose: SpeechPurpose) -> None:
    barge_in = talking(purpose)
    assert not barge_in.stoppable
    assert barge_in.heard(SPEAKING, spoken("wait")) == []


def test_a_turn_of_only_a_backchannel_after_a_cut_resumes_the_agent() -> None:
    barge_in = talking()
    barge_in.follow(ended(EndReason.INTERRUPTED))
    assert barge_in.no_turn(QUIET, "mm-hm") == [ClearTurn(), Resume()]
    assert barge_in.no_turn(QUIET, "what about Porto") is None  # a real turn: answered


def test_a_backchannel_without_a_cut_is_only_cleared() -> None:
    barge_in = talking()
    barge_in.follow(ended(EndReason.COMPLETED))
    assert barge_in.no_turn(QUIET, "okay") == [ClearTurn()]


def test_once_resumed_a_cut_is_not_resumed_again() -> None:
    barge_in = talking()
    barge_in.follow(ended(EndReason.INTERRUPTED))
    barge_in.follow(AgentSpeechStarted(t=4.0, utterance=2, resumes=1))
    assert barge_in.no_turn(QUIET, "yeah") == [ClearTurn()]


def test_a_wait_is_silence_and_a_go_on_resumes_only_what_the_user_cut_off() -> None:
    barge_in = talking()
    assert barge_in.wait_or_resume(IntentReading("resume")) is None  # nothing cut off: the model answers
    barge_in.follow(ended(EndReason.INTERRUPTED))
    assert barge_in.wait_or_resume(IntentReading("wait")) == [ClearTurn()]
    assert barge_in.wait_or_resume(IntentReading("resume", negated=True)) is None
    assert barge_in.wait_or_resume(IntentReading("none")) is None
    assert barge_in.wait_or_resume(IntentReading("resume")) == [ClearTurn(), Resume()]
    barge_in.follow(ended(EndReason.STOPPED))  # stopped by the agent itself (a bound, a timer): no cut of theirs
    assert barge_in.wait_or_resume(IntentReading("resume")) is None


# --- Holding (voice) ---------------------------------------------------------------------------------


def test_a_sound_over_the_agent_holds_it_and_its_end_releases_it() -> None:
    holding = Holding(RULES, longest_backchannel=1.0)
    assert holding.speech_started(SPEAKING, UserSpeechStarted(t=2.0), stoppable=True) == [Hold()]
    held = FloorState(now=2.5, agent_utterance=1, agent_held=True, user_speaking=True)
    assert holding.moment(held) == 3.0
    assert holding.decide(held) == []
    assert holding.speech_ended(FloorState(now=2.6, agent_utterance=1, agent_held=True)) == [Release()]


def test_speech_longer_than_a_backchannel_stops_the_held_agent() -> None:
    holding = Holding(RULES, longest_backchannel=1.0)
    holding.speech_started(SPEAKING, UserSpeechStarted(t=2.0), stoppable=True)
    assert holding.decide(FloorState(now=3.0, agent_utterance=1, agent_held=True, user_speaking=True)) == CUT


def test_an_unstoppable_utterance_is_not_held() -> None:
    holding = Holding(RULES, longest_backchannel=1.0)
    assert holding.speech_started(SPEAKING, UserSpeechStarted(t=2.0), stoppable=False) == []
    assert holding.transcribed(SPEAKING, UserTranscript(t=3.0, text="wait", final=True)) == []


def test_a_final_transcript_with_real_words_over_the_agent_stops_it() -> None:
    holding = Holding(RULES, longest_backchannel=1.0)
    holding.speech_started(SPEAKING, UserSpeechStarted(t=2.0), stoppable=True)
    assert holding.transcribed(SPEAKING, UserTranscript(t=3.0, text="wait a second", final=True)) == CUT


def test_a_final_transcript_of_a_backchannel_lets_the_agent_go_on() -> None:
    holding = Holding(RULES, longest_backchannel=1.0)
    holding.speech_started(SPEAKING, UserSpeechStarted(t=2.0), stoppable=True)
    assert holding.transcribed(SPEAKING, UserTranscript(t=3.0, text="mm-hm", final=True)) == []
