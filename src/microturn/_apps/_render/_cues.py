"""The cues & timers lane: a cue listens from when it is set; a timer waits (a faint line) to its due time.

A timer due after the log ends is drawn to the end with its due time as a note, so one far-off
reminder does not stretch the whole axis.

Firings and cancellations land on the cue's or timer's own line, so everything about one of them
reads along one row. A firing whose setting is not in the log gets a mark of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from microturn._apps._render._items import Item, Lane, Point, Span, Tick, Track, plain
from microturn._apps._render._text import clean, seconds, shorten
from microturn._core._events import CueFired, CueSet, Event, TimerCancelled, TimerFired, TimerSet

__all__ = ["cue_lane"]

_SHOWN = 40  # characters of a cue's or timer's text in its visible label


@dataclass
class _Line:
    """A cue or a timer being built: its setting and what happened to it since."""

    setting: CueSet | TimerSet
    ticks: list[Tick] = field(default_factory=list)
    last: float = 0.0


def cue_lane(events: Iterable[Event], session_end: float) -> Lane:
    lines: list[_Line] = []
    cues: dict[str, _Line] = {}
    timers: dict[str, _Line] = {}
    loose: list[Item] = []
    for event in events:
        if isinstance(event, CueSet):
            cues[event.cue] = _Line(event, last=event.t)
            lines.append(cues[event.cue])
        elif isinstance(event, TimerSet):
            timers[event.timer] = _Line(event, last=event.t)
            lines.append(timers[event.timer])
        elif isinstance(event, CueFired):
            _attach(cues.get(event.cue), _cue_fired(event), loose)
        elif isinstance(event, TimerFired):
            _attach(timers.get(event.timer), _timer_fired(event), loose)
        elif isinstance(event, TimerCancelled):
            _attach(timers.get(event.timer), _timer_cancelled(event), loose)
    items: list[Item] = [_span(line, session_end) for line in lines]
    items.extend(loose)
    return Lane("cues & timers", (Track("cues", tuple(items)),))


def _attach(line: _Line | None, tick: Tick, loose: list[Item]) -> None:
    if line is None:
        loose.append(Point(tick.t, tick.shape, tick.css, tick.title + "\n(not set in this log)", tick.label))
    else:
        line.ticks.append(tick)
        line.last = max(line.last, tick.t)


def _span(line: _Line, session_end: float) -> Span:
    setting = line.setting
    if isinstance(setting, CueSet):
        verb = "stop the user" if setting.interrupt else "tell the user"
        watch = clean(setting.watch)
        title = f"{seconds(setting.t)}  cue {setting.cue} set: {verb} when they say {watch}"
        css = "cue interrupt" if setting.interrupt else "cue"
        return Span(
            setting.t,
            max(session_end, line.last),
            css,
            title,
            label=plain(f"cue: {shorten(watch, _SHOWN)}"),
            fit=False,
            thin=True,
            ticks=tuple(line.ticks),
        )
    text = clean(setting.text)
    repeat = f", every {setting.every:g} s" if setting.every is not None else ""
    title = f"{seconds(setting.t)}  timer {setting.timer} set for {seconds(setting.due)}{repeat}: {text}"
    label = plain(f"timer: {shorten(text, _SHOWN)}{repeat}")
    if setting.due > session_end:  # due after the log ends: say so rather than stretch the axis
        end = max(session_end, line.last)
        note = f"due at {seconds(setting.due)}"
        return Span(setting.t, end, "timer", title, label, fit=False, thin=True, ticks=tuple(line.ticks), note=note)
    due = Tick(setting.due, "ring", "timer-due", f"{seconds(setting.due)}  timer {setting.timer} due")
    end = max(setting.due, line.last)
    return Span(setting.t, end, "timer", title, label, fit=False, thin=True, ticks=(due, *line.ticks))


def _cue_fired(event: CueFired) -> Tick:
    matched = clean(event.matched)
    title = f"{seconds(event.t)}  cue {event.cue} fired on “{matched}”"
    return Tick(event.t, "dot", "cue-fired", title, label=f"“{shorten(matched, _SHOWN)}”")


def _timer_fired(event: TimerFired) -> Tick:
    title = f"{seconds(event.t)}  timer {event.timer} fired: {clean(event.text)}"
    return Tick(event.t, "diamond", "timer-fired", title)


def _timer_cancelled(event: TimerCancelled) -> Tick:
    return Tick(event.t, "cross", "timer-cancelled", f"{seconds(event.t)}  timer {event.timer} cancelled")
