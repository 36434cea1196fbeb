"""The headline numbers of pooled samples: means, medians, nearest-rank p90s, rates and counts."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from microturn._eval._metrics._measure import Metrics

__all__ = ["Summary", "summarise"]


@dataclass(frozen=True, slots=True)
class Summary:
    """The headline numbers of (merged) metrics; ``None`` where there was nothing to measure."""

    pause_takeover: float | None
    pause_any_speech: float | None
    pause_n: int
    turn_takeover: float | None
    turn_latency_median: float | None
    turn_latency_p90: float | None
    turn_n: int
    stop_latency_median: float | None
    stop_latency_p90: float | None
    stop_latency_max: float | None
    not_stopped: int
    interruption_takeover: float | None
    interruption_n: int
    backchannel_scenarios: int
    backchannels_per_second: float | None
    backchannels_overlapping: int
    cue_precision: float | None
    cue_recall: float | None
    cue_latency_median: float | None
    cue_n: int
    """Anchors plus false positives: how much there was to judge."""
    timer_error_mean: float | None
    timer_error_max: float | None
    timer_misses: int
    timer_n: int
    """Expected onsets plus extra ones."""
    weave_delay_median: float | None
    weave_overlap: float
    weave_doubled: int
    weave_undelivered: int
    weave_n: int
    missing_anchors: int


def summarise(metrics: Metrics) -> Summary:
    m = metrics
    cue = m.cue
    bc = m.backchannel
    return Summary(
        pause_takeover=_mean(m.pause.takeovers),
        pause_any_speech=_mean(m.pause.spoke),
        pause_n=len(m.pause.takeovers),
        turn_takeover=_mean(m.turn.takeovers),
        turn_latency_median=_median(m.turn.latencies),
        turn_latency_p90=_percentile(m.turn.latencies, 0.9),
        turn_n=len(m.turn.takeovers),
        stop_latency_median=_median(m.interruption.stop_latencies),
        stop_latency_p90=_percentile(m.interruption.stop_latencies, 0.9),
        stop_latency_max=max(m.interruption.stop_latencies, default=None),
        not_stopped=m.interruption.not_stopped,
        interruption_takeover=_mean(m.interruption.takeovers),
        interruption_n=len(m.interruption.takeovers),
        backchannel_scenarios=bc.scenarios,
        backchannels_per_second=_ratio(bc.count, bc.user_seconds),
        backchannels_overlapping=bc.overlapping,
        cue_precision=_ratio(cue.true_positives, cue.true_positives + cue.false_positives),
        cue_recall=_ratio(cue.true_positives, cue.true_positives + cue.false_negatives),
        cue_latency_median=_median(cue.latencies),
        cue_n=cue.true_positives + cue.false_positives + cue.false_negatives,
        timer_error_mean=_mean(m.timer.errors),
        timer_error_max=max(m.timer.errors, default=None),
        timer_misses=m.timer.misses,
        timer_n=len(m.timer.errors) + m.timer.misses + m.timer.extra,
        weave_delay_median=_median(m.weave.delays),
        weave_overlap=m.weave.overlap,
        weave_doubled=m.weave.doubled,
        weave_undelivered=m.weave.undelivered,
        weave_n=len(m.weave.delays) + m.weave.undelivered,
        missing_anchors=sum(
            len(family.missing) for family in (m.pause, m.turn, m.interruption, m.cue, m.timer, m.weave)
        ),
    )


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 6) if values else None


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 6) if values else None


def _percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest rank: the smallest value with at least ``fraction`` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 6) if whole > 0 else None
