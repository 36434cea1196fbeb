"""The learned overlap: what speech over the agent is, and what the policy does with it word by word under
``decisions="learned"``: hold at the first spoken word, whatever it is, stop when the words read as a barge-in,
release when the user stops and they did not. Sessions run in virtual time."""

from __future__ import annotations

import pytest

from microturn._core._actions import Hold, Release, Stop
from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechHeld,
    AgentSpeechReleased,
    AgentSpeechStarted,
    AgentWord,
    EndReason,
    Event,
    Modality,
    SpeechPurpose,
    UserInput,
)
from microturn._core._floor import FloorState
from microturn._eval._devset import OverlapCase
from microturn._eval._devset._overlap import ASK, ONSET, START
from microturn._eval._devset._sessions import SPOKEN_RATE, Run, play
from microturn._eval._format import Step, Trigger
from microturn._policies import FullDuplexPolicy
from microturn._policies._full_duplex._barge_in import BargeIn
from microturn._policies._full_duplex._decisions import OverlapContext, OverlapKind
from microturn._policies._full_duplex._decisions._learned import LearnedOverlap
from microturn._policies._full_duplex._holding import WORDS_SETTLE, Holding

OVERLAP = LearnedOverlap()
WHOLE = OverlapContext(complete=True)
SAYING = "So the first step is to open the settings app and then scroll all the way down to the bit that says privacy"


@pytest.mark.parametrize("text", ["i see", "got it", "makes sense", "of course", "mm-hm", "oh nice", "wow"])
def test_acknowledgements_are_no_barge_in(text: str) -> None:
    assert OVERLAP.classify(text, WHOLE) in {OverlapKind.BACKCHANNEL, OverlapKind.REACTION}


@pytest.mark.parametrize(
    "text", ["stop", "louder please", "hold on, someone's at the door", "wait what did you say about the fee"]
)
def test_interruptions_are_barge_ins(text: str) -> None:
    assert OVERLAP.classify(text, WHOLE) is OverlapKind.BARGE_IN


def test_noise_tags_stay_noise() -> None:
    assert OVERLAP.classify("[cough]", WHOLE) is OverlapKind.NOISE
    assert OVERLAP.classify("[clears throat] [sniff]", OverlapContext()) is OverlapKind.NOISE


def test_an_answer_to_the_agents_question_takes_the_turn() -> None:
    asked = OverlapContext(agent_words=("Shall", "I", "book", "it?"), complete=True)
    assert OVERLAP.classify("sure", asked) is OverlapKind.BARGE_IN
    assert OVERLAP.classify("sure", WHOLE) is OverlapKind.BACKCHANNEL


def test_any_spoken_first_word_may_become_a_barge_in_and_noise_tags_do_not() -> None:
    assert OVERLAP.may_take_turn("okay", OverlapContext())  # "okay so how long does it take"
    assert OVERLAP.may_take_turn("no", OverlapContext())
    assert OVERLAP.may_take_turn("yeah", OverlapContext())  # "yeah but which one"
    assert OVERLAP.may_take_turn("mm-hm", OverlapContext())
    assert not OVERLAP.may_take_turn("[cough]", OverlapContext())


# --- the policy's moves, word by word --------------------------------------------------------------------------


def over_the_agent(user: str, *, decisions: str = "learned", typed: bool = False) -> Run:
    """The devset's overlap case: the user asks, the agent answers with ``SAYING``, the user says ``user`` over it."""
    ask = Step(at=START, say=ASK, rate=SPOKEN_RATE)
    if typed:
        over = Step(when=Trigger(agent="speaks"), delay=ONSET, id="user", type=user, submit=True)
    else:
        over = Step(when=Trigger(agent="speaks"), delay=ONSET, id="user", say=user, rate=SPOKEN_RATE)
    return play([ask, over], duration=40.0, policy=FullDuplexPolicy(decisions=decisions), lines=[SAYING])


def moves(run: Run) -> list[str]:
    """What became of the answer the user spoke over: held, released, ended (and how)."""
    seen: list[str] = []
    for event in run.events:
        if isinstance(event, AgentSpeechHeld) and event.utterance == 1:
            seen.append(f"held {event.t - run.marks['user'].start:.2f}")
        elif isinstance(event, AgentSpeechReleased) and event.utterance == 1:
            seen.append("released")
        elif isinstance(event, AgentSpeechEnded) and event.utterance == 1:
            seen.append(event.reason.value)
    return seen


def replies(events: list[Event]) -> list[int]:
    return [e.utterance for e in events if isinstance(e, AgentSpeechStarted) and e.purpose is SpeechPurpose.REPLY]


def test_a_barge_in_is_held_at_its_first_word_then_stopped_and_answered() -> None:
    run = over_the_agent("okay so how long does the normal one take")
    assert moves(run)[0] == "held 0.00"
    assert moves(run)[-1] == "interrupted"
    assert len(replies(run.events)) == 2  # its answer


def test_an_acknowledgement_is_held_then_released_and_the_agent_goes_on_without_answering_it() -> None:
    run = over_the_agent("i see")
    assert moves(run) == ["held 0.00", "released", "completed"]
    assert replies(run.events) == [1]


def test_a_backchannel_silences_the_agent_only_until_just_after_it_and_no_word_is_lost_or_said_twice() -> None:
    run = over_the_agent("mm-hm")
    held = next(e for e in run.events if isinstance(e, AgentSpeechHeld))
    released = next(e for e in run.events if isinstance(e, AgentSpeechReleased))
    assert released.t - held.t == pytest.approx(SPOKEN_RATE + WORDS_SETTLE)  # the word, then the settle
    said = [e.word for e in run.events if isinstance(e, AgentWord) and e.utterance == 1]
    assert said == SAYING.split()
    assert moves(run) == ["held 0.00", "released", "completed"]


def test_typed_words_over_the_agent_still_stop_it_at_the_first_key() -> None:
    run = over_the_agent("ok", typed=True)
    assert moves(run)[0] == "interrupted"


def test_the_rules_hold_for_no_spoken_word() -> None:
    run = over_the_agent("okay so how long does the normal one take", decisions="rules")
    assert moves(run) == ["interrupted"]  # at "so", as before
    assert not any(isinstance(event, AgentSpeechHeld) for event in run.events)


def test_the_devset_case_of_a_barge_in_stops_within_its_onset() -> None:
    from microturn._eval._devset import measure_overlaps

    case = OverlapCase(
        id="overlap-0001-dev", family="overlap", agent_saying=SAYING, user="no, it's wednesday", label="barge_in"
    )
    (result,) = measure_overlaps([case], lambda: FullDuplexPolicy(decisions="learned"))
    assert result.stopped
    assert result.latency == 0.0


# --- the parts, on their own ---------------------------------------------------------------------------------


def spoken(text: str, t: float) -> UserInput:
    return UserInput(t=t, text=text, modality=Modality.SPOKEN, duration=0.3)


def test_the_word_hold_is_released_after_the_settle_if_the_words_were_no_barge_in() -> None:
    barge_in, holding = BargeIn(OVERLAP), Holding(OVERLAP, longest_backchannel=1.0)
    barge_in.follow(AgentSpeechStarted(t=1.0, utterance=1, purpose=SpeechPurpose.REPLY))
    state = FloorState(now=2.0, agent_utterance=1)
    assert barge_in.heard(state, spoken("okay", 2.0)) == [Hold()]
    held = FloorState(now=2.3, agent_utterance=1, agent_held=True, user_active_until=2.3, user_text="okay")
    assert holding.moment(held) == pytest.approx(2.3 + WORDS_SETTLE)
    assert holding.decide(held) == []
    settled = FloorState(
        now=2.3 + WORDS_SETTLE, agent_utterance=1, agent_held=True, user_active_until=2.3, user_text="okay"
    )
    assert holding.decide(settled) == [Release()]
    barged = FloorState(
        now=2.3 + WORDS_SETTLE, agent_utterance=1, agent_held=True, user_active_until=2.3, user_text="okay which one"
    )
    assert holding.decide(barged) == [Stop(EndReason.INTERRUPTED)]
