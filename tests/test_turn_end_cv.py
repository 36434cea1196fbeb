"""The learned turn end's operating point, played back on paper (``_turn_end_cv.py``): a sure end is answered at
once, a mid-turn pause with a sure end is talked into, a story whose pauses read as going on gets a backchannel
and no reply; the cost chosen is the smallest that answers ``FAST_SHARE`` of the real ends at once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from microturn._policies._full_duplex._decisions._learned._turn_end import WAIT, load_fit
from microturn._policies._full_duplex._decisions._learned._turn_end_cv import Outcome, outcome
from microturn._policies._full_duplex._decisions._learned._turn_end_fit import FAST_SHARE, TurnEndExample, choose
from microturn.errors import ConfigError


def example(case: str, text: str, *, end: bool, pause: float | None, stretch_start: int = 0) -> TurnEndExample:
    return TurnEndExample(case, case, text, False, False, stretch_start, end, pause, 0.5)


def test_sure_ends_are_answered_at_once_and_a_sure_end_in_a_pause_is_talked_into() -> None:
    fit = load_fit(WAIT)
    found = [
        example("pause-1", "what time is it", end=True, pause=None),
        example("pause-2", "so the thing is", end=False, pause=1.0),
        example("pause-3", "i got the results back", end=False, pause=1.0),
    ]
    played = outcome(fit, fit.delay_cost, found, [0.99, 0.01, 0.99])
    assert (played.fast, played.any_speech, played.backchannelled) == (1.0, 0.5, 0.0)


def test_a_story_read_as_going_on_gets_a_backchannel_and_no_reply() -> None:
    fit = load_fit(WAIT)
    sentences = ["so last week we drove up to the lakes for my birthday", "and it rained the whole time", "any tips"]
    cuts = [
        example(
            "narrative-1",
            " ".join(sentences[: k + 1]),
            end=k == 2,
            pause=None if k == 2 else 1.0,
            stretch_start=len(" ".join(sentences[:k])) + 1 if k else 0,
        )
        for k in range(3)
    ]
    listened = outcome(fit, fit.delay_cost, cuts, [0.05, 0.05, 0.9])
    assert (listened.listened, listened.story_replies) == (1.0, 0.0)
    replied = outcome(fit, fit.delay_cost, cuts, [0.05, 0.99, 0.9])
    assert (replied.listened, replied.story_replies) == (0.0, 1.0)


def test_the_smallest_cost_that_answers_enough_ends_at_once_is_chosen() -> None:
    played = Outcome(delay_cost=1.0, fast=FAST_SHARE, any_speech=0.2, backchannelled=0.0, listened=1.0, story_replies=0)
    outcomes = [
        replace(played, delay_cost=0.5, fast=FAST_SHARE - 0.01),
        played,
        replace(played, delay_cost=2.0, fast=1),
    ]
    assert choose(outcomes) == played
    with pytest.raises(ConfigError, match="no delay cost"):
        choose(outcomes[:1])
