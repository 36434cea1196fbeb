"""Background jobs: results woven into the conversation when it suits the user — or dropped when stale.

The user delegates deep work ("find me a hotel in Porto"), asks how it is going, and revises or
cancels it in passing ("actually, make it Lisbon", "never mind"): the policy's :class:`Intent` reads
that from their words (the rules' phrases are in ``_decisions/_rules_intent.py``); which job it meant,
and what becomes of its result, is decided here.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from microturn._core._actions import Action, ClearTurn, Delegate, Record, Reply, Say
from microturn._core._events import (
    CancelJob,
    Event,
    JobFailed,
    JobProgress,
    JobRequested,
    JobResult,
    ResultDropped,
    ResultWoven,
    SpeechPurpose,
)
from microturn._core._floor import FloorState
from microturn._core._language import words
from microturn._core._speakable import speakable
from microturn._policies._full_duplex._decisions import IntentReading
from microturn._policies._full_duplex._feature import Feature
from microturn._policies._full_duplex._intents import AskProgress, DelegateTask, Request

__all__ = ["Weaver"]

URGENT = 10
"""Jobs requested with at least this priority interject: their result is said at once."""

_STOPWORDS = frozenset(
    "a an the to of in on at for with from by and or but is are was were be i me my you your it this that "
    "please can could would will find get look up check search some any".split()
)


@dataclass
class _Job:
    name: str
    task: str
    requested: float
    priority: int
    stale: str | None = None
    content: frozenset[str] = field(default_factory=frozenset)
    progress: str = ""
    steps: int = 0
    finished: bool = False


class Weaver(Feature):
    """The jobs in the background: delegated, reported on, judged stale, and their results said at a pause."""

    follows = (JobRequested, CancelJob, JobResult, JobProgress, JobFailed)

    def __init__(self, *, pause: float, summary_words: int) -> None:
        self._pause = pause
        self._summary_words = summary_words
        self._jobs: dict[str, _Job] = {}
        self._ready: deque[tuple[_Job, str]] = deque()
        self._done: set[str] = set()  # delivered or dropped: never again

    def react(self, state: FloorState, event: Event) -> list[Action]:
        if isinstance(event, JobRequested | CancelJob):
            self.track(event)
        elif isinstance(event, JobResult):
            return self.arrived(event, state)
        elif isinstance(event, JobProgress):
            self.progressed(event)
        elif isinstance(event, JobFailed):
            self.failed(event)
        return []

    def handle(self, state: FloorState, intent: Request) -> list[Action] | None:
        """Answer "how is it going?" from the jobs' progress; delegate a task to the background."""
        if isinstance(intent, AskProgress):
            status = self.status()
            return [ClearTurn(), Say(status)] if status is not None else [Reply()]
        if isinstance(intent, DelegateTask):
            return [Delegate(task=intent.task), ClearTurn(), Say("On it. I'll tell you when I have something.")]
        return None

    def moments(self, state: FloorState) -> list[float]:
        return [max(state.now, state.user_active_until + self._pause)] if self._ready else []

    def track(self, event: JobRequested | CancelJob) -> None:
        if isinstance(event, JobRequested):
            content = frozenset(token for token in words(event.task) if token.isalpha()) - _STOPWORDS
            self._jobs[event.job] = _Job(event.job, event.task, event.t, event.priority, content=content)
        elif event.job in self._jobs and self._jobs[event.job].stale is None:
            self._jobs[event.job].stale = "cancelled"

    @property
    def tasks(self) -> tuple[str, ...]:
        """The tasks of the jobs still running or waiting to be said, oldest first."""
        return tuple(job.task for job in self._jobs.values() if job.name not in self._done)

    @property
    def watching(self) -> bool:
        """Some job is still running or waiting to be said: a turn may cancel or revise it."""
        return bool(self.tasks)

    def turn_ended(self, reading: IntentReading, text: str, started: float) -> list[Action]:
        """Change the open jobs requested before this turn as the user's words were read (its ``job`` slot:
        cancel, topic or revise): the one whose task the reader read the change to be about (``target``), else the
        jobs the words name, else the latest one or all of them (``jobs``)."""
        change = reading.slots.get("job")
        if change is None or reading.negated:
            return []  # nothing said about the jobs, or "don't cancel the search"
        open_jobs = [job for job in self._jobs.values() if job.requested < started and job.name not in self._done]
        if not open_jobs:
            return []
        mentioned = frozenset(words(text))
        named = [job for job in open_jobs if job.content & mentioned]
        aimed = [job for job in open_jobs if job.task == reading.slots.get("target")][-1:]
        targets = aimed or named or (open_jobs if reading.slots.get("jobs") == "all" else [open_jobs[-1]])
        actions: list[Action] = []
        for job in targets:
            actions.append(Record(CancelJob(job=job.name)))  # stop the work too, not just its result
            if change == "cancel":
                job.stale = "the user cancelled the request"
            elif change == "topic":
                job.stale = "the user changed the topic"
            else:
                job.stale = f"the user revised the request: {text.strip()}"
                actions.append(
                    Delegate(task=f"{job.task} (revised by the user: {text.strip()})", priority=job.priority)
                )
        return actions

    def arrived(self, result: JobResult, state: FloorState) -> list[Action]:
        job = self._jobs.get(result.job) or _Job(result.job, result.job, result.t, 0)
        if job.name in self._done:
            return [Record(ResultDropped(job=job.name, reason="already delivered"))]
        if job.stale is not None:
            self._done.add(job.name)
            return [Record(ResultDropped(job=job.name, reason=job.stale))]
        job.finished = True
        # Said in words (no timestamps or tool syntax read aloud) and short; the whole text stays in the result.
        self._ready.append((job, f"About {job.task}: {self._summary(speakable(result.text))}"))
        if job.priority >= URGENT:
            return self._say_next(urgent=True)
        return []

    def progressed(self, event: JobProgress) -> None:
        job = self._jobs.get(event.job)
        if job is not None:
            job.progress = event.text
            job.steps += 1

    def failed(self, event: JobFailed) -> None:
        """A job gave up: the user hears so, in plain words, at the next natural moment."""
        job = self._jobs.get(event.job) or _Job(event.job, event.job, event.t, 0)
        job.finished = True
        if job.name not in self._done and job.stale is None:
            self._ready.append((job, f"Sorry, I couldn't {job.task}: {event.reason}."))

    def status(self) -> str | None:
        """How the running jobs are going, from their progress, for "how is it going?"."""
        running = [job for job in self._jobs.values() if not job.finished and job.stale is None]
        if not running:
            return None
        parts = [
            f"{job.task}: {job.progress} ({job.steps} step{'s' * (job.steps != 1)} so far)"
            if job.progress
            else f"{job.task}: just started"
            for job in running
        ]
        return "Still on it. " + "; ".join(parts) + "."

    def deliver(self, state: FloorState) -> list[Action]:
        """Say the next ready result if this is a natural moment: nobody talking, a pause after the user."""
        if not self._ready or state.agent_speaking or state.user_active:
            return []
        if state.last_user_input is not None and state.user_silent_for + 1e-9 < self._pause:
            return []
        return self._say_next()

    def _say_next(self, *, urgent: bool = False) -> list[Action]:
        job, text = self._ready.popleft()
        self._done.add(job.name)
        if job.stale is not None:  # it went stale while it waited for a pause
            return [Record(ResultDropped(job=job.name, reason=job.stale))]
        # An urgent result interjects: said over the user if need be, and not stopped by them.
        purpose = SpeechPurpose.INTERJECTION if urgent else SpeechPurpose.ANNOUNCE
        return [Record(ResultWoven(job=job.name)), Say(text, purpose)]

    def _summary(self, text: str) -> str:
        """Whole sentences up to the word budget (the first one, if even it is longer, cut short)."""
        sentences = re.findall(r"[^.!?]+[.!?]*", text.strip())
        kept: list[str] = []
        count = 0
        for sentence in sentences:
            n = len(sentence.split())
            if kept and count + n > self._summary_words:
                break
            kept.append(sentence.strip())
            count += n
        summary = " ".join(kept)
        tokens = summary.split()
        if len(tokens) > self._summary_words:
            summary = " ".join(tokens[: self._summary_words]) + " …"
        return summary
