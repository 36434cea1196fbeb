"""The policy takes in the detectors' end-of-turn signals: the latest per source, while it is about the words as they
are, judged again the moment it comes (the deadline may move either way); stale ones and Enter's end stand."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from _signal_judge import SignalJudge, judging
from microturn._core._actions import Action, Reply
from microturn._core._events import Event, Modality, TurnEndSignal, UserInput, UserSubmit
from microturn._core._floor import FloorTracker
from microturn._policies import FullDuplexPolicy, MicroTurn

NAME = "test-signals"


@pytest.fixture
def judge() -> Iterator[SignalJudge]:
    with judging(NAME, SignalJudge()) as made:
        yield made


class Loop:
    """The policy driven as the session drives it, one event at a time, with no clock: the test says when."""

    def __init__(self, policy: FullDuplexPolicy) -> None:
        self.policy = policy
        self.floor = FloorTracker(silence_min=0.5)
        self.passes = 0

    def feed(self, event: Event) -> list[Action]:
        self.floor.observe(event)
        actions = list(self.policy.react(self.floor.state, event))
        return actions + self.at(event.t)

    def at(self, now: float) -> list[Action]:
        self.floor.advance(now)
        self.passes += 1
        return list(self.policy.decide(self.floor.state, MicroTurn(self.passes, now, now, ())))

    def wake(self) -> float | None:
        return self.policy.wake_at(self.floor.state)

    @property
    def upto(self) -> int:
        return len(self.floor.state.user_text)


def said(loop: Loop, words: str, start: float = 0.5) -> float:
    """Speak ``words`` from ``start``, 0.3 s a word; return when the last one ends."""
    t = start
    for word in words.split():
        assert loop.feed(UserInput(text=word, modality=Modality.SPOKEN, duration=0.3, t=t)) == []
        t = round(t + 0.3, 6)
    return t


def signal(probability: float, upto: int, t: float, source: str = "model") -> TurnEndSignal:
    return TurnEndSignal(probability=probability, upto=upto, t=t, source=source)


def replies(actions: Sequence[Action]) -> list[Action]:
    return [action for action in actions if isinstance(action, Reply)]


def test_a_sure_signal_brings_the_answer_forward(judge: SignalJudge) -> None:
    loop = Loop(FullDuplexPolicy(decisions=NAME))
    end = said(loop, "what time is it")
    assert loop.wake() == pytest.approx(end + 1.5)
    assert loop.feed(signal(0.9, loop.upto, end + 0.05)) == []
    assert loop.wake() == pytest.approx(end + 0.2)
    assert replies(loop.at(end + 0.2)) == [Reply()]


def test_a_later_signal_may_push_the_answer_back(judge: SignalJudge) -> None:
    loop = Loop(FullDuplexPolicy(decisions=NAME))
    end = said(loop, "so I was thinking")
    loop.feed(signal(0.9, loop.upto, end + 0.03))
    loop.feed(signal(0.1, loop.upto, end + 0.1))  # the latest per source counts
    assert loop.wake() == pytest.approx(end + 1.5)
    assert replies(loop.at(end + 0.2)) == []


def test_a_stale_signal_is_ignored_and_more_words_drop_a_kept_one(judge: SignalJudge) -> None:
    loop = Loop(FullDuplexPolicy(decisions=NAME))
    end = said(loop, "book a table")
    loop.feed(signal(0.9, loop.upto - 1, end + 0.05))  # about other words
    assert loop.wake() == pytest.approx(end + 1.5)
    loop.feed(signal(0.9, loop.upto, end + 0.06))
    assert loop.wake() == pytest.approx(end + 0.2)
    later = said(loop, "for four", start=end + 0.1)  # the user went on before the deadline
    assert loop.wake() == pytest.approx(later + 1.5)
    assert judge.seen[-1].model_end_probability is None


def test_each_source_goes_to_its_own_probability(judge: SignalJudge) -> None:
    loop = Loop(FullDuplexPolicy(decisions=NAME))
    end = said(loop, "is it raining")
    loop.feed(signal(0.8, loop.upto, end + 0.04, source="audio"))
    assert (judge.seen[-1].audio_end_probability, judge.seen[-1].model_end_probability) == (0.8, None)
    assert loop.wake() == pytest.approx(end + 1.5)  # this judge reads the model only
    loop.feed(signal(0.7, loop.upto, end + 0.05))
    assert (judge.seen[-1].audio_end_probability, judge.seen[-1].model_end_probability) == (0.8, 0.7)


def test_a_servers_reading_is_the_models_probability_said_to_be_a_servers(judge: SignalJudge) -> None:
    loop = Loop(FullDuplexPolicy(decisions=NAME))
    end = said(loop, "is it raining")
    loop.feed(signal(0.7, loop.upto, end + 0.05, source="server"))
    assert (judge.seen[-1].model_end_probability, judge.seen[-1].model_end_source) == (0.7, "server")
    assert loop.wake() == pytest.approx(end + 0.2)  # this judge reads it as it reads the model's
    other = Loop(FullDuplexPolicy(decisions=NAME))
    end = said(other, "is it raining")
    other.feed(signal(0.7, other.upto, end + 0.05))
    assert (judge.seen[-1].model_end_probability, judge.seen[-1].model_end_source) == (0.7, "model")


def test_enter_ends_a_typed_turn_whatever_a_signal_says(judge: SignalJudge) -> None:
    loop = Loop(FullDuplexPolicy(decisions=NAME))
    loop.feed(UserInput(text="so what time is it", t=1.0))
    enter = UserSubmit(t=1.5)
    loop.floor.observe(enter)
    loop.policy.react(loop.floor.state, enter)
    loop.policy.react(loop.floor.state, signal(0.1, loop.upto, 1.5))  # in the same pass, before the decision
    assert replies(loop.at(1.5)) == [Reply()]


def test_the_judge_hears_the_agents_line_and_where_the_turn_went_on(judge: SignalJudge) -> None:
    loop = Loop(FullDuplexPolicy(decisions=NAME))
    end = said(loop, "so yesterday")
    assert judge.seen[-1].stretch_start == 0
    said(loop, "we went out", start=end + 0.8)  # a pause: the turn goes on
    assert loop.floor.state.user_text[judge.seen[-1].stretch_start :].strip() == "we went out"
    assert judge.seen[-1].pauses[-1] == pytest.approx(0.8)


def test_the_rules_ignore_signals() -> None:
    """A log with signals replays under the rules as one without: the same deadlines, the same actions."""
    runs = []
    for with_signal in (False, True):
        loop = Loop(FullDuplexPolicy(decisions="rules"))
        end = said(loop, "so I went to the")
        if with_signal:
            loop.feed(signal(0.99, loop.upto, end + 0.05))
        runs.append((loop.wake(), loop.at(end + 1.0), loop.at(end + 1.8)))
    assert runs[0] == runs[1]
    assert replies(runs[0][2]) == [Reply()]


def test_a_signal_between_turns_changes_nothing(judge: SignalJudge) -> None:
    loop = Loop(FullDuplexPolicy(decisions=NAME))
    assert loop.feed(signal(0.9, 0, 0.1)) == []
    assert loop.wake() is None
