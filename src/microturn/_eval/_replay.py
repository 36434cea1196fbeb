"""Replay: re-run a recorded session from its outside input, in virtual time, and compare the logs.

Outside input includes what the model streamed (``ModelChunk``/``ModelEnded``, with the times it came):
a replay never loads or calls a model, so it reproduces a live chat with any model, byte for byte. It
rebuilds only the policy, by the name the log recorded (``register_policy`` for one of your own).
"""

from __future__ import annotations

import asyncio
from typing import Any

from microturn._bus import open_bus
from microturn._core._clock import VirtualClock
from microturn._core._codec import decode_log, encode_log
from microturn._core._config import SessionConfig
from microturn._core._events import EndSession, Event, Overlap, SessionStarted, Silence
from microturn._core._floor import FloorState
from microturn._core._tools import Progress
from microturn._session import LOOP, RUNTIME_SOURCES, Session
from microturn._session._model_calls import Playback
from microturn.errors import MalformedEvent, ReplayDiverged, ReplayMismatch

__all__ = ["ReplaySource", "compare_logs", "replay_log"]

_EPSILON = 1e-9


class ReplaySource:
    """Feeds a log's outside input (everything not produced by the runtime) back where it came in.

    An input is handed over at its event time *and* once the replayed log has caught up with where
    it was recorded: when work of the runtime's own (a word the model streamed, a step of a job)
    and an outside input share a moment, only the log knows which came first.
    """

    _PATIENCE = 1000  # passes at one moment before a held input is released anyway (a diverging replay)

    def __init__(self, events: list[Event]) -> None:
        self._inputs: list[tuple[Event, int, int]] = []  # the input, where it may be handed over, its line
        for index, event in enumerate(events):
            if event.source in RUNTIME_SOURCES:
                continue
            position = index
            while position > 0 and _fact_of(events[position - 1], event):
                position -= 1  # facts the input completed (a silence it ended) were logged before it
            self._inputs.append((event, position, index))
        if not any(isinstance(event, EndSession) for event, _, _ in self._inputs):
            # A log cut short (a crash) has no end: end the replay where the log ends, so it terminates
            # and the comparison shows what is missing.
            last = events[-1].t if events else 0.0
            self._inputs.append((EndSession(reason="log ended", t=last, source=self.name), len(events), len(events)))
        self._next = 0
        self._session: Session | None = None
        self._held = 0

    @property
    def name(self) -> str:
        return "replay"

    def attach(self, session: Session) -> None:
        self._session = session

    def next_awake(self, state: FloorState) -> float | None:
        return self._inputs[self._next][0].t if self._next < len(self._inputs) else None

    def poll(self, now: float, state: FloorState) -> list[Event | bytes]:
        due: list[Event | bytes] = []
        handed = -2  # the line of the input handed over just before, in this pass
        while self._next < len(self._inputs):
            event, position, line = self._inputs[self._next]
            if event.t > now + _EPSILON:
                break
            # Inputs recorded one after the other, nothing of the runtime's between them, came in one pass (a
            # recogniser's words, a final transcript): they go together, or the policy would act between them.
            caught_up = self._session is None or self._session.log_length >= position or position <= handed + 1
            if not caught_up and self._held < self._PATIENCE:
                self._held += 1
                break
            self._held = 0
            due.append(event)
            handed = line
            self._next += 1
        return due


def _fact_of(previous: Event, event: Event) -> bool:
    return isinstance(previous, Silence | Overlap) and previous.source == LOOP and previous.t == event.t


class _RecordedTools:
    """Tools in a replay never answer: their recorded results come back from the log instead."""

    async def call(self, tool: str, arguments: dict[str, Any], *, progress: Progress | None = None) -> str:
        await asyncio.Event().wait()  # cancelled when the replayed session ends
        raise AssertionError("unreachable")


def replay_log(data: bytes, *, clock: VirtualClock | None = None) -> bytes:
    """Re-run the session recorded in ``data`` and return the log the replay wrote; on ``clock`` if given (one
    that starts at 0 with the log's wall time, as the default does), so a caller can read the replay's time."""
    events = list(decode_log(data))
    if not events or not isinstance(events[0], SessionStarted):
        raise MalformedEvent(
            "a session log must start with a SessionStarted event",
            excerpt=data[:120].decode(errors="replace"),
        )
    started = events[0]
    config = SessionConfig.from_dict(started.config)
    clock = clock if clock is not None else VirtualClock(wall_epoch=started.wall)

    async def main() -> bytes:
        bus = open_bus("memory")
        source = ReplaySource(events)
        session = Session(
            bus=bus,
            clock=clock,
            config=config,
            session_id=started.session,
            replay=source,  # its input keeps the sources the log recorded
            model=Playback(events),  # the model's output is in the log: no model is ever built
            tools=_RecordedTools(),
            tool_specs=started.tools,
        )
        source.attach(session)
        await session.run()
        log = encode_log(await bus.read(session.id))
        await bus.aclose()
        return log

    try:
        return clock.run(main())
    except* ReplayDiverged as group:
        raise group.exceptions[0] from None  # one clear refusal, not a task group's


def compare_logs(expected: bytes, actual: bytes) -> None:
    """Raise ReplayMismatch at the first line that differs."""
    if expected == actual:
        return
    old, new = expected.splitlines(), actual.splitlines()
    for number, (left, right) in enumerate(zip(old, new, strict=False), start=1):
        if left != right:
            raise ReplayMismatch(number, left.decode(errors="replace"), right.decode(errors="replace"))
    shorter = min(len(old), len(new))
    missing = "(log ended)"
    raise ReplayMismatch(
        shorter + 1,
        old[shorter].decode(errors="replace") if len(old) > shorter else missing,
        new[shorter].decode(errors="replace") if len(new) > shorter else missing,
    )
