"""Evaluates a scenario's expectations against the log of its run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from microturn._core._events import AgentSpeechEnded, AgentSpeechHeld, AgentSpeechStarted, AgentWord, EndReason, Event
from microturn._core._floor import FloorTracker
from microturn._core._timeline import Timeline
from microturn._eval._format import Check, Ref
from microturn._eval._metrics._log import speech_onset, stopped_at
from microturn._eval._script import Mark

__all__ = ["CheckResult", "RunRecord", "evaluate"]


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: str
    passed: bool
    detail: str


@dataclass(frozen=True, slots=True)
class RunRecord:
    """Everything a check may look at."""

    events: list[Event]
    log: bytes
    marks: dict[str, Mark]
    silence_min: float
    replay: Callable[[bytes], bytes]


def evaluate(check: Check, run: RunRecord) -> CheckResult:
    unfired = [
        ref for ref in (check.start, check.end, check.after, check.at) if isinstance(ref, str) and ref not in run.marks
    ]
    if unfired:
        return CheckResult(check=_describe(check), passed=False, detail=f"step {unfired[0]!r} never ran")
    ok, detail = _CHECKS[check.check](check, run)
    return CheckResult(check=_describe(check), passed=ok, detail=detail)


def _describe(check: Check) -> str:
    args = {
        name: getattr(check, name)
        for name in (
            "start",
            "end",
            "after",
            "within",
            "text",
            "min",
            "max",
            "at",
            "holder",
            "kind",
            "reason",
            "purpose",
            "contains",
        )
        if getattr(check, name) is not None
    }
    return check.check + ("(" + ", ".join(f"{k}={v!r}" for k, v in args.items()) + ")" if args else "")


def _time(ref: Ref | None, run: RunRecord) -> float:
    if ref is None:
        return 0.0
    return run.marks[ref].end if isinstance(ref, str) else float(ref)


def _words(run: RunRecord) -> list[AgentWord]:
    return [event for event in run.events if isinstance(event, AgentWord)]


def _silent(check: Check, run: RunRecord) -> tuple[bool, str]:
    start, end = _time(check.start, run), _time(check.end, run)
    spoken = [word for word in _words(run) if start <= word.t < end]
    if spoken:
        return False, f"agent said {spoken[0].word!r} at {spoken[0].t:.2f} s"
    return True, f"no agent output in [{start:.2f}, {end:.2f}) s"


def _speaks(check: Check, run: RunRecord) -> tuple[bool, str]:
    after, within = _time(check.after, run), check.within or 0.0
    first = next((word for word in _words(run) if word.t >= after), None)
    if first is None:
        return False, f"agent never spoke after {after:.2f} s"
    latency = first.t - after
    return latency <= within + 1e-9, f"first word {first.word!r} {latency * 1000:.0f} ms after {after:.2f} s"


def _says(check: Check, run: RunRecord, *, negate: bool = False) -> tuple[bool, str]:
    after = _time(check.after, run)
    said = " ".join(word.word for word in _words(run) if word.t >= after)
    found = (check.text or "").lower() in said.lower()
    shown = said if len(said) < 160 else said[:157] + "..."
    return found != negate, f"agent said: {shown!r}"


def _stop_latency(check: Check, run: RunRecord) -> tuple[bool, str]:
    """Each cut-off utterance went quiet within ``max`` of the onset of the user's speech that cut it (held
    and never released counts from the hold), and said no word after the input that stopped it."""
    by_seq = {event.seq: event for event in run.events}
    cuts = [e for e in run.events if isinstance(e, AgentSpeechEnded) and e.reason is EndReason.INTERRUPTED]
    need = int(check.min) if check.min is not None else 1
    if len(cuts) < need:
        return False, f"{len(cuts)} interruption(s), expected at least {need}"
    worst = 0.0
    for cut in cuts:
        cause = by_seq.get(cut.cause if cut.cause is not None else _hold_cause(run.events, cut.utterance))
        if cause is None:
            return False, f"interruption at {cut.t:.2f} s has no cause event"
        late_words = [w for w in _words(run) if w.utterance == cut.utterance and w.seq > cause.seq]
        if late_words:
            return False, f"agent said {late_words[0].word!r} after the user cut in at {cause.t:.2f} s"
        quiet = stopped_at(run.events, cut.utterance)
        started = next(e.t for e in run.events if isinstance(e, AgentSpeechStarted) and e.utterance == cut.utterance)
        worst = max(worst, (cut.t if quiet is None else quiet) - speech_onset(run.events, cause, since=started))
    limit = check.max or 0.0
    return worst <= limit + 1e-9, f"{len(cuts)} interruption(s), worst stop latency {worst * 1000:.0f} ms from onset"


def _hold_cause(events: Sequence[Event], utterance: int) -> int:
    """The input that held ``utterance`` (a stop decided once the held user's words were all in has no cause of
    its own: the hold's is the user's cut-in); -1 when it was not held."""
    held = next((e for e in events if isinstance(e, AgentSpeechHeld) and e.utterance == utterance), None)
    return held.cause if held is not None and held.cause is not None else -1


def _floor(check: Check, run: RunRecord) -> tuple[bool, str]:
    at = _time(check.at, run)
    tracker = FloorTracker(silence_min=run.silence_min)
    for event in run.events:
        if event.t > at:
            break
        tracker.observe(event)
    tracker.advance(at)
    holder = tracker.state.floor.value
    return holder == check.holder, f"floor at {at:.2f} s: {holder}"


def _count(check: Check, run: RunRecord) -> tuple[bool, str]:
    matching = [
        event
        for event in run.events
        if type(event).__name__ == check.kind
        and (check.reason is None or _reason(event) == check.reason)
        and (check.purpose is None or _value(getattr(event, "purpose", None)) == check.purpose)
    ]
    low = check.min if check.min is not None else (1 if check.max is None else 0)
    high = check.max if check.max is not None else float("inf")
    return low <= len(matching) <= high, f"{len(matching)} {check.kind} event(s)"


def _value(field: object) -> object:
    return getattr(field, "value", field)


def _reason(event: Event) -> object:
    return _value(getattr(event, "reason", None))


def _timeline(check: Check, run: RunRecord) -> tuple[bool, str]:
    timeline = Timeline()
    for event in run.events:
        timeline.feed(event)
    found = (check.contains or "") in timeline.text
    return found, "found in the timeline" if found else f"not in the timeline:\n{timeline.text}"


def _replay(check: Check, run: RunRecord) -> tuple[bool, str]:
    replayed = run.replay(run.log)
    if replayed == run.log:
        return True, f"replay identical ({len(run.log)} bytes)"
    return False, "replay differs from the log"


_CHECKS: dict[str, Callable[[Check, RunRecord], tuple[bool, str]]] = {
    "silent": _silent,
    "speaks": _speaks,
    "says": _says,
    "not_says": lambda check, run: _says(check, run, negate=True),
    "stop_latency": _stop_latency,
    "floor": _floor,
    "count": _count,
    "timeline": _timeline,
    "replay": _replay,
}
