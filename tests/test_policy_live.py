"""The live-mode feature on its own: repeat or translate each phrase as the user speaks, until told to stop."""

from __future__ import annotations

import pytest

from microturn._core._actions import ClearTurn, Reply, Say
from microturn._core._events import SpeechPurpose
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._decisions import RulesIntent
from microturn._policies._full_duplex._intents import StartLive, StopLive, StopTimers
from microturn._policies._full_duplex._live import TYPED_PAUSE, LiveMode

STATE = FloorState(now=2.0, user_active_until=1.9, last_user_input=1.5)


def repeating(chunk_words: int = 3) -> LiveMode:
    live = LiveMode(RulesIntent(), chunk_words=chunk_words)
    live.handle(STATE, StartLive(language=None))
    return live


def test_it_is_off_until_asked_and_says_what_it_will_do() -> None:
    assert not LiveMode(RulesIntent(), chunk_words=3).active
    live = LiveMode(RulesIntent(), chunk_words=3)
    assert live.handle(STATE, StartLive(language="spanish")) == [
        ClearTurn(),
        Say("Okay, I'll translate into Spanish. Say 'stop' to end."),
    ]
    assert live.active
    assert LiveMode(RulesIntent(), chunk_words=3).handle(STATE, StartLive(language=None)) == [
        ClearTurn(),
        Say("Okay, I'll repeat after you. Say 'stop' to end."),
    ]


def test_a_phrase_is_repeated_once_it_has_its_words() -> None:
    live = repeating()
    assert live.hear("the cat") == []
    assert live.hear("sat") == [ClearTurn(), Say("the cat sat", SpeechPurpose.REPLY, append=True)]
    assert live.hear("on") == []  # a new phrase begins


def test_a_translation_asks_the_model_for_each_phrase() -> None:
    live = LiveMode(RulesIntent(), chunk_words=2)
    live.handle(STATE, StartLive(language="french"))
    assert live.hear("good morning") == [Reply(text="good morning", instruction="Translate into French", append=True)]


def test_a_shorter_phrase_is_said_after_a_pause() -> None:
    live = repeating()
    live.hear("hello")
    talking = FloorState(now=2.0, user_active_until=2.1, last_user_input=1.9)
    assert live.decide(talking) == []
    assert live.moments(talking) == [pytest.approx(2.4)]
    paused = FloorState(now=2.4, user_active_until=2.1, last_user_input=1.9)
    assert live.decide(paused) == [ClearTurn(), Say("hello", SpeechPurpose.REPLY, append=True)]
    assert live.moments(paused) == []  # nothing left to say


def test_the_end_of_the_turn_says_what_is_left() -> None:
    live = repeating()
    live.hear("goodbye")
    assert live.flush() == [ClearTurn(), Say("goodbye", SpeechPurpose.REPLY, append=True)]


def test_stop_straddling_two_chunks_is_heard_and_ends_the_mode_with_the_phrase() -> None:
    live = repeating()
    assert live.hear("one two stop") != []
    assert live.hear("repeating now please") == []  # held back: a stop is not repeated
    assert live.active
    assert live.flush() == [ClearTurn(), Say("Okay, I've stopped.")]
    assert not live.active


def test_a_stop_is_held_back_until_the_phrase_shows_it_is_none() -> None:
    live = repeating()
    assert live.hear("stop the") == []
    assert live.hear("car") == [ClearTurn(), Say("stop the car", SpeechPurpose.REPLY, append=True)]
    assert live.active


def test_a_stop_ends_the_mode_at_the_pause_after_it() -> None:
    live = repeating()
    live.hear("that's enough")
    talking = FloorState(now=2.0, user_active_until=2.1, last_user_input=1.9)
    assert live.decide(talking) == []
    paused = FloorState(now=2.4, user_active_until=2.1, last_user_input=1.9)
    assert live.decide(paused) == [ClearTurn(), Say("Okay, I've stopped.")]
    assert not live.active


def test_a_typed_phrase_ends_at_a_longer_pause() -> None:
    live = repeating()
    live.hear("stop")
    typing = FloorState(now=2.4, user_active_until=2.1, last_user_input=1.9, user_typing=True)
    assert live.decide(typing) == []
    assert live.moments(typing) == [pytest.approx(2.1 + TYPED_PAUSE)]
    idle = FloorState(now=2.1 + TYPED_PAUSE, user_active_until=2.1, last_user_input=1.9, user_typing=True)
    assert live.decide(idle) == [ClearTurn(), Say("Okay, I've stopped.")]


def test_a_pause_starts_a_new_phrase() -> None:
    live = repeating()
    live.hear("the bus")
    paused = FloorState(now=2.4, user_active_until=2.1, last_user_input=1.9)
    assert live.decide(paused) == [ClearTurn(), Say("the bus", SpeechPurpose.REPLY, append=True)]
    assert live.moments(paused) == []  # nothing heard since
    assert live.hear("stop") == []
    assert live.flush() == [ClearTurn(), Say("Okay, I've stopped.")]  # "stop" alone after the pause


def test_a_negated_stop_is_said_like_any_words() -> None:
    live = repeating(chunk_words=4)
    assert live.hear("please don't stop translating") == [
        ClearTurn(),
        Say("please don't stop translating", SpeechPurpose.REPLY, append=True),
    ]
    assert live.active


def test_a_turn_ending_with_nothing_left_says_nothing() -> None:
    live = repeating()
    live.hear("one two three")
    assert live.flush() == []


def test_stopping_by_request() -> None:
    live = repeating()
    live.hear("half a")
    assert live.handle(STATE, StopLive()) == [ClearTurn(), Say("Okay, I've stopped.")]
    assert not live.active
    assert live.moments(STATE) == []  # the words heard are dropped with it


def test_other_requests_are_not_for_live_modes() -> None:
    assert LiveMode(RulesIntent(), chunk_words=3).handle(STATE, StopTimers()) is None
