"""Background jobs: asked for, reporting progress, a result or a failure, cancelled; and whether a result
was woven into the conversation or dropped."""

from __future__ import annotations

from typing import ClassVar

from microturn._core._events._event import Event, Lane

__all__ = ["CancelJob", "JobFailed", "JobProgress", "JobRequested", "JobResult", "ResultDropped", "ResultWoven"]


class JobRequested(Event, frozen=True):
    """Background job ``job`` was asked for: ``task`` in words, with the ``priority`` it was given and, if it
    has one, the session time ``deadline`` by which it must be done (else it fails: out of time)."""

    job: str
    task: str
    priority: int = 0
    deadline: float | None = None


class JobProgress(Event, frozen=True):
    """Background job ``job`` says how it is going: ``text``, and how far along it is (``fraction``) if it knows."""

    job: str
    text: str
    fraction: float | None = None


class JobResult(Event, frozen=True):
    """Background job ``job`` is done; ``text`` is its result."""

    job: str
    text: str


class JobFailed(Event, frozen=True):
    """A background job gave up; ``reason`` is in plain words, for the user."""

    job: str
    reason: str


class CancelJob(Event, frozen=True):
    """Cancel background job ``job``. Control lane: it overtakes queued data."""

    lane: ClassVar[Lane] = Lane.CONTROL
    job: str


class ResultWoven(Event, frozen=True):
    """A background result (or progress) was delivered into the conversation."""

    job: str


class ResultDropped(Event, frozen=True):
    """A background result was not delivered; ``reason`` says why (stale, superseded, cancelled)."""

    job: str
    reason: str
