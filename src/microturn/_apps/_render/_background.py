"""The background lane: jobs from request to result (progress ticks, then weaving or dropping) and tool calls.

A job's span runs from JobRequested to its JobResult, CancelJob or ResultDropped; when the result is
woven or dropped later, a dotted tail leads on to that moment. A job still running when the log ends
is drawn open to the end.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from microturn._apps._render._items import Item, Lane, Span, Tick, Track, plain
from microturn._apps._render._text import clean, seconds, shorten
from microturn._core._events import (
    CancelJob,
    Event,
    JobProgress,
    JobRequested,
    JobResult,
    ResultDropped,
    ResultWoven,
    ToolCalled,
    ToolResult,
)

__all__ = ["background_lane"]

_SHOWN = 40  # characters of a result or an output in the note after a span


@dataclass
class _Job:
    job: str
    start: float
    task: str = ""
    end: float | None = None
    ended_by: str = ""
    ticks: list[Tick] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    note: str = ""
    css: str = "job"

    def close(self, t: float, how: str) -> None:
        if self.end is None:
            self.end = t
            self.ended_by = how


@dataclass
class _Call:
    called: ToolCalled
    result: ToolResult | None = None


def background_lane(events: Iterable[Event], session_end: float) -> Lane:
    jobs: dict[str, _Job] = {}
    calls: dict[str, _Call] = {}
    for event in events:
        if isinstance(event, ToolCalled):
            calls[event.call] = _Call(event)
        elif isinstance(event, ToolResult):
            call = calls.get(event.call)
            if call is None:
                calls[event.call] = _Call(ToolCalled(t=event.t, call=event.call, tool="?"), event)
            else:
                call.result = event
        elif isinstance(event, JobRequested | JobProgress | JobResult | CancelJob | ResultWoven | ResultDropped):
            job = jobs.get(event.job)
            if job is None:
                job = jobs[event.job] = _Job(event.job, start=event.t)
                if not isinstance(event, JobRequested):
                    job.css = "job orphan"
                    job.lines.append("(its request is not in this log)")
            _feed(job, event)
    job_items: list[Item] = [_job_span(job, session_end) for job in jobs.values()]
    tool_items: list[Item] = [_call_span(call, session_end) for call in calls.values()]
    return Lane("background", (Track("jobs", tuple(job_items)), Track("tools", tuple(tool_items))))


def _feed(job: _Job, event: Event) -> None:
    at = seconds(event.t)
    if isinstance(event, JobRequested):
        job.task = clean(event.task)
        deadline = f", deadline {seconds(event.deadline)}" if event.deadline is not None else ""
        job.lines.append(f"{at}  requested: {job.task} (priority {event.priority}{deadline})")
    elif isinstance(event, JobProgress):
        fraction = f" ({event.fraction:.0%})" if event.fraction is not None else ""
        text = f"{at}  progress: {clean(event.text)}{fraction}"
        job.ticks.append(Tick(event.t, "line", "job-progress", text))
        job.lines.append(text)
    elif isinstance(event, JobResult):
        text = f"{at}  result: {clean(event.text)}"
        job.ticks.append(Tick(event.t, "diamond", "job-result", text))
        job.lines.append(text)
        job.note = f"“{shorten(clean(event.text), _SHOWN)}”"
        job.close(event.t, "result")
    elif isinstance(event, CancelJob):
        text = f"{at}  cancelled"
        job.ticks.append(Tick(event.t, "cross", "job-cancelled", text))
        job.lines.append(text)
        job.close(event.t, "cancelled")
    elif isinstance(event, ResultWoven):
        text = f"{at}  woven into the conversation"
        job.ticks.append(Tick(event.t, "dot", "woven", text))
        job.lines.append(text)  # progress may be woven while the job runs: weaving ends nothing
    elif isinstance(event, ResultDropped):
        reason = clean(event.reason)
        text = f"{at}  result dropped: {reason}"
        job.ticks.append(Tick(event.t, "cross", "dropped", text))
        job.lines.append(text)
        job.note = f"dropped: {shorten(reason, _SHOWN)}"
        job.close(event.t, "dropped")


def _job_span(job: _Job, session_end: float) -> Span:
    css = job.css if job.end is not None else f"{job.css} open"
    end = job.end if job.end is not None else session_end
    head = f"{seconds(job.start)}–{seconds(end)}  background job {job.job}"
    head += f" ({job.ended_by})" if job.end is not None else " (still running when the log ends)"
    label = f"{job.job}: {job.task}" if job.task else job.job
    last = max((tick.t for tick in job.ticks), default=end)
    return Span(
        job.start,
        end,
        css,
        "\n".join([head, *job.lines]),
        label=plain(label),
        ticks=tuple(job.ticks),
        tail=last if last > end else None,
        note=job.note,
    )


def _call_span(call: _Call, session_end: float) -> Span:
    called = call.called
    arguments = json.dumps(called.arguments, sort_keys=True, ensure_ascii=False, default=str)
    head = f"{seconds(called.t)}  tool call {called.call}: {clean(called.tool)} {clean(arguments)}"
    if call.result is None:
        return Span(
            called.t,
            session_end,
            "tool open",
            head + "\n(no result in this log)",
            label=plain(clean(called.tool)),
        )
    result = call.result
    kind = "error" if result.error else "result"
    output = clean(result.output)
    tick = Tick(result.t, "diamond", f"tool-{kind}", f"{seconds(result.t)}  tool {kind}: {output}")
    return Span(
        called.t,
        result.t,
        "tool error" if result.error else "tool",
        f"{head}\n{seconds(result.t)}  {kind}: {output}",
        label=plain(clean(called.tool)),
        ticks=(tick,),
        note=("error: " if result.error else "→ ") + shorten(output, _SHOWN),
    )
