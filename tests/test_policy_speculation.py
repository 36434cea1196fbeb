"""Tool speculation through the shared feature interface: the loop's tool events reach it by ``react``.

(Listening for triggers and answering at the end of a turn are in test_full_duplex_units.py.)
"""

from __future__ import annotations

from microturn._core._actions import CallTool, ClearTurn, Reply, Say
from microturn._core._events import JobResult, SpeechPurpose, ToolCalled, ToolResult
from microturn._core._floor import FloorState
from microturn._core._tools import ToolSpec
from microturn._policies._full_duplex._intents import DelegateTask
from microturn._policies._full_duplex._tool_speculation import Speculator

WEATHER = ToolSpec(name="weather", trigger=r"\bin (?P<city>[a-z]+)")
ASKED = FloorState(now=2.0, user_active_until=2.0, user_text="what's the weather in Oslo", tools=(WEATHER,))


def test_the_loops_call_and_its_result_release_the_held_answer() -> None:
    s = Speculator(holding="Let me check.")
    assert s.listen(ASKED) == [CallTool("weather", {"city": "oslo"})]
    assert s.react(ASKED, ToolCalled(t=2.0, call="call-1", tool="weather", arguments={"city": "oslo"})) == []
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
