"""How a policy reads a whole turn: what it asks for (an intent) and, to a yes/no question, the answer.

Both are read through the full-duplex policy's :class:`Intent` interface, so every implementation of it is
measured the same way: :func:`readers` makes the harness's two readers from one. These readings are measured
straight on the text, not through a session: what a session shows of them (a timer set, a job cancelled, the
words of an acknowledgement) depends on what is running and on the policy's phrasing. A policy is measured on
the intent and approval families if it has readers here, under its registered name, and the full-duplex
policy with other decisions than its rules through them (``decision_readers``: ``microturn devset
--decisions learned``); the full-duplex rules are the baseline.

Every intent case is read as the policy reads a turn at its end with a background job running: the state in
which "cancel the search" and "how's it going with the flights" mean something, and in which a stray
"actually" or "no need" costs the user their job. A turn read as also changing the job gets both labels
("cancel_timer+cancel_job"); a negated reading asks for nothing ("none"). (The policy also skips turns made
only of backchannels before reading them: the rules find nothing in those anyway, so the reading is the same.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from microturn._policies._full_duplex._decisions import (
    Intent,
    IntentContext,
    IntentReading,
    RulesIntent,
    Waits,
    make_decisions,
)

__all__ = ["READERS", "Readers", "TurnReading", "decision_readers", "readers", "rules_approval", "rules_intent"]


@dataclass(frozen=True, slots=True)
class TurnReading:
    """What a turn was read as asking for: one of the intent family's labels, or several joined by ``+``
    when it does more than one thing ("cancel_timer+cancel_job"), or ``revise_job`` (a background job
    cancelled and asked for again, changed); and a timer's seconds."""

    label: str
    seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Readers:
    intent: Callable[[str], TurnReading]
    """The turn's text -> what it asks for."""
    approval: Callable[[str, str], str]
    """The question asked and the user's answer -> ``yes``, ``no`` or ``unclear``."""


_JOB_RUNNING = IntentContext(jobs_running=True)
"""The context every intent case is read in."""


def readers(intent: Intent) -> Readers:
    """The harness's readers of an :class:`Intent` implementation."""

    def read_turn(text: str) -> TurnReading:
        return _turn_reading(intent.read(text, _JOB_RUNNING))

    def read_answer(question: str, answer: str) -> str:
        label = intent.read(answer, IntentContext(question=question)).label
        return label if label in {"yes", "no"} else "unclear"

    return Readers(intent=read_turn, approval=read_answer)


def _turn_reading(reading: IntentReading) -> TurnReading:
    if reading.negated:
        return TurnReading(label="none")
    labels = [] if reading.label == "none" else [reading.label]
    job = reading.slots.get("job")
    if job is not None and (change := "revise_job" if job == "revise" else "cancel_job") not in labels:
        labels.append(change)
    seconds = reading.slots.get("seconds") if reading.label == "timer" else None
    return TurnReading(label="+".join(labels) or "none", seconds=float(seconds) if seconds is not None else None)


_RULES = readers(RulesIntent())
rules_intent = _RULES.intent
"""The full-duplex rules' reading of a whole turn, with a background job running."""
rules_approval = _RULES.approval
"""The full-duplex rules' reading of an answer (``_answers.py``); the question does not change it."""

READERS: dict[str, Readers] = {}
"""The readers of each policy without decisions of its own, by its registered name: such a policy adds its own here
to be measured. A policy with decisions (the full-duplex one) is read through them (``decision_readers``)."""

_NO_WAITS = Waits(complete=0.0, incomplete=0.0, max_incomplete=0.0, typed=0.0)
"""A turn's reading depends on no wait: any will do to build the decisions that read it."""


def decision_readers(decisions: str) -> Readers:
    """The readers of the full-duplex policy with the ``decisions`` registered under that name
    (``FullDuplexPolicy(decisions=...)``): ``"learned"`` is measured so."""
    return readers(make_decisions(decisions, _NO_WAITS).intent)
