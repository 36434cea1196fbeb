"""Intents: is a whole turn read as asking for what it asks for (a timer, a cue, a live mode, a job, nothing)?

Each case's ``text`` goes through the policy's intent reader (``_readers.py``); the reading is right when
its label is the case's, exactly: a turn read as doing two things ("cancel_timer+cancel_job") is wrong for
either. For timers, the seconds are checked too, on the timer cases read as timers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import get_args

from microturn._eval._devset._cases import IntentCase, IntentLabel
from microturn._eval._devset._readers import TurnReading

__all__ = ["LABELS", "IntentResult", "IntentRow", "IntentSummary", "measure_intents", "summarise_intents"]

LABELS: tuple[str, ...] = get_args(IntentLabel)


@dataclass(frozen=True, slots=True)
class IntentResult:
    id: str
    label: str
    read: str
    """The label it was read as."""
    seconds: float | None = None
    """A timer case's seconds."""
    seconds_read: float | None = None


@dataclass(frozen=True, slots=True)
class IntentRow:
    label: str
    cases: int
    right: int
    misread_as: str
    """The commonest wrong reading, with its count ("none ×3"); empty when there is none."""


@dataclass(frozen=True, slots=True)
class IntentSummary:
    rows: list[IntentRow]
    cases: int
    right: int
    timers_read: int
    """Timer cases read as timers."""
    timer_seconds_right: int
    """Of those, the ones whose seconds were right."""


def measure_intents(cases: Sequence[IntentCase], read: Callable[[str], TurnReading]) -> list[IntentResult]:
    results: list[IntentResult] = []
    for case in cases:
        reading = read(case.text)
        seconds = case.slots.get("seconds") if case.label == "timer" else None
        results.append(
            IntentResult(
                id=case.id,
                label=case.label,
                read=reading.label,
                seconds=float(seconds) if isinstance(seconds, int | float) else None,
                seconds_read=reading.seconds,
            )
        )
    return results


def summarise_intents(results: Sequence[IntentResult]) -> IntentSummary:
    rows = [_row(label, [r for r in results if r.label == label]) for label in LABELS]
    timers = [r for r in results if r.label == "timer" and r.read == "timer"]
    return IntentSummary(
        rows=rows,
        cases=len(results),
        right=sum(r.read == r.label for r in results),
        timers_read=len(timers),
        timer_seconds_right=sum(
            r.seconds is not None and r.seconds_read is not None and abs(r.seconds - r.seconds_read) < 1e-6
            for r in timers
        ),
    )


def _row(label: str, results: Sequence[IntentResult]) -> IntentRow:
    wrong = Counter(r.read for r in results if r.read != label).most_common(1)
    return IntentRow(
        label=label,
        cases=len(results),
        right=sum(r.read == label for r in results),
        misread_as=f"{wrong[0][0]} ×{wrong[0][1]}" if wrong else "",
    )
