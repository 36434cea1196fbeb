"""Timed speech: does the agent speak when a timer the user set ("remind me in 5 seconds") says it should.

==================  =========================================================================================
timed onset error   expected: end of step ``after`` + ``seconds`` + k * ``every`` (k < ``count``); actual:
                    the first word of the utterance each TimerFired started (its effect, else the nearest
                    start at or after it); nearest pairs one to one; |actual - expected| mean, max;
                    expected onsets left unpaired are misses
==================  =========================================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from microturn._core._events import AgentSpeechStarted, Event, TimerFired
from microturn._eval._format import Scenario
from microturn._eval._metrics._log import Marks, speech_after, utterances

__all__ = ["TimerMetrics", "timers"]


@dataclass(frozen=True, slots=True)
class TimerMetrics:
    errors: list[float] = field(default_factory=list)
    misses: int = 0
    extra: int = 0
    missing: list[str] = field(default_factory=list)


def timers(events: Sequence[Event], marks: Marks, scenario: Scenario) -> TimerMetrics:
    expected: list[float] = []
    missing: list[str] = []
    for anchor in scenario.measure.timers:
        if anchor.after not in marks:
            missing.append(anchor.after)
            continue
        first = marks[anchor.after].end + anchor.seconds
        expected.extend(first + k * (anchor.every or 0.0) for k in range(anchor.count))
    actual = _timer_onsets(events)
    pairs = sorted((abs(a - e), i, j) for i, e in enumerate(expected) for j, a in enumerate(actual))
    errors: list[float] = []
    used_expected: set[int] = set()
    used_actual: set[int] = set()
    for error, i, j in pairs:
        if i not in used_expected and j not in used_actual:
            used_expected.add(i)
            used_actual.add(j)
            errors.append(round(error, 6))
    return TimerMetrics(
        errors=errors,
        misses=len(expected) - len(errors),
        extra=len(actual) - len(errors),
        missing=missing,
    )


def _timer_onsets(events: Sequence[Event]) -> list[float]:
    starts = [e for e in events if isinstance(e, AgentSpeechStarted)]
    spoken = utterances(events)
    claimed: set[int] = set()
    onsets: list[float] = []
    for fired in (e for e in events if isinstance(e, TimerFired)):
        start = speech_after(fired, starts, claimed)
        if start is not None and spoken[start.utterance].words:
            onsets.append(spoken[start.utterance].words[0].t)
    return onsets
