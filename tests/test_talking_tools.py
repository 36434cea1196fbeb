"""The talking model answers arithmetic and time through tools, in words (issue 14, deliverable 1).

Unit tests for what turns the user's words into a tool call (spoken arithmetic, places to time zones, the
triggers) and for what makes a result fit to be said (``speakable``); then the real embedded model, asked
through a real session, answering from the calculator's result.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from microturn import Agent, ToolCalled, VirtualClock
from microturn._core._language import words
from microturn._core._speakable import say_clock, say_date, speakable
from microturn._core._tools import ToolError
from microturn._models._weights import gemma_weights
from microturn._tools import ToolRegistry, calculator_tools, clock_tools
from microturn._tools._places import find_place
from microturn._tools._spoken_arithmetic import TRIGGER, read_spoken
from microturn.testing import run_agent, spoken

# --- arithmetic in words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("what's 17 times 23?", "17 times 23 is 391."),
        ("seventeen times twenty-three", "17 times 23 is 391."),
        ("12 divided by 4", "12 divided by 4 is 3."),
        ("2 to the power of 10", "2 to the power of 10 is 1024."),
        ("15 percent of 80", "15 percent of 80 is 12."),
        ("what is the square root of 144", "The square root of 144 is 12."),
        ("3 plus 4 times 2", "3 plus 4 times 2 is 11."),
        ("what's ( 3 + 4 ) * 2", "3 plus 4, times 2 is 14."),
        ("one hundred and five minus a hundred", "105 minus 100 is 5."),
        ("three point five times two", "3.5 times 2 is 7."),
        ("how much is 1,250 x 4 please", "1250 times 4 is 5000."),
        ("9 squared", "9 squared is 81."),
        ("10 divided by 3", "10 divided by 3 is about 3.33."),
        ("2 divided by 3", "2 divided by 3 is about 0.667."),
        ("minus 5 plus 3", "Minus 5 plus 3 is -2."),
    ],
)
def test_the_calculator_answers_words_with_a_sentence(text: str, answer: str) -> None:
    assert calculate(text) == answer


def test_symbols_still_give_the_bare_number() -> None:
    assert calculate("2 + 3 * 4") == "14"


@pytest.mark.parametrize("text", ["hello there", "three four", "what's 5 plus", "5 plus (3", "minus 5", "seven"])
def test_words_that_are_no_calculation_are_none(text: str) -> None:
    assert read_spoken(text) is None


def calculate(expression: str) -> str:
    (tool,) = calculator_tools()
    return str(tool(expression))


def said(text: str) -> str:
    """The user's words as a trigger reads them (see ``Speculator.listen``)."""
    return " ".join(token for token in words(text, arithmetic=True) if token not in {",", ".", "?", "!"})


@pytest.mark.parametrize(
    ("text", "expression"),
    [
        ("what's 17 times 23?", "what's 17 times 23"),
        ("hey so seventeen times twenty-three", "seventeen times twenty-three"),
        ("17*23", "17 * 23"),
        ("what's (3+4)*2", "what's ( 3 + 4 ) * 2"),
        ("can you work out 48 divided by 6 for me", "work out 48 divided by 6"),
        ("what is 15 percent", None),  # "... of 80" is coming
        ("the meeting is 5-6 pm", None),  # symbols in a sentence: a range, not a sum
        ("my birthday is 2024-01-05", None),
        ("call me on 555-1234", None),
        ("I have 2 kids and 3 dogs", None),
    ],
)
def test_the_calculator_trigger_finds_a_calculation(text: str, expression: str | None) -> None:
    found = list(re.finditer(TRIGGER, said(text)))
    assert (found[-1]["expression"] if found else None) == expression


# --- places and the clock -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "zone"),
    [
        ("Tokyo", "Tokyo", "Asia/Tokyo"),
        ("new york right now", "New York", "America/New_York"),
        ("Asia/Kolkata", "Kolkata", "Asia/Kolkata"),
        ("India", "India", "Asia/Kolkata"),
        ("the UK", "the UK", "Europe/London"),
        ("san francisco please", "San Francisco", "America/Los_Angeles"),
        ("hong kong", "Hong Kong", "Asia/Hong_Kong"),
        ("buenos aires", "Buenos Aires", "America/Buenos_Aires"),
    ],
)
def test_places_resolve_to_time_zones(text: str, name: str, zone: str) -> None:
    place = find_place(text)
    assert place is not None
    assert (place.name, place.zone) == (name, zone)


@pytest.mark.parametrize("text", ["Foo", "my life", "the moon", ""])
def test_unknown_places_are_none(text: str) -> None:
    assert find_place(text) is None


def clock_trigger() -> str:
    specs = {spec.name: spec for spec in ToolRegistry(clock_tools(VirtualClock())).specs}
    trigger = specs["current_time"].trigger
    assert trigger is not None
    return trigger


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("what time is it in Tokyo", "tokyo"),
        ("what's the time in New York right now", "new york right now"),
        ("time in Sydney?", "sydney"),
        ("hey what time is it now", None),
        ("what is the current time in india please", "india please"),
    ],
)
def test_the_clock_trigger_captures_the_place(text: str, place: str | None) -> None:
    found = list(re.finditer(clock_trigger(), said(text)))
    assert found
    assert found[-1]["place"] == place


@pytest.mark.parametrize("text", ["it is time to go", "I had a great time in Paris", "what a time"])
def test_the_clock_trigger_needs_a_time_question(text: str) -> None:
    assert re.search(clock_trigger(), said(text)) is None


async def test_the_time_in_a_place_is_said_in_its_zone(clock: VirtualClock) -> None:
    # The virtual clock's wall time starts at 2026-01-01T09:00:00Z.
    tools = ToolRegistry(clock_tools(clock))
    said_tokyo = await tools.call("current_time", {"place": "tokyo right now"})
    assert said_tokyo == "It's 6 o'clock in the evening in Tokyo, Thursday 1 January."
    assert await tools.call("current_time", {"place": "india"}) == (
        "It's 2:30 in the afternoon in India, Thursday 1 January."
    )
    assert await tools.call("current_time", {"zone": "Tokyo"}) == "2026-01-01T18:00:00+09:00"  # a model's guess
    with pytest.raises(ToolError, match=r"I don't know the time zone of Atlantis\."):
        await tools.call("current_time", {"place": "atlantis and what's the weather"})


# --- speakable ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("About a hotel: 2026-12-03T22:24:28+00:00", "About a hotel: 10:24 at night UTC, Thursday 3 December 2026"),
        ("2026-03-01T14:30:00+09:00", "2:30 in the afternoon UTC plus 9, Sunday 1 March 2026"),
        ("on 2026-03-01 at noon", "on Sunday 1 March 2026 at noon"),
        ('{"city": "Porto", "temp_c": 21, "tags": ["a", "b"]}', "city Porto, temp c 21, tags a and b"),
        ('call: calculator {"expression": "2+2"}\nanswer: 4', "4"),
        ("<tool_call>{}</tool_call> Done.", "Done."),
        ("see https://www.example.com/a/b?c=1.", "see example.com."),
        ("17 times 23 is 391.", "17 times 23 is 391."),
    ],
)
def test_speakable_says_machine_text_in_words(text: str, said: str) -> None:
    assert speakable(text) == said


@pytest.mark.parametrize(
    ("hour", "minute", "said"),
    [(0, 0, "midnight"), (12, 0, "noon"), (7, 24, "7:24 in the morning"), (15, 0, "3 o'clock in the afternoon"),
     (19, 5, "7:05 in the evening"), (22, 24, "10:24 at night")],
)  # fmt: skip
def test_say_clock(hour: int, minute: int, said: str) -> None:
    assert say_clock(dt.time(hour, minute)) == said


def test_say_date() -> None:
    assert say_date(dt.date(2026, 12, 4)) == "Friday 4 December 2026"
    assert say_date(dt.date(2026, 12, 4), year=False) == "Friday 4 December"


# --- the real embedded model ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gemma_weights(tmp_path_factory.mktemp("models"), progress=None)


@pytest.mark.parametrize(
    ("question", "number"),
    [("what's 17 times 23", "391"), ("what is 15 percent of 80", "12")],
)
def test_the_embedded_model_answers_arithmetic_through_the_calculator(
    weights: Path, monkeypatch: pytest.MonkeyPatch, question: str, number: str
) -> None:
    monkeypatch.setenv("MICROTURN_CACHE", str(weights.parent.parent))
    run = run_agent(Agent(), spoken(question, 1.0), clock=VirtualClock(), settle=60.0)
    assert [event.tool for event in run.of(ToolCalled)][-1:] == ["calculator"]
    assert run.replies, run.transcript
    assert re.search(rf"\b{number}\b", run.replies[0]), run.transcript
