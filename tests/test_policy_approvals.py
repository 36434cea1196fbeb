"""The approvals feature on its own: ask at a pause, take only a clear yes heard after the question, time out to no."""

from __future__ import annotations

from microturn._core._actions import Record, Say
from microturn._core._events import (
    AgentSpeechEnded,
    ApprovalDecided,
    ApprovalRequested,
    EndReason,
    JobResult,
)
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._approvals import Approvals
from microturn._policies._full_duplex._decisions import RulesIntent
from microturn._policies._full_duplex._intents import AskProgress

REQUEST = ApprovalRequested(t=1.0, call="c1", tool="delete_files", arguments={"path": "/tmp/x"})
QUESTION = Say("May I delete files (path /tmp/x)? Please say yes or no.")
AGAIN = Say("Sorry, I need a clear yes or no: may I delete files (path /tmp/x)?")


def quiet(now: float) -> FloorState:
    return FloorState(now=now, user_active_until=1.0, last_user_input=0.8)


def asked(at: float = 2.0) -> Approvals:
    """A question about REQUEST asked at ``at`` and heard to its end a second later."""
    approvals = Approvals(RulesIntent(), timeout=20.0, pause=0.6)
    approvals.react(quiet(1.0), REQUEST)
    assert approvals.ask(quiet(at)) == [QUESTION]
    approvals.react(quiet(at + 1), AgentSpeechEnded(t=at + 1, utterance=1, reason=EndReason.COMPLETED, delivered=""))
    return approvals


def decided(granted: bool, reason: str) -> Record:
    return Record(ApprovalDecided(call="c1", granted=granted, reason=reason))


def test_a_request_is_asked_about_at_the_next_pause() -> None:
    approvals = Approvals(RulesIntent(), timeout=20.0, pause=0.6)
    assert approvals.moments(quiet(1.0)) == []
    approvals.react(quiet(1.0), REQUEST)
    assert approvals.moments(quiet(1.0)) == [1.6]
    talking = FloorState(now=1.2, user_active_until=1.4, last_user_input=1.1)
    assert approvals.ask(talking) == []
    assert approvals.ask(quiet(1.6)) == [QUESTION]
    assert approvals.moments(quiet(1.6)) == [21.6]  # now the deadline for an answer


def test_a_clear_yes_after_the_question_goes_ahead() -> None:
    assert asked().answer("yes, go ahead", started=4.0) == [
        decided(True, "the user said yes"),
        Say("Okay, going ahead."),
    ]


def test_a_clear_no_declines() -> None:
    assert asked().answer("no thanks", started=4.0) == [decided(False, "the user said no"), Say("Okay, I won't.")]


def test_a_yes_begun_before_the_question_was_heard_is_asked_again() -> None:
    approvals = asked(at=2.0)  # heard in full at 3.0
    assert approvals.answer("yes", started=2.5) == [AGAIN]
    assert approvals.answer("yes", started=4.0) == [AGAIN]  # asked again, and not yet heard in full


def test_a_question_cut_off_was_not_heard() -> None:
    approvals = Approvals(RulesIntent(), timeout=20.0, pause=0.6)
    approvals.react(quiet(1.0), REQUEST)
    approvals.ask(quiet(2.0))
    approvals.react(quiet(2.5), AgentSpeechEnded(t=2.5, utterance=1, reason=EndReason.INTERRUPTED, delivered="May"))
    assert approvals.answer("yes", started=3.0) == [AGAIN]


def test_an_unclear_answer_is_asked_again() -> None:
    assert asked().answer("what exactly will it delete?", started=4.0) == [AGAIN]


def test_no_answer_in_time_means_no() -> None:
    approvals = asked(at=2.0)
    assert approvals.ask(quiet(21.9)) == []
    assert approvals.ask(quiet(22.0)) == [decided(False, "no answer"), Say("I didn't hear a yes, so I won't.")]
    assert approvals.moments(quiet(22.0)) == []


def test_without_a_question_open_words_are_no_answer() -> None:
    assert Approvals(RulesIntent(), timeout=20.0, pause=0.6).answer("yes", started=1.0) is None


def test_other_requests_and_events_are_not_for_approvals() -> None:
    approvals = Approvals(RulesIntent(), timeout=20.0, pause=0.6)
    assert approvals.handle(quiet(1.0), AskProgress()) is None
    assert approvals.react(quiet(1.0), JobResult(t=1.0, job="j1", text="done")) == []
    assert approvals.moments(quiet(1.0)) == []
