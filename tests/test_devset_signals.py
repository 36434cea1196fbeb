"""The development set replays the embedded model's end-of-turn readings (``_devset/_signals.py``): the reading
recorded on the user's words reaches the policy as a ``TurnEndSignal`` from the model ``READING`` virtual seconds
after the word that ends them, no other words get one, and a judge that reads the signal decides by it. Virtual
time throughout: the file takes about a second."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from _signal_judge import SignalJudge, judging
from microturn._core._events import TurnEndSignal, UserInput
from microturn._eval._devset import NarrativeCase, PauseCase, measure_narratives, measure_pauses
from microturn._eval._devset._sessions import SPOKEN_RATE, play
from microturn._eval._devset._signals import READING, Readings, load_readings
from microturn._eval._format import Step
from microturn._policies import FullDuplexPolicy
from microturn.errors import ScenarioError

NAME = "test-devset-signals"
BEFORE = "i finally got the results back"


@pytest.fixture
def judged() -> Iterator[str]:
    with judging(NAME, SignalJudge(fast=0.1)):
        yield NAME


def pause(after: str = "", case: str = "pause-0001-dev") -> PauseCase:
    label = "continue" if after else "end"
    return PauseCase(case, "pause", "spoken", (), BEFORE, 1.0, after, label)  # type: ignore[arg-type]


def test_the_reading_on_the_words_before_the_pause_is_signalled_after_their_last_word() -> None:
    readings = Readings({"pause-0001-dev": 0.83})
    run = play(
        [Step(at=0.5, id="before", say=f"  {BEFORE} ", rate=SPOKEN_RATE)],
        duration=4.0,
        policy=FullDuplexPolicy(),
        readings=readings.pause(pause()),
    )
    (signal,) = [e for e in run.events if isinstance(e, TurnEndSignal)]
    last = [e for e in run.events if isinstance(e, UserInput)][-1]
    assert (signal.source, signal.probability, signal.upto) == ("model", 0.83, len(BEFORE))
    assert signal.t == pytest.approx(last.t + READING)


def test_words_nobody_recorded_a_reading_on_get_no_signal() -> None:
    run = play(
        [Step(at=0.5, id="before", say=BEFORE, rate=SPOKEN_RATE)],
        duration=4.0,
        policy=FullDuplexPolicy(),
        readings=Readings({"pause-0002-dev": 0.83}).pause(pause()),
    )
    assert not [e for e in run.events if isinstance(e, TurnEndSignal)]


def test_the_policy_decides_by_the_recorded_reading(judged: str) -> None:
    factory = lambda: FullDuplexPolicy(decisions=judged)  # noqa: E731
    over, going_on = Readings({"pause-0001-dev": 0.9}), Readings({"pause-0001-dev": 0.1})
    (answered,) = measure_pauses([pause()], factory, over)
    (waited,) = measure_pauses([pause()], factory, going_on)
    (unread,) = measure_pauses([pause()], factory)
    assert answered.latency == pytest.approx(0.1)
    assert waited.latency == unread.latency == pytest.approx(1.5)
    (quiet,) = measure_pauses([pause("and it's just a vitamin thing")], factory, going_on)
    (talked,) = measure_pauses([pause("and it's just a vitamin thing")], factory, over)
    assert (quiet.spoke, talked.spoke) == (False, True)


def test_a_story_has_a_reading_after_each_sentence(judged: str) -> None:
    story = NarrativeCase(
        "narrative-0001-dev", "narrative", "spoken", ("so we got a puppy", "she chews everything"), (1.0,), False
    )
    readings = Readings({"narrative-0001-dev#0": 0.9, "narrative-0001-dev#1": 0.95})
    assert readings.story(story) == {"so we got a puppy": 0.9, "so we got a puppy she chews everything": 0.95}
    (told,) = measure_narratives([story], lambda: FullDuplexPolicy(decisions=judged), readings)
    assert told.replies == 1  # the reading after the first sentence said it was over: a reply in the pause
    (quiet,) = measure_narratives([story], lambda: FullDuplexPolicy(decisions=judged))
    assert quiet.replies == 0


def test_readings_load_from_the_benchs_file(tmp_path: Path) -> None:
    path = tmp_path / "model_end_of_turn.json"
    path.write_text(json.dumps({"about": "x", "probabilities": {"pause-0001-dev": 0.25}}))
    assert load_readings(path).probabilities == {"pause-0001-dev": 0.25}
    with pytest.raises(ScenarioError, match=r"end_of_turn_signals\.py"):
        load_readings(tmp_path / "missing.json")
