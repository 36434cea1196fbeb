"""Weaving: how soon a background job's result is said, once, without talking over the user.

==================  =========================================================================================
weave delay         per ``weaves`` job: first word of the utterance delivering it (the effect of, else the
                    nearest start at or after, the first ResultWoven after its JobResult) minus the
                    JobResult; median. More ResultWoven after the result = delivered twice (an error)
weave overlap       seconds of that utterance's words overlapping user input; must be 0
==================  =========================================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from microturn._core._events import AgentSpeechStarted, Event, JobResult, ResultDropped, ResultWoven
from microturn._eval._format import Scenario
from microturn._eval._metrics._log import Marks, overlap, speech_after, user_activity, utterances

__all__ = ["WeaveMetrics", "weaves"]


@dataclass(frozen=True, slots=True)
class WeaveMetrics:
    delays: list[float] = field(default_factory=list)
    overlap: float = 0.0
    doubled: int = 0
    undelivered: int = 0
    dropped: list[str] = field(default_factory=list)
    """``job: reason`` of each ResultDropped for a job that should have been woven."""
    missing: list[str] = field(default_factory=list)


def weaves(events: Sequence[Event], marks: Marks, scenario: Scenario) -> WeaveMetrics:
    starts = [e for e in events if isinstance(e, AgentSpeechStarted)]
    spoken = utterances(events)
    activity = user_activity(events)
    claimed: set[int] = set()
    delays: list[float] = []
    dropped: list[str] = []
    missing: list[str] = []
    overlapping, doubled, undelivered = 0.0, 0, 0
    for job in scenario.measure.weaves:
        result = next((e for e in events if isinstance(e, JobResult) and e.job == job), None)
        if result is None:
            missing.append(job)
            continue
        dropped.extend(f"{job}: {e.reason}" for e in events if isinstance(e, ResultDropped) and e.job == job)
        woven = [e for e in events if isinstance(e, ResultWoven) and e.job == job and e.seq > result.seq]
        doubled += max(0, len(woven) - 1)
        start = speech_after(woven[0], starts, claimed) if woven else None
        words = spoken[start.utterance].words if start is not None else []
        if not words:
            undelivered += 1
            continue
        delays.append(round(words[0].t - result.t, 6))
        overlapping += overlap(words, activity)
    return WeaveMetrics(
        delays=delays,
        overlap=round(overlapping, 6),
        doubled=doubled,
        undelivered=undelivered,
        dropped=dropped,
        missing=missing,
    )
