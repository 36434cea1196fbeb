"""``microturn chat --resume LOG``: a session rebuilt from its log, then continued live.

Resuming feeds the old log's outside input (what the user typed, what tools and jobs reported) back
into a fresh session as ``microturn replay`` does, in virtual time, so the session reaches the state
the old one had: the same timeline in the model's context, the same timers and cues, the user's words
not yet submitted (also put back on the input line). Then the clock goes live and the chat goes on.
The new log, ``<id>.r1.jsonl`` (``.r2`` ... on later resumptions) beside the old one, starts with the
rebuilt conversation, so it is a complete record that replays on its own; the old files stay as
they are, and session time carries on from where the old log stopped.

Nothing typed is lost: input the old ingress journal holds but the old loop never recorded (typed in
the crash's last instant) is fed in after the rest. What a crash does lose is reported, in the log
and so to the agent: a background job or a tool call still running when the process died did not
survive it, so each gets a failure ("lost in the crash") the agent can tell the user about; the
lane does not start old jobs again.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import msgspec

from microturn._apps._console._transcript import Transcript
from microturn._apps._console._transport import SOURCE
from microturn._core._clock import CatchUpClock, Clock
from microturn._core._codec import decode_log, encode_event, split_torn_tail
from microturn._core._config import SessionConfig
from microturn._core._events import (
    EndSession,
    Event,
    InputRejected,
    JobFailed,
    JobRequested,
    JobResult,
    ModelChunk,
    Note,
    SessionEnded,
    SessionStarted,
    ToolCalled,
    ToolResult,
    UserErase,
    UserInput,
    UserSubmit,
    UserTranscript,
)
from microturn._core._floor import FloorState
from microturn._core._tools import Progress, Toolbox
from microturn._eval import ReplaySource
from microturn._models import ChatModel, ModelRequest, Prefilling, ToolCall
from microturn._session import RUNTIME_SOURCES, Session, ingress
from microturn.errors import CodecError, ConfigError, ModelError

__all__ = ["RESUME", "CatchUp", "HeldModel", "HeldTools", "Resumption", "load_resumption"]

RESUME = "resume"
"""The source of what resuming adds to the log: the note where the session went on, and what was lost."""

_RESUMED_ID = re.compile(r"\.r\d+$")


@dataclass(frozen=True, slots=True)
class Resumption:
    """A checked session log to continue, and where the continuation goes."""

    path: Path
    events: list[Event]
    """The old session log (a torn last line left out)."""
    leftovers: list[Event]
    """Input the old ingress journal took in that the old loop never recorded."""
    started: SessionStarted
    config: SessionConfig
    session_id: str
    """The new log's session id: the old one plus ``.rN``."""
    log_dir: Path
    """Where the new log is journalled."""
    torn: bool
    """The old log ended in a torn line (a crash mid-write), which was left out."""

    @property
    def ended(self) -> bool:
        return any(isinstance(event, SessionEnded) for event in self.events)

    @property
    def line(self) -> str:
        """What the user had typed on the console's input line and not yet submitted."""
        return _console(self._inputs)[1]

    def history(self) -> str:
        """The conversation as the console showed it before the crash."""
        return _console(self._inputs)[0]

    def lost(self, now: float) -> list[Event]:
        """A failure for each job and tool call the crash cut off: they never answered, and will not."""
        done = {event.job for event in self.events if isinstance(event, JobResult | JobFailed)}
        answered = {event.call for event in self.events if isinstance(event, ToolResult)}
        lost: list[Event] = []
        for event in self.events:
            if isinstance(event, JobRequested) and event.job not in done:
                reason = "lost: the session crashed while this job ran; ask again to run it"
                lost.append(JobFailed(job=event.job, reason=reason, t=now, source=RESUME))
            elif isinstance(event, ToolCalled) and event.call not in answered:
                output = "lost: the session crashed before this tool answered"
                lost.append(ToolResult(call=event.call, output=output, error=True, t=now, source=RESUME))
        return lost

    @property
    def _inputs(self) -> list[Event]:
        return [*self.events, *self.leftovers]


def load_resumption(path: Path, *, log_dir: Path | None = None) -> Resumption:
    """Read and check the log at ``path``; ``log_dir`` (default: the log's folder) gets the new log.

    Raises ConfigError, saying what is wrong, if ``path`` is missing, unreadable or not a session log.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"--resume: {path} does not exist; give the session log to continue") from None
    except OSError as exc:
        raise ConfigError(f"--resume: cannot read {path}: {exc.strerror}") from None
    try:
        events = list(decode_log(data))
    except CodecError as exc:
        raise ConfigError(f"--resume: {path} is not a session log: {exc}") from None
    if not events or not isinstance(events[0], SessionStarted):
        raise ConfigError(f"--resume: {path} is not a session log: it does not start with SessionStarted")
    started = events[0]
    config = SessionConfig.from_dict(started.config)
    ended = any(isinstance(event, SessionEnded) for event in events)
    journal = path.with_name(f"{ingress(started.session)}.jsonl")
    leftovers = [] if ended or path.name != f"{started.session}.jsonl" else _leftovers(events, journal)
    folder = log_dir if log_dir is not None else path.parent
    return Resumption(
        path=path,
        events=events,
        leftovers=leftovers,
        started=started,
        config=config,
        session_id=_next_id(started.session, folder),
        log_dir=folder,
        torn=bool(split_torn_tail(data)[1]),
    )


class CatchUp:
    """The old log's outside input, fed back as a replay does; once it is all in, the session goes live.

    Pass it to the Session as its ``replay`` source (recorded input keeps its recorded source). When
    the rebuilt log has caught up, it turns a :class:`CatchUpClock` live, adds what the crash lost and
    a note saying when the session resumed, and sets :attr:`caught_up`.
    """

    def __init__(self, resumption: Resumption, *, clock: Clock) -> None:
        self.resumption = resumption
        self._clock = clock
        # A recorded end is not fed back: the resumed session goes on instead of ending there.
        self._replay = ReplaySource(
            [event for event in resumption.events if not isinstance(event, EndSession)] + resumption.leftovers
        )
        self.caught_up = asyncio.Event()
        self.note = ""

    @property
    def name(self) -> str:
        return RESUME

    def attach(self, session: Session) -> None:
        self._replay.attach(session)

    def next_awake(self, state: FloorState) -> float | None:
        if self.caught_up.is_set():
            return None
        upcoming = self._replay.next_awake(state)
        return state.now if upcoming is None else upcoming  # all fed: go live at once

    def poll(self, now: float, state: FloorState) -> list[Event | bytes]:
        due: list[Event | bytes] = []
        for item in self._replay.poll(now, state):
            if isinstance(item, EndSession):  # the replay ends where the log stops; we go on
                continue
            due.append(item)
        if self._replay.next_awake(state) is None and not self.caught_up.is_set():
            due.extend(self._go_live(now))
        return due

    def _go_live(self, now: float) -> list[Event]:
        if isinstance(self._clock, CatchUpClock):
            self._clock.go_live()
        old = self.resumption
        stopped = old.started.wall + max(event.t for event in old.events)
        gap = max(0.0, self._clock.wall() - stopped)
        why = "it ended" if old.ended else "a crash"
        torn = "; the old log's last line, torn by the crash, was left out" if old.torn else ""
        self.note = f"session resumed after {why}, {gap:.0f} s later{torn}"
        self.caught_up.set()
        return [*old.lost(now), Note(text=self.note, t=now, source=RESUME)]


class HeldModel:
    """The chat's model, held back while the session catches up: the log has what it said then.

    A request the old session made is answered from the log; its stream here waits, and is stopped
    once the recorded answer is complete. A request still waiting when the session goes live was cut
    off by the crash: it fails, saying so, and the session reports it as any model failure. Requests
    made live go to the model.
    """

    def __init__(self, model: ChatModel, live: asyncio.Event) -> None:
        self.name = model.name
        self._model = model
        self._live = live

    @staticmethod
    def around(model: ChatModel, live: asyncio.Event) -> ChatModel:
        """``model`` held back until ``live`` is set, prefilling if it does: the rebuild must decide alike."""
        held = _HeldPrefillingModel(model, live) if isinstance(model, Prefilling) else HeldModel(model, live)
        return cast(ChatModel, held)  # ``name`` is the model's, set on the instance rather than the class

    async def stream(self, request: ModelRequest) -> AsyncIterator[str | ToolCall]:
        if not self._live.is_set():
            await self._live.wait()
            raise ModelError("the session crashed before the model finished this answer; ask again", transient=True)
        async for chunk in self._model.stream(request):
            yield chunk


class _HeldPrefillingModel(HeldModel):
    def __init__(self, model: ChatModel, live: asyncio.Event) -> None:
        assert isinstance(model, Prefilling)
        super().__init__(model, live)
        self._prefilling = model

    async def prefill(self, request: ModelRequest) -> None:
        if self._live.is_set():  # a replay never prefills: what the old prefills did is in the log
            await self._prefilling.prefill(request)


class HeldTools:
    """The tools, held back while the session catches up: the log has the results of the old calls."""

    def __init__(self, tools: Toolbox, live: asyncio.Event) -> None:
        self._tools = tools
        self._live = live

    async def call(self, tool: str, arguments: dict[str, Any], *, progress: Progress | None = None) -> str:
        if not self._live.is_set():
            await asyncio.Event().wait()  # an old call: its recorded result comes back; cancelled at the end
        return await self._tools.call(tool, arguments, progress=progress)


def _leftovers(events: list[Event], journal: Path) -> list[Event]:
    """Ingress input missing from the session log, in order: the loop never got to record it."""
    if not journal.exists():
        return []
    try:
        received = list(decode_log(journal.read_bytes()))
    except (OSError, CodecError):
        return []  # a damaged ingress journal: the session log alone is the record
    outside = [event for event in events if event.source not in RUNTIME_SOURCES]
    recorded = Counter(_key(event) for event in outside if not isinstance(event, ModelChunk))
    # The loop takes pieces of a model stream queued back to back in as one chunk: match streams by their text.
    streamed: dict[tuple[int, str], str] = {}
    for event in outside:
        if isinstance(event, ModelChunk):
            stream = (event.request, event.source)
            streamed[stream] = streamed.get(stream, "") + event.text
    # Input over a limit is recorded as its refusal, which starts with the start of its text.
    refused: dict[str, deque[str]] = {}
    for event in outside:
        if isinstance(event, InputRejected):
            refused.setdefault(event.source, deque()).append(event.excerpt)
    missing: list[Event] = []
    for event in received:
        if isinstance(event, ModelChunk):
            stream = (event.request, event.source)
            text = streamed.get(stream, "")
            if text.startswith(event.text):
                streamed[stream] = text[len(event.text) :]
                continue
        elif recorded[key := _key(event)] > 0:
            recorded[key] -= 1
            continue
        elif isinstance(event, UserInput | UserTranscript | Note) and _starts(refused.get(event.source), event.text):
            refused[event.source].popleft()
            continue
        # Fed in after the rest (at the old log's end at the earliest), so the rebuild reproduces the old log first.
        missing.append(msgspec.structs.replace(event, seq=-1, t=max(event.t, events[-1].t)))
    return missing


def _starts(excerpts: deque[str] | None, text: str) -> bool:
    """Does ``text`` start with the first of ``excerpts``?"""
    return excerpts is not None and len(excerpts) > 0 and text.startswith(excerpts[0])


def _key(event: Event) -> bytes:
    # Not the time: the loop stamps live input with the moment it handles it, not when it arrived.
    return encode_event(msgspec.structs.replace(event, seq=-1, t=0.0))


def _next_id(session: str, folder: Path) -> str:
    base = _RESUMED_ID.sub("", session)
    number = 1
    while (folder / f"{base}.r{number}.jsonl").exists():
        number += 1
    return f"{base}.r{number}"


def _console(events: list[Event]) -> tuple[str, str]:
    """What the console showed of ``events``, and what was left on its input line."""
    transcript = Transcript()
    line = ""
    for event in events:
        if isinstance(event, UserSubmit) and event.source == SOURCE:
            transcript.user(line)
            line = ""
        elif isinstance(event, UserInput) and event.source == SOURCE:
            line += event.text
        elif isinstance(event, UserErase) and event.source == SOURCE:
            line = line[: max(0, len(line) - event.count)]
        else:
            transcript.feed(event)
    return transcript.text, line
