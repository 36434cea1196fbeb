"""Every family of one run in one value, and the pooling of many runs' samples."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from microturn._core._events import Event
from microturn._eval._format import Scenario
from microturn._eval._metrics._backchannels import BackchannelMetrics, backchannels
from microturn._eval._metrics._cues import CueMetrics, cues
from microturn._eval._metrics._interruptions import InterruptionMetrics, interruptions
from microturn._eval._metrics._log import Marks
from microturn._eval._metrics._timers import TimerMetrics, timers
from microturn._eval._metrics._turns import PauseMetrics, TurnMetrics, pauses, turns
from microturn._eval._metrics._weaves import WeaveMetrics, weaves

__all__ = ["Metrics", "measure", "merge"]


@dataclass(frozen=True, slots=True)
class Metrics:
    pause: PauseMetrics = field(default_factory=PauseMetrics)
    turn: TurnMetrics = field(default_factory=TurnMetrics)
    interruption: InterruptionMetrics = field(default_factory=InterruptionMetrics)
    backchannel: BackchannelMetrics = field(default_factory=BackchannelMetrics)
    cue: CueMetrics = field(default_factory=CueMetrics)
    timer: TimerMetrics = field(default_factory=TimerMetrics)
    weave: WeaveMetrics = field(default_factory=WeaveMetrics)


def measure(events: Sequence[Event], marks: Marks, scenario: Scenario) -> Metrics:
    """Every metric family of one run."""
    return Metrics(
        pause=pauses(events, marks, scenario),
        turn=turns(events, marks, scenario),
        interruption=interruptions(events, marks, scenario),
        backchannel=backchannels(events, marks, scenario),
        cue=cues(events, marks, scenario),
        timer=timers(events, marks, scenario),
        weave=weaves(events, marks, scenario),
    )


def merge(runs: Iterable[Metrics]) -> Metrics:
    """Pool the samples of many runs: lists concatenate, counts and seconds add up."""
    merged: Metrics = functools.reduce(_add, runs, Metrics())
    return merged


def _add(a: Any, b: Any) -> Any:
    if is_dataclass(a) and not isinstance(a, type):
        return type(a)(**{f.name: _add(getattr(a, f.name), getattr(b, f.name)) for f in fields(a)})
    if isinstance(a, float):
        return round(a + b, 6)
    return a + b
