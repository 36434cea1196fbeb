"""Tool speculation through the shared feature interface: the loop's tool events reach it by ``react``.

(Listening for triggers and answering at the end of a turn are in test_full_duplex_units.py.)
"""

from __future__ import annotations

from dataclasses import replace

from microturn._core._actions import CallTool, ClearTurn, Reply, Say
from microturn._core._events import JobResult, SpeechPurpose, ToolCalled, ToolResult
from microturn._core._floor import FloorState
from microturn._core._tools import ToolSpec
from microturn._policies._full_duplex._intents import DelegateTask
from microturn._policies._full_duplex._tool_speculation import GRACE, Speculator

WEATHER = ToolSpec(name="weather", trigger=r"\bin (?P<city>[a-z]+)")
ASKED = FloorState(now=2.0, user_active_until=2.0, user_text="what's the weather in Oslo", tools=(WEATHER,))


def test_the_loops_call_and_its_result_release_the_held_answer() -> None:
    s = Speculator(holding="Let me check.")
    assert s.listen(ASKED) == [CallTool("weather", {"city": "oslo"})]
    # called while the user talked (at 1.5 s), still not back at the end (2.0 s): a slow lookup, held at once
    assert s.react(ASKED, ToolCalled(t=1.5, call="call-1", tool="weather", arguments={"city": "oslo"})) == []
    assert s.answer(ASKED) == [ClearTurn(), Say("Let me check.", SpeechPurpose.REPLY)]
    assert s.react(ASKED, ToolResult(t=2.5, call="call-1", output="Snow.")) == [
        Reply(text="what's the weather in Oslo", facts=("Snow.",), append=True)
    ]


def test_a_result_in_before_the_end_of_the_turn_answers_at_once() -> None:
    s = Speculator(holding="Let me check.")
    s.listen(ASKED)
    s.react(ASKED, ToolCalled(t=2.0, call="call-1", tool="weather", arguments={"city": "oslo"}))
    assert s.react(ASKED, ToolResult(t=2.1, call="call-1", output="Snow.")) == []  # nobody is waiting for it yet
    assert s.answer(ASKED) == [Reply(facts=("Snow.",))]


def test_it_handles_no_request_and_needs_no_moment() -> None:
    s = Speculator(holding="Let me check.")
    assert s.handle(ASKED, DelegateTask(task="find a hotel")) is None
    assert s.react(ASKED, JobResult(t=2.0, job="j1", text="done")) == []
    assert s.moments(ASKED) == []


def test_a_call_made_only_at_the_end_gets_a_grace_before_the_holding_phrase() -> None:
    """A typed question's last word completes at Enter, so its tool is called then: a quick result within the
    grace is answered with no "Let me check." before it; a slow one gets the holding phrase when the grace ends."""
    quick, slow = Speculator(holding="Let me check."), Speculator(holding="Let me check.")
    for s in (quick, slow):
        assert s.answer(ASKED) == [CallTool("weather", {"city": "oslo"}), ClearTurn()]
        assert s.moments(ASKED) == [2.0 + GRACE]
        s.react(ASKED, ToolCalled(t=2.0, call="call-1", tool="weather", arguments={"city": "oslo"}))
    assert quick.react(ASKED, ToolResult(t=2.05, call="call-1", output="Snow.")) == [
        Reply(text="what's the weather in Oslo", facts=("Snow.",), append=True)
    ]
    assert quick.moments(ASKED) == []
    assert quick.hold(replace(ASKED, now=2.0 + GRACE)) == []
    assert slow.hold(replace(ASKED, now=2.1)) == []  # not yet
    assert slow.hold(replace(ASKED, now=2.0 + GRACE)) == [Say("Let me check.", SpeechPurpose.REPLY)]
    assert slow.moments(ASKED) == []


def test_a_spoken_tools_result_is_said_as_it_is() -> None:
    """A tool whose result is itself the answer ("17 times 23 is 391.") is said as it is, ready or held: a small
    model handed it as a fact may answer with its own last line instead."""
    ready, held = (
        Speculator(holding="Let me check.", spoken=["weather"]),
        Speculator(holding="Let me check.", spoken=["weather"]),
    )
    for s in (ready, held):
        s.listen(ASKED)
        s.react(ASKED, ToolCalled(t=1.5, call="call-1", tool="weather", arguments={"city": "oslo"}))
    ready.react(ASKED, ToolResult(t=1.6, call="call-1", output="It snows in Oslo."))
    assert ready.answer(ASKED) == [Reply(words="It snows in Oslo.")]
    assert held.answer(ASKED) == [ClearTurn(), Say("Let me check.", SpeechPurpose.REPLY)]
    assert held.react(ASKED, ToolResult(t=2.5, call="call-1", output="It snows in Oslo.")) == [
        Reply(text="what's the weather in Oslo", words="It snows in Oslo.", append=True)
    ]


def test_only_this_turns_calls_are_kept_and_a_turn_starts_with_none() -> None:
    """A result of a call the turn did not make (a background job's) is not kept, and what a turn kept is gone
    when it ends: the feature's state stays one turn's, however long the session."""
    s = Speculator(holding="Let me check.")
    assert s.react(ASKED, ToolCalled(t=1.0, call="job-call", tool="weather", arguments={"city": "rome"})) == []
    assert s.react(ASKED, ToolResult(t=1.1, call="job-call", output="Sun.")) == []
    s.listen(ASKED)
    s.react(ASKED, ToolCalled(t=1.5, call="call-1", tool="weather", arguments={"city": "oslo"}))
    s.react(ASKED, ToolResult(t=1.6, call="call-1", output="Snow."))
    assert s.answer(ASKED) == [Reply(facts=("Snow.",))]
    assert s.answer(replace(ASKED, user_text="and tomorrow?")) is None  # nothing left of the last turn
