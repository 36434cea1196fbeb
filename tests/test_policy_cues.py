"""The cues feature on its own: set by request, hearing the user's words, interjecting on a hit."""

from __future__ import annotations

from microturn._core._actions import ClearTurn, Record, Say
from microturn._core._events import CueFired, CueSet, JobResult, SpeechPurpose
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._cues import Cues
from microturn._policies._full_duplex._feature import Names
from microturn._policies._full_duplex._intents import CueRequest, StopCues, StopTimers

NUMBER = CueRequest(kind="number", watch="a number")
PARIS = CueRequest(kind="phrase", watch="paris", phrase=("paris",), interrupt=True)
WRONG = CueRequest(kind="wrong-fact", watch="a wrong fact", interrupt=True)
STATE = FloorState(now=2.0, user_active_until=1.9, last_user_input=1.5)


def test_a_request_sets_a_cue_and_acknowledges_it() -> None:
    cues = Cues(Names())
    assert cues.handle(STATE, NUMBER) == [
        ClearTurn(),
        Record(CueSet(cue="cue-1", watch="a number")),
        Say("Listening for a number. Say 'cancel the cue' to stop."),
    ]
    assert cues.handle(STATE, PARIS) == [
        ClearTurn(),
        Record(CueSet(cue="cue-2", watch="paris", interrupt=True)),
        Say("I'll stop you at paris. Say 'cancel the cue' to stop."),
    ]


def test_a_hit_is_recorded_and_said_as_an_interjection() -> None:
    cues = Cues(Names())
    cues.handle(STATE, NUMBER)
    assert cues.hear(STATE, "I have ") == []
    assert cues.hear(STATE, "seventeen ") == [
        Record(CueFired(cue="cue-1", matched="seventeen")),
        Say("Number: seventeen.", SpeechPurpose.INTERJECTION, append=True),
    ]


def test_an_interjection_follows_what_the_agent_is_saying_unless_it_is_held() -> None:
    cues = Cues(Names())
    cues.handle(STATE, NUMBER)
    talking = FloorState(now=2.0, agent_utterance=3)
    assert cues.hear(talking, "two")[-1] == Say("Number: two.", SpeechPurpose.INTERJECTION, append=True)
    held = FloorState(now=2.0, agent_utterance=3, agent_held=True)  # quiet for the user already: it gives way
    assert cues.hear(held, "and three")[-1] == Say("Number: three.", SpeechPurpose.INTERJECTION)


def test_every_cue_hears_the_same_words_in_the_order_set() -> None:
    cues = Cues(Names())
    cues.handle(STATE, NUMBER)
    cues.handle(STATE, PARIS)
    fired = [action.event for action in cues.hear(STATE, "37 bridges in paris") if isinstance(action, Record)]
    assert fired == [CueFired(cue="cue-1", matched="37"), CueFired(cue="cue-2", matched="paris")]


def test_blank_words_are_not_heard() -> None:
    cues = Cues(Names())
    cues.handle(STATE, NUMBER)
    assert cues.hear(STATE, "   ") == []


def test_the_end_of_the_turn_completes_a_held_back_claim() -> None:
    cues = Cues(Names())
    cues.handle(STATE, WRONG)
    assert cues.hear(STATE, "two plus two is twenty") == []  # "twenty" may go on: "twenty two"
    assert cues.flush(STATE) == [
        Record(CueFired(cue="cue-1", matched="two plus two is twenty")),
        Say("Wait, 2 plus 2 is 4.", SpeechPurpose.INTERJECTION, append=True),
    ]


def test_stopping_clears_every_cue() -> None:
    cues = Cues(Names())
    cues.handle(STATE, NUMBER)
    assert cues.handle(STATE, StopCues()) == [ClearTurn(), Say("Okay, I've stopped listening for that.")]
    assert cues.hear(STATE, "seventeen") == []


def test_without_cues_nothing_fires() -> None:
    cues = Cues(Names())
    assert cues.hear(STATE, "two plus two is five") == []
    assert cues.flush(STATE) == []


def test_other_requests_and_events_are_not_for_cues() -> None:
    cues = Cues(Names())
    assert cues.handle(STATE, StopTimers()) is None
    assert cues.react(STATE, JobResult(t=2.0, job="j1", text="done")) == []
    assert cues.moments(STATE) == []
