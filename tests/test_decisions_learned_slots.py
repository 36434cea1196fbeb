"""The learned intent's rules for what a request says (no model needed): spans of time, a timer's words, a cue's
phrase, the language, the task, and negation scopes."""

from __future__ import annotations

import pytest

from microturn._policies._full_duplex._decisions._learned._durations import bare_minutes, durations, every
from microturn._policies._full_duplex._decisions._learned._features import tokens
from microturn._policies._full_duplex._decisions._learned._negation import NEGATED, mark, negates_all
from microturn._policies._full_duplex._decisions._learned._slots import cue_slots, language, task, timer_slots


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("ping me in ten seconds", 10),
        ("set a ten second timer", 10),
        ("give me a shout in half a minute", 30),
        ("an hour and a half", 5400),
        ("a quarter of an hour", 900),
        ("three quarters of an hour", 2700),
        ("four and a half minutes", 270),
        ("a hundred and twenty seconds", 120),
        ("twenty-five mins", 1500),
        ("2 min 30", 150),
        ("set timer 1h30", 5400),
        ("timer 25m pomodoro", 1500),
        ("an hour and twenty minutes", 4800),
    ],
)
def test_spans_of_time_in_any_phrasing(text: str, seconds: float) -> None:
    (span,) = durations(tokens(text))
    assert span.seconds == seconds


def test_a_bare_number_after_in_is_minutes_and_a_countdown_from_a_number_is_seconds() -> None:
    assert bare_minutes(tokens("gimme a buzz in 5")) is not None
    assert bare_minutes(tokens("gimme a buzz in 5")).seconds == 300  # type: ignore[union-attr]
    assert bare_minutes(tokens("count down from sixty")).seconds == 60  # type: ignore[union-attr]
    assert bare_minutes(tokens("i was born in 1990 in leeds")) is None


def test_a_repeat_is_read_from_every_each_or_intervals() -> None:
    for text, seconds in [
        ("every 20 min", 1200),
        ("every hour on the hour", 3600),
        ("at intervals of ten minutes", 600),
    ]:
        said = tokens(text)
        found = every(said, durations(said))
        assert found is not None
        assert found.seconds == seconds


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("ping me in ten seconds", {"seconds": 10.0}),
        ("in ten seconds remind me to stretch", {"seconds": 10.0, "remind": "stretch"}),
        ("remind me to take the pizza out in 12 minutes", {"seconds": 720.0, "remind": "take the pizza out"}),
        ("in five minutes say time to go", {"seconds": 300.0, "say": "time to go"}),
        ("every ten minutes just say keep going", {"seconds": 600.0, "every": 600.0, "say": "keep going"}),
        ("tell me when it's been a quarter of an hour", {"seconds": 900.0}),
    ],
)
def test_a_timers_slots(text: str, slots: dict[str, object]) -> None:
    assert timer_slots(tokens(text)) == slots


def test_a_timer_with_no_time_has_no_slots() -> None:
    assert timer_slots(tokens("set a timer please")) is None


@pytest.mark.parametrize(
    ("text", "slots"),
    [
        ("tell me when i say banana", {"cue": "phrase", "phrase": "banana", "interrupt": False}),
        ("stop me when i say anyway", {"cue": "phrase", "phrase": "anyway", "interrupt": True}),
        ("listen out for the word budget and flag it", {"cue": "phrase", "phrase": "budget", "interrupt": False}),
        ("let me know whenever i mention a number", {"cue": "number"}),
        ("correct me if i'm wrong about anything", {"cue": "wrong-fact", "interrupt": True}),
        ("when i say banana say ding", {"cue": "phrase", "phrase": "banana", "interrupt": False, "reply": "ding"}),
        ("say ding whenever i say banana", {"cue": "phrase", "phrase": "banana", "interrupt": False, "reply": "ding"}),
        ("whenever i say a number just shout bingo", {"cue": "number", "reply": "bingo"}),
        ("answer with snap when i mention a number", {"cue": "number", "reply": "snap"}),
        ("tell me when i mention a number by saying bingo", {"cue": "number", "reply": "bingo"}),
        (
            "if you hear me say hello, reply hi there",
            {"cue": "phrase", "phrase": "hello", "interrupt": False, "reply": "hi there"},
        ),
        ("correct me if i get a sum wrong and say oops", {"cue": "wrong-fact", "interrupt": True}),
        (
            "whenever i mention a colour say ding",
            {"cue": "category", "category": "colour", "interrupt": False, "reply": "ding"},
        ),
        ("tell me when i name an animal", {"cue": "category", "category": "animal", "interrupt": False}),
        ("stop me if i mention any kind of bird", {"cue": "category", "category": "bird", "interrupt": True}),
        ("beep if i say the name of a city", {"cue": "category", "category": "city", "interrupt": False}),
        ("every time i talk about a car brand", {"cue": "category", "category": "car brand", "interrupt": False}),
        (
            "listen out for any vegetables i mention and say veg",
            {"cue": "category", "category": "vegetables", "interrupt": False, "reply": "veg"},
        ),
        (
            "when i say of course say ding",
            {"cue": "phrase", "phrase": "of course", "interrupt": False, "reply": "ding"},
        ),
        ("tell me when i say anything", None),
    ],
)
def test_a_cues_slots(text: str, slots: dict[str, object]) -> None:
    assert cue_slots(tokens(text)) == slots


def test_the_language_is_the_one_translated_into() -> None:
    assert language(tokens("start live translation english to spanish")) == "spanish"
    assert language(tokens("could you do portuguese for everything i say")) == "portuguese"
    assert language(tokens("repeat after me")) is None


def test_a_task_is_the_request_without_how_it_opens() -> None:
    assert task("um, could you please find me a hotel in Porto.") == "find me a hotel in Porto"
    assert task("i need you to book a table for four") == "book a table for four"


def test_a_negation_scope_runs_to_the_end_of_its_clause() -> None:
    marked = mark(tokens("no don't cancel the search, cancel the timer"))
    assert marked[2:5] == [NEGATED + "cancel", NEGATED + "the", NEGATED + "search"]
    assert marked[-3:] == ["cancel", "the", "timer"]
    assert mark(tokens("don't remind me i know"))[-2:] == ["i", "know"]  # a new subject opens a new clause
    assert mark(tokens("no thanks")) == ["no", "thanks"]  # an answer, not a quantifier


@pytest.mark.parametrize(
    "text", ["don't stop the timer", "please don't stop translating", "let's not look into that", "no need to hurry"]
)
def test_a_wholly_negated_request(text: str) -> None:
    assert negates_all(tokens(text))


@pytest.mark.parametrize(
    "text",
    [
        "i don't need the timer anymore",  # "anymore": it ends something going on
        "don't book the haircut after all",
        "don't keep repeating me",
        "no more translating",
        "never mind the reminder",
        "no don't cancel the search, cancel the timer",  # the request is outside the scope
        "i don't want a timer, just tell me when i say stop",
        "that's actually really kind of you",
    ],
)
def test_a_request_not_wholly_negated(text: str) -> None:
    assert not negates_all(tokens(text))
