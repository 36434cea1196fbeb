"""Cues: does a cue the user set ("tell me when I say a number") fire on the right word, and how fast.

==================  =========================================================================================
cue P / R           anchor = the first input of ``step`` containing ``word``; a CueFired in
                    [anchor, anchor + 2 s] is a true positive (each matches one anchor, earliest first);
                    other CueFired are false positives, unmatched anchors false negatives
cue latency         first AgentWord at or after the matched CueFired minus the anchor; median
==================  =========================================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from microturn._core._events import CueFired, Event
from microturn._eval._format import Scenario
from microturn._eval._metrics._log import EPSILON, Marks, first_word

__all__ = ["CueMetrics", "cues"]

CUE_WINDOW = 2.0


@dataclass(frozen=True, slots=True)
class CueMetrics:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    latencies: list[float] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def cues(events: Sequence[Event], marks: Marks, scenario: Scenario) -> CueMetrics:
    anchors: list[float] = []
    missing: list[str] = []
    for cue in scenario.measure.cues:
        mark = marks.get(cue.step)
        at = _word_time(mark.inputs, cue.word) if mark is not None else None
        if at is None:
            missing.append(f"{cue.step}: {cue.word}")
        else:
            anchors.append(at)
    fired = [e for e in events if isinstance(e, CueFired)]
    matched: set[int] = set()
    latencies: list[float] = []
    for anchor in sorted(anchors):
        match = next(
            (f for f in fired if f.seq not in matched and anchor - EPSILON <= f.t <= anchor + CUE_WINDOW + EPSILON),
            None,
        )
        if match is None:
            continue
        matched.add(match.seq)
        word = first_word(events, match.t)
        if word is not None:
            latencies.append(round(word.t - anchor, 6))
    return CueMetrics(
        true_positives=len(matched),
        false_positives=len(fired) - len(matched),
        false_negatives=len(anchors) - len(matched),
        latencies=latencies,
        missing=missing,
    )


def _word_time(inputs: Sequence[tuple[float, str]], word: str) -> float | None:
    """When ``word`` was put in: the first input containing it, else (keystrokes) the input completing it."""
    wanted = word.lower()
    for t, text in inputs:
        if wanted in text.lower():
            return t
    so_far, compact = "", "".join(wanted.split())
    for t, text in inputs:
        so_far += "".join(text.lower().split())
        if compact in so_far:
            return t
    return None
