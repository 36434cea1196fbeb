"""How the session's parts reach back into the loop that owns them: the callables it hands them.

The loop is the one writer of the log, owns the task group and sets the moment of each pass, so its
parts never record, start tasks or tell the time on their own: they are handed :class:`Hooks`,
bound to the loop, when the session is built.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from microturn._core._events import Event
from microturn._models import ModelRequest

__all__ = ["Hooks", "Inject", "Recorder", "Report", "RequestFor", "Spawn"]

Spawn = Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]]
"""Run a coroutine as a task of the session's task group: it cannot outlive the session."""
Recorder = Callable[[Event, Event | None], Awaitable[Event]]
"""Record what the agent does now, caused by an event (or by nothing); it returns the event as stored."""
Inject = Callable[[Event], Awaitable[Event]]
"""Hand the session outside input through its ingress (a replay feeds back the recorded input instead)."""
Report = Callable[[str, Exception], None]
"""A task of the session caught an exception of a component: the loop records it in its next pass."""


class RequestFor(Protocol):
    def __call__(
        self, user_text: str, *, instruction: str = "", facts: tuple[str, ...] = (), opening: str = ""
    ) -> ModelRequest:
        """A request to the model as of this moment: the transcript so far, to answer ``user_text``."""
        ...


@dataclass(frozen=True, slots=True)
class Hooks:
    """The loop's own services, for the parts it drives (speech, anticipation, action dispatch)."""

    emit: Recorder
    spawn: Spawn
    report: Report
    nudge: Callable[[], None]
    """Wake the loop for work of the session's own, to run at the moment that caused it."""
    moment: Callable[[], float]
    """The moment of the loop's current pass: everything it records is stamped with it."""
    number: Callable[[], int]
    """The next number of the session's one sequence (utterances, jobs and tool calls)."""
    request: RequestFor
