"""How a policy reads a whole turn: what it asks for (an intent) and, to a yes/no question, the answer.

These readings are measured straight on the text, not through a session: what a session shows of them
(a timer set, a job cancelled, the words of an acknowledgement) depends on what is running and on the
policy's phrasing. A policy is measured on the intent and approval families if it has readers here,
under its registered name; the full-duplex rules are the baseline.

The rules read an intent as the full-duplex policy does at the end of a turn: its background-job watcher
first (does the turn cancel or revise a job?), then ``parse_intent``. Every case is read with one
background job running: the state in which "cancel the search" and "how's it going with the flights"
mean something, and in which a stray "actually" or "no need" costs the user their job. (The policy also
skips turns made only of backchannels before either: ``parse_intent`` and the watcher find nothing in
those anyway, so the reading is the same.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from microturn._core._actions import Delegate, Record
from microturn._core._events import CancelJob, JobRequested
from microturn._policies import FullDuplexPolicy
from microturn._policies._full_duplex._answers import yes_or_no
from microturn._policies._full_duplex._intents import (
    AskProgress,
    CueRequest,
    DelegateTask,
    Intent,
    StartLive,
    StopCues,
    StopLive,
    StopTimers,
    TimerRequest,
    parse_intent,
)
from microturn._policies._full_duplex._weaving import Weaver

__all__ = ["READERS", "IntentReading", "Readers", "rules_approval", "rules_intent"]


@dataclass(frozen=True, slots=True)
class IntentReading:
    """What a turn was read as asking for: one of the intent family's labels, or several joined by ``+``
    when it does more than one thing ("cancel_timer+cancel_job"), or ``revise_job`` (a background job
    cancelled and asked for again, changed); and a timer's seconds."""

    label: str
    seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Readers:
    intent: Callable[[str], IntentReading]
    """The turn's text -> what it asks for."""
    approval: Callable[[str, str], str]
    """The question asked and the user's answer -> ``yes``, ``no`` or ``unclear``."""


_LABELS: dict[type[Intent], str] = {
    TimerRequest: "timer",
    StopTimers: "cancel_timer",
    CueRequest: "cue",
    StopCues: "cancel_cue",
    StartLive: "live_start",
    StopLive: "live_stop",
    DelegateTask: "delegate",
    AskProgress: "progress",
}
_RUNNING = JobRequested(job="job-1", task="find flights to Lisbon for next weekend", t=0.0)
"""The background job running while every turn is read."""


def rules_intent(text: str) -> IntentReading:
    """The full-duplex rules' reading of a whole turn, with ``_RUNNING`` in the background."""
    watcher = Weaver(pause=0.6, summary_words=30)  # the policy's defaults; neither changes what a turn means
    watcher.track(_RUNNING)
    done = watcher.turn_ended(text, started=_RUNNING.t + 1.0)
    cancelled = any(isinstance(action, Record) and isinstance(action.event, CancelJob) for action in done)
    revised = cancelled and any(isinstance(action, Delegate) for action in done)
    intent = parse_intent(text)
    labels = [] if intent is None else [_LABELS[type(intent)]]
    if cancelled:
        labels.append("revise_job" if revised else "cancel_job")
    seconds = intent.seconds if isinstance(intent, TimerRequest) else None
    return IntentReading(label="+".join(labels) or "none", seconds=seconds)


def rules_approval(question: str, answer: str) -> str:
    """The full-duplex rules' reading of an answer (``_answers.py``); the question does not change it."""
    verdict = yes_or_no(answer)
    return "unclear" if verdict is None else "yes" if verdict else "no"


READERS: dict[str, Readers] = {FullDuplexPolicy.name: Readers(intent=rules_intent, approval=rules_approval)}
"""The readers of each policy, by its registered name: a learned policy adds its own here to be measured."""
