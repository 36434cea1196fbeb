"""The background-jobs feature through its shared interface: events in, requests handled, moments to wake at.

(How results are judged stale and summarised is in test_full_duplex_units.py.)
"""

from __future__ import annotations

import pytest

from microturn._core._actions import ClearTurn, Delegate, Record, Reply, Say
from microturn._core._events import (
    CancelJob,
    JobFailed,
    JobProgress,
    JobRequested,
    JobResult,
    ResultDropped,
    ResultWoven,
    SpeechPurpose,
    ToolResult,
)
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._intents import AskProgress, DelegateTask, StopTimers
from microturn._policies._full_duplex._weaving import URGENT, Weaver

QUIET = FloorState(now=5.0, user_active_until=2.0, last_user_input=1.8)
TALKING = FloorState(now=5.0, user_active_until=5.2, last_user_input=4.9)


def weaver() -> Weaver:
    return Weaver(pause=0.6, summary_words=30)


def test_a_result_is_held_for_a_pause_and_said_then() -> None:
    w = weaver()
    w.react(QUIET, JobRequested(t=1.0, job="j1", task="find flights"))
    assert w.react(TALKING, JobResult(t=5.0, job="j1", text="Three flights.")) == []
    assert w.moments(TALKING) == [pytest.approx(5.8)]
    assert w.deliver(QUIET) == [Record(ResultWoven(job="j1")), Say("About find flights: Three flights.")]
    assert w.moments(QUIET) == []


def test_an_urgent_result_is_said_as_it_arrives() -> None:
    w = weaver()
    w.react(QUIET, JobRequested(t=1.0, job="j1", task="watch the oven", priority=URGENT))
    assert w.react(TALKING, JobResult(t=5.0, job="j1", text="It is done.")) == [
        Record(ResultWoven(job="j1")),
        Say("About watch the oven: It is done.", SpeechPurpose.INTERJECTION),
    ]


def test_a_cancelled_job_result_is_dropped() -> None:
    w = weaver()
    w.react(QUIET, JobRequested(t=1.0, job="j1", task="find flights"))
    w.react(QUIET, CancelJob(t=2.0, job="j1"))
    assert w.react(QUIET, JobResult(t=5.0, job="j1", text="Three flights.")) == [
        Record(ResultDropped(job="j1", reason="cancelled"))
    ]


def test_progress_is_what_how_is_it_going_answers() -> None:
    w = weaver()
    w.react(QUIET, JobRequested(t=1.0, job="j1", task="find flights"))
    assert w.handle(QUIET, AskProgress()) == [ClearTurn(), Say("Still on it. find flights: just started.")]
    w.react(QUIET, JobProgress(t=2.0, job="j1", text="searched two sites"))
    assert w.handle(QUIET, AskProgress()) == [
        ClearTurn(),
        Say("Still on it. find flights: searched two sites (1 step so far)."),
    ]


def test_without_running_jobs_the_model_answers_how_is_it_going() -> None:
    assert weaver().handle(QUIET, AskProgress()) == [Reply()]


def test_a_failed_job_is_reported_at_the_next_pause() -> None:
    w = weaver()
    w.react(QUIET, JobRequested(t=1.0, job="j1", task="book a table"))
    assert w.react(QUIET, JobFailed(t=3.0, job="j1", reason="the site is down")) == []
    assert w.handle(QUIET, AskProgress()) == [Reply()]  # no longer running
    assert w.deliver(QUIET)[-1] == Say("Sorry, I couldn't book a table: the site is down.")


def test_a_task_is_delegated_with_an_acknowledgement() -> None:
    assert weaver().handle(QUIET, DelegateTask(task="find me a hotel")) == [
        Delegate(task="find me a hotel"),
        ClearTurn(),
        Say("On it. I'll tell you when I have something."),
    ]


def test_other_requests_and_events_are_not_for_jobs() -> None:
    w = weaver()
    assert w.handle(QUIET, StopTimers()) is None
    assert w.react(QUIET, ToolResult(t=1.0, call="c1", output="12")) == []
    assert w.moments(QUIET) == []
