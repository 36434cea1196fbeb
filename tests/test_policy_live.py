"""The live-mode feature on its own: repeat or translate each phrase as the user speaks, until told to stop."""

from __future__ import annotations

import pytest

from microturn._core._actions import ClearTurn, Reply, Say
from microturn._core._events import SpeechPurpose
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._decisions import RulesIntent
from microturn._policies._full_duplex._intents import StartLive, StopLive, StopTimers
from microturn._policies._full_duplex._live import LiveMode

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
        Say("Okay, I'll translate into Spanish as you speak."),
    ]
    assert live.active
    assert LiveMode(RulesIntent(), chunk_words=3).handle(STATE, StartLive(language=None)) == [
        ClearTurn(),
        Say("Okay, I'll repeat after you as you speak."),
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


def test_stop_straddling_two_phrases_is_heard() -> None:
    live = repeating()
    assert live.hear("one two stop") != []
    assert live.hear("repeating now please") == [ClearTurn(), Say("Okay, I've stopped.")]
    assert not live.active


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
