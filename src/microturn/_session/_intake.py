"""How input reaches the loop: sources polled in event time, and the ingress read as one subscription.

Scheduled sources (scenario scripts, a replay) are polled into the ingress at a fixed point of the
pass, so they interleave with ticks and speech the same way every time (``_sources.py``). The ingress
log keeps everything, so a loop whose queue overflowed (``SlowConsumer``) subscribes again at exactly
the offset the queue lost. Pieces of one model stream queued back to back are taken as one event: the
speech is the same, the log shorter (a scripted reply is one line, not one a word).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeGuard

import msgspec

from microturn._bus import EventBus, Start, StartAt, Subscription
from microturn._core._events import Event, ModelChunk
from microturn._core._floor import FloorState
from microturn._session._ingress import Channel, read_frame
from microturn._session._moments import EPSILON
from microturn._session._sources import Source
from microturn.errors import SlowConsumer

__all__ = ["Admit", "Intake"]

Admit = Callable[[Event, Channel, str], Awaitable[Event]]
"""Publish input to the ingress as ``admit`` stamps it (``_ingress.py``)."""

_NAME = "loop"  # the loop's subscription to its ingress


def _continues(following: Event | None, chunk: ModelChunk) -> TypeGuard[ModelChunk]:
    """Is ``following`` the next piece of ``chunk``'s model stream?"""
    return isinstance(following, ModelChunk) and (following.request, following.source) == (chunk.request, chunk.source)


class Intake:
    """The loop's input: ``sources`` (and ``replay``) polled into the bus log ``log``, which it reads back."""

    def __init__(
        self,
        bus: EventBus,
        log: str,
        *,
        wake: Callable[[], None],
        admit: Admit,
        sources: Sequence[Source],
        replay: Source | None,
    ) -> None:
        """``wake`` is called when input arrives; ``admit`` publishes what the sources hand over."""
        self._bus = bus
        self._log = log
        self._wake = wake
        self._admit = admit
        self._sources = [*sources, *([] if replay is None else [replay])]
        self._replay = replay
        self._subscription: Subscription | None = None
        self._peeked: Event | None = None  # taken from the ingress to look past a model chunk, handled next

    def next_awake(self, state: FloorState) -> list[float | None]:
        """When each source next has input, as of ``state``."""
        return [source.next_awake(state) for source in self._sources]

    async def poll(self, now: float, state: FloorState) -> None:
        """Publish the input the sources have due by ``now``."""
        for source in self._sources:
            awake = source.next_awake(state)
            if awake is None or awake > now + EPSILON:
                continue
            channel = Channel.REPLAY if source is self._replay else Channel.SCRIPT
            for item in source.poll(now, state):
                if isinstance(item, bytes):
                    await self._admit(read_frame(item), Channel.USER, source.name)  # a wire frame, as any transport's
                else:
                    await self._admit(item, channel, source.name)

    async def open(self, start: StartAt = Start.RESUME) -> None:
        """Follow the ingress from ``start`` (by default, where the loop's subscription left off)."""
        self._subscription = await self._bus.subscribe(self._log, _NAME, start=start)
        self._subscription.set_listener(self._wake)

    async def reopen(self, offset: int) -> None:
        """The queue overflowed: the ingress log still has everything, so pick up at ``offset``."""
        self.close()
        await self.open(offset)

    def close(self) -> None:
        if self._subscription is not None:
            self._subscription.close()

    def receive(self) -> Event | None:
        """The next queued input, if any (raises SlowConsumer if the queue overflowed: see ``reopen``)."""
        assert self._subscription is not None, "the intake is read only while the session runs"
        subscription = self._subscription
        event, self._peeked = self._peeked or subscription.receive_nowait(), None
        while isinstance(event, ModelChunk):
            try:
                following = subscription.receive_nowait()
            except SlowConsumer:
                break  # raised again by the next receive, once what is queued is taken
            if not _continues(following, event):
                self._peeked = following
                break
            event = msgspec.structs.replace(event, text=event.text + following.text)
        return event
