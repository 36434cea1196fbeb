"""Turn-taking: does the agent keep quiet in the user's pauses, take its turn at their ends, and how fast.

==================  =========================================================================================
pause TOR           per ``pauses`` step: take-over in [end, next input) (0/1); mean. Lower is better
pause any speech    per ``pauses`` step: any agent speech but a backchannel in [end, next input) (0/1); mean.
                    Lower is better: it counts the short blurts the user's next word cuts off, which TOR does not
turn TOR            per ``turn_ends`` step: take-over in [end, next input) (0/1); mean. Higher is better
turn latency        first AgentWord in that window minus the step end; median and p90 (nearest rank)
==================  =========================================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from microturn._core._events import Event
from microturn._eval._format import Scenario
from microturn._eval._metrics._log import EPSILON, Marks, first_word, next_input, speaks_after, takeover_after

__all__ = ["PauseMetrics", "TurnMetrics", "pauses", "turns"]


@dataclass(frozen=True, slots=True)
class PauseMetrics:
    takeovers: list[bool] = field(default_factory=list)
    spoke: list[bool] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TurnMetrics:
    takeovers: list[bool] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def pauses(events: Sequence[Event], marks: Marks, scenario: Scenario) -> PauseMetrics:
    takeovers: list[bool] = []
    spoke: list[bool] = []
    missing: list[str] = []
    for step in scenario.measure.pauses:
        if step in marks:
            takeovers.append(takeover_after(events, marks[step].end))
            spoke.append(speaks_after(events, marks[step].end))
        else:
            missing.append(step)
    return PauseMetrics(takeovers=takeovers, spoke=spoke, missing=missing)


def turns(events: Sequence[Event], marks: Marks, scenario: Scenario) -> TurnMetrics:
    takeovers: list[bool] = []
    latencies: list[float] = []
    missing: list[str] = []
    for step in scenario.measure.turn_ends:
        if step not in marks:
            missing.append(step)
            continue
        end = marks[step].end
        takeovers.append(takeover_after(events, end))
        word = first_word(events, end)
        if word is not None and word.t < next_input(events, end) - EPSILON:
            latencies.append(round(word.t - end, 6))
    return TurnMetrics(takeovers=takeovers, latencies=latencies, missing=missing)
