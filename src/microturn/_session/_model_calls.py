"""The session's model calls, recorded as outside input: the log keeps what the model said, so a replay never asks.

A model is outside the runtime, like a tool: asked the same thing twice it may answer otherwise (a
server that samples, another llama.cpp build) and at another speed (the compute time a local model
is charged on the session clock). So its output never goes straight into speech. Each request gets
a number, in the order the loop asks (a replay asks in the same order); a pump publishes what the
model streams to the ingress as ModelChunk events and its end as ModelEnded, and the loop hands each
to the stream waiting for it in the pass that records it. The chunks' event times are when the model
delivered them, compute time included. A replay plays the same events back from the log instead,
through a :class:`Playback` that stands in for the model and is never called.

The model's work ahead of a reply (a prefill, a reading of the end of the user's turn) streams nothing:
what it has to record (a failure, a TurnEndSignal) goes through the same channel, as outside input; a reading
under the kind the model says it gives (``end_of_turn_source``: its own, ``MODEL``, or a server's), so the
policy knows which it weighs.
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from microturn._core._events import (
    ComponentFailed,
    Event,
    ModelAsked,
    ModelChunk,
    ModelEnded,
    ModelReading,
    SessionStarted,
    TurnEndSignal,
)
from microturn._core._failures import plain
from microturn._models import ChatModel, EndOfTurnReading, ModelRequest, Prefilling, ToolCall, end_of_turn_source
from microturn._session._wiring import Spawn
from microturn.errors import AdapterError, ModelError, ReplayDiverged

__all__ = ["MODEL", "Inject", "ModelCalls", "Playback"]

MODEL = "model"  # the source of what the session's model streamed, published back through the ingress
Inject = Callable[[Event, str], Awaitable[object]]
"""Publishes an event of the model's back through the ingress, under a source (``MODEL``, or a reading's kind)."""


class Playback:
    """The model of a recorded session, played back from its log: it never loads or calls a model.

    The session keeps the model's name as the log recorded it, and thinks ahead (prefills and speculates)
    as the recorded one did; it may ask as many requests as the log recorded, and no more.
    """

    def __init__(self, events: Sequence[Event]) -> None:
        started = events[0] if events and isinstance(events[0], SessionStarted) else None
        self.prefills = started is not None and started.prefills
        self.recorded = sum(isinstance(event, ModelAsked) for event in events)


class ModelCalls:
    """Numbers the session's model requests, runs each as a recorded stream, and routes recorded output back."""

    def __init__(
        self,
        model: ChatModel | Playback,
        *,
        inject: Inject,
        spawn: Spawn,
    ) -> None:
        self.model = model
        self.prefills = model.prefills if isinstance(model, Playback) else isinstance(model, Prefilling)
        """Does the model take in the transcript ahead of replies (so the session prefills and speculates)?

        Settled once: the loop asks at every decision, and checking a model against a Protocol walks its
        class's attributes each time (some 8 µs on CPython 3.11, a tenth of an idle session-tick)."""
        self.reads_end_of_turn = not isinstance(model, Playback) and isinstance(model, EndOfTurnReading)
        """Can the model say how likely the user's turn is over (never a playback: the log has what it said)?"""
        self.reading: ModelReading = end_of_turn_source(model) if self.reads_end_of_turn else "model"
        """Which kind of reading it gives (its own unless it says otherwise): the source of its TurnEndSignals."""
        self._inject = inject
        self._spawn = spawn
        self._asked = 0
        self._waiting: dict[int, _Reader] = {}
        self._pumps: dict[int, asyncio.Task[None]] = {}

    def ask(self, request: ModelRequest, *, speculative: bool = False) -> tuple[ModelAsked, AsyncIterator[str]]:
        """Ask for a reply to ``request``: the ModelAsked to record, and the reply's text as the log receives it."""
        self._asked += 1
        number = self._asked
        pump: asyncio.Task[None] | None = None
        if isinstance(self.model, Playback):
            if number > self.model.recorded:
                raise ReplayDiverged(number, self.model.recorded)
        else:
            pump = self._pumps[number] = self._spawn(self._pump(number, self.model.stream(request)))
            pump.add_done_callback(lambda _: self._pumps.pop(number, None))
        reader = self._waiting[number] = _Reader()

        def stop() -> None:  # the reader is gone: stop the model, drop what it still sends
            if pump is not None:
                pump.cancel()
            self._waiting.pop(number, None)

        return ModelAsked(request=number, speculative=speculative), reader.chunks(stop)

    def cancel_all(self) -> None:
        """Stop every stream still running (the session ends): a model that goes on talking would keep the
        session's task group, and so the session, from ending."""
        for pump in self._pumps.values():
            pump.cancel()
        for reader in self._waiting.values():
            reader.close()  # a reader still waiting (a speculated reply's) hears the end rather than wait for ever
        self._waiting.clear()

    def received(self, event: ModelChunk | ModelEnded) -> None:
        """The loop recorded ``event``: hand it to the stream reading that request, if one still is."""
        reader = self._waiting.get(event.request)
        if reader is None:
            return  # a dropped speculation, a reply cut off: recorded, and heard by nobody
        reader.put(event)
        if isinstance(event, ModelEnded):
            del self._waiting[event.request]

    async def prefill(self, request: ModelRequest) -> None:
        """Let the model take in ``request``'s transcript now (a playback has nothing to take in)."""
        if isinstance(self.model, Prefilling):
            await self.model.prefill(request)

    async def end_of_turn(self, request: ModelRequest) -> float | None:
        """How likely the user's turn is over after ``request``'s transcript, if the model can tell (see
        ``reads_end_of_turn``): a probability from 0 to 1, or None. Anything else is the model's error."""
        assert isinstance(self.model, EndOfTurnReading), "only a model that reads the end of turn is asked"
        probability = await self.model.end_of_turn(request)
        if probability is not None and not 0.0 <= probability <= 1.0:  # NaN too
            raise ModelError(f"end_of_turn returned {probability!r}, not a probability", transient=False)
        return probability

    async def report(self, failure: ComponentFailed) -> None:
        """Record a failure of the model's work ahead of a reply as outside input: a replay never prefills or
        reads, the log has it."""
        await self._inject(failure, MODEL)

    async def signal(self, probability: float, *, upto: int) -> None:
        """Record the model's reading of the end of the user's turn (their text's first ``upto`` characters) as
        outside input, a TurnEndSignal from the kind of reading it is (``reading``)."""
        await self._inject(TurnEndSignal(probability=probability, upto=upto), self.reading)

    async def _pump(self, number: int, stream: AsyncIterator[str | ToolCall]) -> None:
        ended = ModelEnded(request=number)
        try:
            async for chunk in stream:
                if isinstance(chunk, ToolCall):
                    raise ModelError(
                        f"the interaction model called the tool {chunk.tool!r} without being offered tools",
                        transient=False,
                    )
                await self._inject(ModelChunk(request=number, text=chunk), MODEL)
        except Exception as error:  # never BaseException: a request whose reader is gone is just cancelled
            transient = error.transient if isinstance(error, AdapterError) else False
            ended = ModelEnded(request=number, error=plain(error), raised=type(error).__name__, transient=transient)
        await self._inject(ended, MODEL)


@functools.cache
def _recorded(raised: str) -> type[ModelError]:
    """A ModelError named as the exception the model raised: whoever reports it (``_failures.describe``) then
    writes the same line live, where the model raised it, and in a replay, where the log says it did."""
    return ModelError if raised in ("", ModelError.__name__) else type(raised, (ModelError,), {})


class _Reader:
    """One request's recorded output, waiting for its reader: no bound is needed, it holds no more than the
    stream's own output, which the log holds anyway."""

    def __init__(self) -> None:
        self._events: deque[ModelChunk | ModelEnded] = deque()
        self._arrived = asyncio.Event()

    def close(self) -> None:
        """Nothing more will come: the stream ends where it is."""
        self.put(ModelEnded(request=-1))

    def put(self, event: ModelChunk | ModelEnded) -> None:
        self._events.append(event)
        self._arrived.set()

    async def chunks(self, stop: Callable[[], None]) -> AsyncIterator[str]:
        """The text as it is recorded; a failed stream raises ModelError with the recorded reason."""
        try:
            while True:
                while self._events:
                    event = self._events.popleft()
                    if isinstance(event, ModelChunk):
                        yield event.text
                    elif event.error:
                        raise _recorded(event.raised)(event.error, transient=event.transient)
                    else:
                        return
                self._arrived.clear()
                await self._arrived.wait()
        finally:
            stop()
