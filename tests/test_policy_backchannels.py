"""The agent's backchannels on their own: at pauses in long unfinished turns, rate-limited, never over anyone."""

from __future__ import annotations

from dataclasses import dataclass

from microturn._core._actions import Say
from microturn._core._events import SpeechPurpose
from microturn._core._floor import FloorState
from microturn._core._language import Shape, shape
from microturn._policies._full_duplex._backchannels import Backchannels


@dataclass
class UserTurn:
    """The user's open turn as backchannels read it: its speech, and the rules' judgement of its words."""

    speech: float | None = 4.0

    def listening(self, state: FloorState) -> bool:
        return shape(state.user_text) is Shape.INCOMPLETE


def backchannels(speech: float | None = 4.0) -> Backchannels:
    return Backchannels(UserTurn(speech), after=4.0, pause=0.5, gap=5.0)


def paused(now: float, text: str = "and then we went to the", *, until: float | None = None) -> FloorState:
    """The user paused after ``text``, which ended at ``until`` (default: half a second ago)."""
    end = now - 0.5 if until is None else until
    return FloorState(now=now, user_active_until=end, last_user_input=end - 0.3, user_text=text)


def mm_hm(word: str = "mm-hm") -> list[Say]:
    return [Say(word, SpeechPurpose.BACKCHANNEL)]


def test_a_pause_in_a_long_unfinished_turn_gets_a_backchannel() -> None:
    assert backchannels().decide(paused(10.0), turn_over=False) == mm_hm()


def test_the_moment_is_the_pause_after_the_last_word() -> None:
    assert backchannels().moment(paused(9.7, until=9.6)) == 10.1


def test_not_in_a_short_turn_nor_between_turns() -> None:
    assert backchannels(speech=3.9).decide(paused(10.0), turn_over=False) == []
    assert backchannels(speech=None).decide(paused(10.0), turn_over=False) == []
    assert backchannels(speech=None).moment(paused(10.0)) is None


def test_not_before_the_pause_is_long_enough() -> None:
    assert backchannels().decide(paused(10.0, until=9.6), turn_over=False) == []


def test_not_while_the_user_talks() -> None:
    talking = FloorState(now=10.0, user_active_until=10.2, last_user_input=9.9, user_text="and then")
    assert backchannels().decide(talking, turn_over=False) == []


def test_not_over_the_agent() -> None:
    state = FloorState(now=10.0, user_active_until=9.5, last_user_input=9.2, user_text="and", agent_utterance=2)
    assert backchannels().decide(state, turn_over=False) == []
    assert backchannels().moment(state) is None


def test_not_after_finished_words_nor_when_the_turn_is_over() -> None:
    assert backchannels().decide(paused(10.0, "and that was it."), turn_over=False) == []
    assert backchannels().decide(paused(10.0), turn_over=True) == []


def test_at_most_one_per_gap_and_the_words_take_turns() -> None:
    turn = UserTurn()
    b = Backchannels(turn, after=4.0, pause=0.5, gap=5.0)
    assert b.decide(paused(10.0), turn_over=False) == mm_hm()
    turn.speech = 6.0
    assert b.decide(paused(14.9), turn_over=False) == []
    assert b.moment(paused(14.9)) is None
    assert b.decide(paused(15.0), turn_over=False) == mm_hm("yeah")
    turn.speech = 8.0
    assert b.decide(paused(20.0), turn_over=False) == mm_hm("right")
    turn.speech = 9.0
    assert b.decide(paused(25.0), turn_over=False) == mm_hm("okay")
    assert b.decide(paused(30.0), turn_over=False) == mm_hm()
