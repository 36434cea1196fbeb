"""Interactivity metrics over a session log, aligned with Full-Duplex-Bench v1 (docs/reference-points.md).

Times are session seconds. The text path speaks words at a fixed rate, so every AgentWord has a
``duration``; a user input lasts from ``t`` to ``t + duration`` (a pasted chunk lasts 0). An agent word
counts in a window ``[start, end)`` when it starts inside it. Anchors come from the scenario's ``measure:``
block and name script steps: a step's *end* is when its input ended, its *onset* its first input.

==================  =========================================================================================
take-over           in a window, the agent's words (backchannels excluded) last >= 1 s in all, or are > 3
backchannel         an utterance of purpose BACKCHANNEL, or of 1-2 words lasting < 1 s that was not cut off
                    (interrupted or stopped: then it was a reply cut short); never part of a take-over
next input          the first UserInput after a moment (``t >`` it); the session end if there is none
pause TOR           per ``pauses`` step: take-over in [end, next input) (0/1); mean. Lower is better
turn TOR            per ``turn_ends`` step: take-over in [end, next input) (0/1); mean. Higher is better
turn latency        first AgentWord in that window minus the step end; median and p90 (nearest rank)
stop latency        per ``interruptions`` step whose onset found the agent speaking: the AgentSpeechEnded
                    (interrupted/stopped) of the utterance active then, minus the onset; median, p90, max.
                    If that utterance completed anyway it counts as *not stopped*
interruption TOR    take-over in [step end, next input): the agent answered the interruption; mean
backchannels/s      scenarios with ``backchannels: true``: backchannel utterances / seconds of user input;
                    backchannels overlapping user input are counted too (should be 0)
cue P / R           anchor = the first input of ``step`` containing ``word``; a CueFired in
                    [anchor, anchor + 2 s] is a true positive (each matches one anchor, earliest first);
                    other CueFired are false positives, unmatched anchors false negatives
cue latency         first AgentWord at or after the matched CueFired minus the anchor; median
timed onset error   expected: end of step ``after`` + ``seconds`` + k * ``every`` (k < ``count``); actual:
                    the first word of the utterance each TimerFired started (its effect, else the nearest
                    start at or after it); nearest pairs one to one; |actual - expected| mean, max;
                    expected onsets left unpaired are misses
weave delay         per ``weaves`` job: first word of the utterance delivering it (the effect of, else the
                    nearest start at or after, the first ResultWoven after its JobResult) minus the
                    JobResult; median. More ResultWoven after the result = delivered twice (an error)
weave overlap       seconds of that utterance's words overlapping user input; must be 0
==================  =========================================================================================

Each family is a small dataclass of raw samples, so runs pool by :func:`merge` before
:func:`summarise` computes the headline numbers. Anchors whose step never ran are listed as missing.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    CueFired,
    EndReason,
    Event,
    JobResult,
    ResultDropped,
    ResultWoven,
    SessionEnded,
    SpeechPurpose,
    TimerFired,
    UserInput,
)
from microturn._eval._format import Scenario
from microturn._eval._script import Mark

__all__ = [
    "BackchannelMetrics",
    "CueMetrics",
    "InterruptionMetrics",
    "Metrics",
    "PauseMetrics",
    "Summary",
    "TimerMetrics",
    "TurnMetrics",
    "Utterance",
    "WeaveMetrics",
    "backchannels",
    "cues",
    "interruptions",
    "measure",
    "merge",
    "pauses",
    "summarise",
    "takes_over",
    "timers",
    "turns",
    "utterances",
    "weaves",
]

TAKE_OVER_SECONDS = 1.0
TAKE_OVER_WORDS = 3
BACKCHANNEL_WORDS = 2
CUE_WINDOW = 2.0
_EPSILON = 1e-9

Marks = Mapping[str, Mark]


# --- samples, one dataclass per family ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PauseMetrics:
    takeovers: list[bool] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TurnMetrics:
    takeovers: list[bool] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class InterruptionMetrics:
    stop_latencies: list[float] = field(default_factory=list)
    not_stopped: int = 0
    takeovers: list[bool] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BackchannelMetrics:
    scenarios: int = 0
    count: int = 0
    user_seconds: float = 0.0
    overlapping: int = 0


@dataclass(frozen=True, slots=True)
class CueMetrics:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    latencies: list[float] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TimerMetrics:
    errors: list[float] = field(default_factory=list)
    misses: int = 0
    extra: int = 0
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class WeaveMetrics:
    delays: list[float] = field(default_factory=list)
    overlap: float = 0.0
    doubled: int = 0
    undelivered: int = 0
    dropped: list[str] = field(default_factory=list)
    """``job: reason`` of each ResultDropped for a job that should have been woven."""
    missing: list[str] = field(default_factory=list)


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


# --- what the agent said ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Utterance:
    started: AgentSpeechStarted | None = None
    words: list[AgentWord] = field(default_factory=list)
    ended: AgentSpeechEnded | None = None

    @property
    def backchannel(self) -> bool:
        if self.started is not None and self.started.purpose is SpeechPurpose.BACKCHANNEL:
            return True
        cut_short = self.ended is not None and self.ended.reason is not EndReason.COMPLETED
        short = 0 < len(self.words) <= BACKCHANNEL_WORDS and _seconds(self.words) < TAKE_OVER_SECONDS
        return short and not cut_short  # a reply the user cut off after two words is still a reply


def utterances(events: Iterable[Event]) -> dict[int, Utterance]:
    found: dict[int, Utterance] = {}
    for event in events:
        if isinstance(event, AgentSpeechStarted):
            found.setdefault(event.utterance, Utterance()).started = event
        elif isinstance(event, AgentWord):
            found.setdefault(event.utterance, Utterance()).words.append(event)
        elif isinstance(event, AgentSpeechEnded):
            found.setdefault(event.utterance, Utterance()).ended = event
    return found


def takes_over(words: Sequence[AgentWord]) -> bool:
    return len(words) > TAKE_OVER_WORDS or _seconds(words) >= TAKE_OVER_SECONDS


def _seconds(words: Iterable[AgentWord]) -> float:
    return round(sum(word.duration for word in words), 6)


def _takeover_after(events: Sequence[Event], start: float) -> bool:
    """Whether the agent takes over between ``start`` and the user's next input."""
    end = _next_input(events, start)
    words = [
        word
        for utterance in utterances(events).values()
        if not utterance.backchannel
        for word in utterance.words
        if start - _EPSILON <= word.t < end - _EPSILON
    ]
    return takes_over(words)


def _next_input(events: Sequence[Event], after: float) -> float:
    later = (e.t for e in events if isinstance(e, UserInput) and e.t > after + _EPSILON)
    return next(later, _session_end(events))


def _session_end(events: Sequence[Event]) -> float:
    ended = next((e.t for e in events if isinstance(e, SessionEnded)), None)
    return ended if ended is not None else (events[-1].t if events else 0.0)


def _first_word(events: Sequence[Event], at: float) -> AgentWord | None:
    return next((e for e in events if isinstance(e, AgentWord) and e.t >= at - _EPSILON), None)


def _user_activity(events: Sequence[Event]) -> list[tuple[float, float]]:
    """The user's input intervals, merged where they touch."""
    merged: list[tuple[float, float]] = []
    spans = sorted((e.t, e.t + e.duration) for e in events if isinstance(e, UserInput) and e.duration > 0)
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _overlap(words: Iterable[AgentWord], activity: Sequence[tuple[float, float]]) -> float:
    total = 0.0
    for word in words:
        for start, end in activity:
            total += max(0.0, min(end, word.t + word.duration) - max(start, word.t))
    return round(total, 6)


def _speech_after(trigger: Event, starts: Sequence[AgentSpeechStarted], claimed: set[int]) -> AgentSpeechStarted | None:
    """The utterance ``trigger`` started: its effect (``cause``), else the nearest start at or after it."""
    free = [s for s in starts if s.utterance not in claimed]
    caused = [s for s in free if s.cause == trigger.seq]
    later = [s for s in free if s.t >= trigger.t - _EPSILON]
    chosen = caused[0] if caused else min(later, key=lambda s: (s.t, s.seq), default=None)
    if chosen is not None:
        claimed.add(chosen.utterance)
    return chosen


# --- the families ---------------------------------------------------------------------------------------


def pauses(events: Sequence[Event], marks: Marks, scenario: Scenario) -> PauseMetrics:
    takeovers: list[bool] = []
    missing: list[str] = []
    for step in scenario.measure.pauses:
        if step in marks:
            takeovers.append(_takeover_after(events, marks[step].end))
        else:
            missing.append(step)
    return PauseMetrics(takeovers=takeovers, missing=missing)


def turns(events: Sequence[Event], marks: Marks, scenario: Scenario) -> TurnMetrics:
    takeovers: list[bool] = []
    latencies: list[float] = []
    missing: list[str] = []
    for step in scenario.measure.turn_ends:
        if step not in marks:
            missing.append(step)
            continue
        end = marks[step].end
        takeovers.append(_takeover_after(events, end))
        word = _first_word(events, end)
        if word is not None and word.t < _next_input(events, end) - _EPSILON:
            latencies.append(round(word.t - end, 6))
    return TurnMetrics(takeovers=takeovers, latencies=latencies, missing=missing)


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
        if active is not None:
            if active.ended is not None and active.ended.reason is not EndReason.COMPLETED:
                stop_latencies.append(round(active.ended.t - onset.t, 6))
            else:
                not_stopped += 1
        takeovers.append(_takeover_after(events, mark.end))
    return InterruptionMetrics(
        stop_latencies=stop_latencies, not_stopped=not_stopped, takeovers=takeovers, missing=missing
    )


def _onset(events: Sequence[Event], mark: Mark) -> UserInput | None:
    """The step's first input as it reached the session."""
    if not mark.inputs:
        return None
    first = mark.inputs[0][0]
    return next((e for e in events if isinstance(e, UserInput) and e.t >= first - _EPSILON), None)


def _active(utterance: Utterance, seq: int) -> bool:
    """Whether the agent was saying ``utterance`` when the event ``seq`` arrived."""
    started = utterance.started is not None and utterance.started.seq < seq
    return started and (utterance.ended is None or utterance.ended.seq > seq)


def backchannels(events: Sequence[Event], marks: Marks, scenario: Scenario) -> BackchannelMetrics:
    if not scenario.measure.backchannels:
        return BackchannelMetrics()
    activity = _user_activity(events)
    found = [u for u in utterances(events).values() if u.backchannel and u.words]
    return BackchannelMetrics(
        scenarios=1,
        count=len(found),
        user_seconds=round(sum(e.duration for e in events if isinstance(e, UserInput)), 6),
        overlapping=sum(_overlap(u.words, activity) > 0 for u in found),
    )


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
            (f for f in fired if f.seq not in matched and anchor - _EPSILON <= f.t <= anchor + CUE_WINDOW + _EPSILON),
            None,
        )
        if match is None:
            continue
        matched.add(match.seq)
        word = _first_word(events, match.t)
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
        start = _speech_after(fired, starts, claimed)
        if start is not None and spoken[start.utterance].words:
            onsets.append(spoken[start.utterance].words[0].t)
    return onsets


def weaves(events: Sequence[Event], marks: Marks, scenario: Scenario) -> WeaveMetrics:
    starts = [e for e in events if isinstance(e, AgentSpeechStarted)]
    spoken = utterances(events)
    activity = _user_activity(events)
    claimed: set[int] = set()
    delays: list[float] = []
    dropped: list[str] = []
    missing: list[str] = []
    overlap, doubled, undelivered = 0.0, 0, 0
    for job in scenario.measure.weaves:
        result = next((e for e in events if isinstance(e, JobResult) and e.job == job), None)
        if result is None:
            missing.append(job)
            continue
        dropped.extend(f"{job}: {e.reason}" for e in events if isinstance(e, ResultDropped) and e.job == job)
        woven = [e for e in events if isinstance(e, ResultWoven) and e.job == job and e.seq > result.seq]
        doubled += max(0, len(woven) - 1)
        start = _speech_after(woven[0], starts, claimed) if woven else None
        words = spoken[start.utterance].words if start is not None else []
        if not words:
            undelivered += 1
            continue
        delays.append(round(words[0].t - result.t, 6))
        overlap += _overlap(words, activity)
    return WeaveMetrics(
        delays=delays,
        overlap=round(overlap, 6),
        doubled=doubled,
        undelivered=undelivered,
        dropped=dropped,
        missing=missing,
    )


# --- pooling and headline numbers ------------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class Summary:
    """The headline numbers of (merged) metrics; ``None`` where there was nothing to measure."""

    pause_takeover: float | None
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
