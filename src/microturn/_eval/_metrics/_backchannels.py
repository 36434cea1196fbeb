"""Backchannels: how often the agent says "mm-hm" while the user talks, and whether it talks over them.

==================  =========================================================================================
backchannels/s      scenarios with ``backchannels: true``: backchannel utterances / seconds of user input;
                    backchannels overlapping user input are counted too (should be 0)
==================  =========================================================================================

What counts as a backchannel is defined in ``_log``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from microturn._core._events import Event, UserInput
from microturn._eval._format import Scenario
from microturn._eval._metrics._log import Marks, overlap, user_activity, utterances

__all__ = ["BackchannelMetrics", "backchannels"]


@dataclass(frozen=True, slots=True)
class BackchannelMetrics:
    scenarios: int = 0
    count: int = 0
    user_seconds: float = 0.0
    overlapping: int = 0


def backchannels(events: Sequence[Event], marks: Marks, scenario: Scenario) -> BackchannelMetrics:
    if not scenario.measure.backchannels:
        return BackchannelMetrics()
    activity = user_activity(events)
    found = [u for u in utterances(events).values() if u.backchannel and u.words]
    return BackchannelMetrics(
        scenarios=1,
        count=len(found),
        user_seconds=round(sum(e.duration for e in events if isinstance(e, UserInput)), 6),
        overlapping=sum(overlap(u.words, activity) > 0 for u in found),
    )
