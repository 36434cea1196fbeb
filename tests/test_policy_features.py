"""The full-duplex policy's features as one collection: each shown only the events it follows, in order."""

from __future__ import annotations

from microturn._core._actions import Action, Say
from microturn._core._events import AgentWord, Event, JobResult, ToolResult
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._approvals import Approvals
from microturn._policies._full_duplex._cues import Cues
from microturn._policies._full_duplex._decisions import RulesIntent
from microturn._policies._full_duplex._feature import Feature, Features, Names
from microturn._policies._full_duplex._intents import AskProgress, Request, StopCues
from microturn._policies._full_duplex._live import LiveMode
from microturn._policies._full_duplex._timers import Timers
from microturn._policies._full_duplex._tool_speculation import Speculator
from microturn._policies._full_duplex._weaving import Weaver

STATE = FloorState(now=5.0)
WORD = AgentWord(utterance=1, word="hi", duration=0.2)
RESULT = JobResult(job="j1", text="done")


class Follower(Feature):
    """A feature that says which event it saw, and carries out one kind of request (``handles``)."""

    handles: type[Request] | None = None

    def __init__(self) -> None:
        self.seen: list[Event] = []

    def react(self, state: FloorState, event: Event) -> list[Action]:
        self.seen.append(event)
        return [Say(f"{type(self).__name__} saw {type(event).__name__}")]

    def handle(self, state: FloorState, intent: Request) -> list[Action] | None:
        if self.handles is None or not isinstance(intent, self.handles):
            return None
        return [Say(f"{type(self).__name__} did it")]


class Words(Follower):
    follows = (AgentWord,)


class Jobs(Follower):
    follows = (JobResult,)
    handles = AskProgress


class Both(Follower):
    follows = (AgentWord, JobResult)
    handles = AskProgress


class Timed(Feature):
    def __init__(self, *moments: float) -> None:
        self._moments = list(moments)

    def moments(self, state: FloorState) -> list[float]:
        return self._moments


def test_an_event_goes_only_to_the_features_that_follow_its_kind_in_their_order() -> None:
    words, jobs, both = Words(), Jobs(), Both()
    features = Features(words, jobs, both)
    assert features.react(STATE, WORD) == [Say("Words saw AgentWord"), Say("Both saw AgentWord")]
    assert features.react(STATE, RESULT) == [Say("Jobs saw JobResult"), Say("Both saw JobResult")]
    assert features.react(STATE, ToolResult(call="c1", output="x")) == []
    assert features.react(STATE, WORD) == [Say("Words saw AgentWord"), Say("Both saw AgentWord")]  # as the first time
    assert (words.seen, jobs.seen, both.seen) == ([WORD, WORD], [RESULT], [WORD, RESULT, WORD])


def test_a_feature_that_follows_nothing_sees_nothing() -> None:
    assert Features(Feature(), Timed(1.0)).react(STATE, WORD) == []


def test_the_moments_are_every_timed_features() -> None:
    assert Features(Timed(3.0, 1.0), Feature(), Timed(), Timed(2.0)).moments(STATE) == [3.0, 1.0, 2.0]
    assert Features(Feature()).moments(STATE) == []


def test_a_request_is_carried_out_by_the_first_feature_it_is_for() -> None:
    features = Features(Words(), Jobs(), Both())
    assert features.handle(STATE, AskProgress()) == [Say("Jobs did it")]
    assert features.handle(STATE, StopCues()) is None


def test_every_feature_of_the_policy_that_reacts_says_which_events_it_follows() -> None:
    names = Names()
    features: list[Feature] = [
        Timers(names),
        Cues(names),
        LiveMode(RulesIntent(), chunk_words=3),
        Weaver(pause=0.6, summary_words=30),
        Approvals(RulesIntent(), timeout=20.0, pause=0.6),
        Speculator(holding="Let me check."),
    ]
    for feature in features:
        reacts = type(feature).react is not Feature.react
        assert reacts == bool(feature.follows), type(feature).__name__
