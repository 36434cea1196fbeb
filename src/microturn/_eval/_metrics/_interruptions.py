"""Barge-in: how fast the agent stops when the user talks over it, and whether it then answers them.

==================  =========================================================================================
stop latency        per ``interruptions`` step whose onset found the agent speaking: when the utterance active
                    then went quiet for good (cut off, or held and never released), minus the onset; median,
                    p90, max. If that utterance completed anyway it counts as *not stopped*
interruption TOR    take-over in [step end, next input): the agent answered the interruption; mean
==================  =========================================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from microturn._core._events import Event, UserInput
from microturn._eval._format import Scenario
from microturn._eval._metrics._log import EPSILON, Marks, Utterance, stopped_at, takeover_after, utterances
from microturn._eval._script import Mark

__all__ = ["InterruptionMetrics", "interruptions"]


@dataclass(frozen=True, slots=True)
class InterruptionMetrics:
    stop_latencies: list[float] = field(default_factory=list)
    not_stopped: int = 0
    takeovers: list[bool] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def interruptions(events: Sequence[Event], marks: Marks, scenario: Scenario) -> InterruptionMetrics:
    stop_latencies: list[float] = []
    takeovers: list[bool] = []
    missing: list[str] = []
    not_stopped = 0
    spoken = utterances(events).values()
    for step in scenario.measure.interruptions:
        mark = marks.get(step)
        onset = _onset(events, mark) if mark is not None else None
        if mark is None or onset is None:
            missing.append(step)
            continue
        active = next((u for u in spoken if _active(u, onset.seq)), None)
        if active is not None and active.started is not None:
            quiet = stopped_at(events, active.started.utterance)
            if quiet is not None:
                stop_latencies.append(round(quiet - onset.t, 6))
            else:
                not_stopped += 1
        takeovers.append(takeover_after(events, mark.end))
    return InterruptionMetrics(
        stop_latencies=stop_latencies, not_stopped=not_stopped, takeovers=takeovers, missing=missing
    )


def _onset(events: Sequence[Event], mark: Mark) -> UserInput | None:
    """The step's first input as it reached the session."""
    if not mark.inputs:
        return None
    first = mark.inputs[0][0]
    return next((e for e in events if isinstance(e, UserInput) and e.t >= first - EPSILON), None)


def _active(utterance: Utterance, seq: int) -> bool:
    """Whether the agent was saying ``utterance`` when the event ``seq`` arrived."""
    started = utterance.started is not None and utterance.started.seq < seq
    return started and (utterance.ended is None or utterance.ended.seq > seq)
