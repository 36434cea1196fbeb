"""The timers feature on its own: set and stopped by request, fired on time, never over anyone."""

from __future__ import annotations

import pytest

from microturn._core._actions import ClearTurn, Record, Say
from microturn._core._events import TimerCancelled, TimerFired, TimerSet
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._feature import Names
from microturn._policies._full_duplex._intents import StopCues, StopTimers, TimerRequest
from microturn._policies._full_duplex._timers import Timers

STRETCH = TimerRequest(seconds=30.0, text="Reminder: stretch.", ack="Okay, in 30 seconds.")
TICK = TimerRequest(seconds=10.0, text="tick", every=10.0, ack="Okay, every 10 seconds.")


def quiet(now: float, *, user_until: float = 2.0) -> FloorState:
    """Nobody talking; the user's last input ended at ``user_until``."""
    return FloorState(now=now, user_active_until=user_until, last_user_input=user_until - 0.2)


def test_a_request_sets_a_timer_due_its_seconds_after_the_last_word() -> None:
    timers = Timers(Names())
    actions = timers.handle(quiet(2.1), STRETCH)
    assert actions == [
        ClearTurn(),
        Record(TimerSet(timer="timer-1", due=32.0, text="Reminder: stretch.")),
        Say("Okay, in 30 seconds."),
    ]
    assert timers.moments(quiet(2.1)) == [32.0]


def test_a_timer_fires_at_its_moment_and_only_then() -> None:
    timers = Timers(Names())
    timers.handle(quiet(2.1), STRETCH)
    assert timers.fire(quiet(31.9)) == []
    assert timers.fire(quiet(32.0)) == [
        Record(TimerFired(timer="timer-1", text="Reminder: stretch.")),
        Say("Reminder: stretch."),
    ]
    assert timers.moments(quiet(32.0)) == []  # a one-shot timer is gone once said


def test_a_timer_due_while_the_user_talks_waits_for_their_pause_and_then_goes_first() -> None:
    timers = Timers(Names())
    timers.handle(quiet(2.1), STRETCH)
    talking = FloorState(now=32.0, user_active_until=32.1, last_user_input=31.8)
    assert timers.fire(talking) == []
    assert timers.held_back  # overdue: nothing else may speak before it
    assert timers.moments(talking) == [pytest.approx(32.4)]  # a pause of 0.3 s after the word
    assert timers.fire(quiet(32.4, user_until=32.1))[1] == Say("Reminder: stretch.")
    assert not timers.held_back


def test_a_timer_is_not_said_over_the_agent() -> None:
    timers = Timers(Names())
    timers.handle(quiet(2.1), STRETCH)
    speaking = FloorState(now=32.0, user_active_until=2.0, last_user_input=1.8, agent_utterance=3)
    assert timers.fire(speaking) == []
    assert timers.moments(speaking) == [32.0]  # still due: said at the next decision after the agent


def test_a_repeating_timer_fires_every_period() -> None:
    timers = Timers(Names())
    timers.handle(quiet(2.0), TICK)
    assert timers.fire(quiet(12.0))[1] == Say("tick")
    assert timers.moments(quiet(12.0)) == [22.0]
    assert timers.fire(quiet(22.0))[1] == Say("tick")


def test_a_repeating_timer_without_words_says_the_seconds_passed() -> None:
    timers = Timers(Names())
    timers.handle(quiet(2.0), TimerRequest(seconds=5.0, text="", every=5.0, ack="Okay, every 5 seconds."))
    assert timers.fire(quiet(7.0))[1] == Say("5 seconds.")
    assert timers.fire(quiet(12.0))[1] == Say("10 seconds.")


def test_two_timers_due_together_are_said_in_one_utterance() -> None:
    timers = Timers(Names())
    timers.handle(quiet(2.0), STRETCH)
    timers.handle(quiet(2.0), TimerRequest(seconds=30.0, text="hello", ack="Okay, in 30 seconds."))
    said = [action for action in timers.fire(quiet(32.0)) if isinstance(action, Say)]
    assert said == [Say("Reminder: stretch."), Say(" hello", append=True)]  # a word apart: never "stretch.hello"


def test_stopping_cancels_every_timer() -> None:
    timers = Timers(Names())
    timers.handle(quiet(2.0), STRETCH)
    timers.handle(quiet(2.0), TICK)
    assert timers.handle(quiet(3.0), StopTimers()) == [
        ClearTurn(),
        Record(TimerCancelled(timer="timer-1")),
        Record(TimerCancelled(timer="timer-2")),
        Say("Okay, timers stopped."),
    ]
    assert timers.moments(quiet(3.0)) == []
    assert timers.fire(quiet(40.0)) == []


def test_stopping_without_a_timer_says_so() -> None:
    assert Timers(Names()).handle(quiet(3.0), StopTimers()) == [ClearTurn(), Say("There is no timer.")]


def test_other_requests_are_not_for_timers() -> None:
    timers = Timers(Names())
    assert timers.handle(quiet(3.0), StopCues()) is None
    assert timers.react(quiet(3.0), TimerFired(t=3.0, timer="timer-1", text="x")) == []


def test_timer_names_share_the_count_they_are_given() -> None:
    names = Names()
    assert names.new("cue") == "cue-1"
    timers = Timers(names)
    actions = timers.handle(quiet(2.0), STRETCH) or []
    assert Record(TimerSet(timer="timer-2", due=32.0, text="Reminder: stretch.")) in actions
