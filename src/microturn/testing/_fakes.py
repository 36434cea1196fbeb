"""Fakes that take a handler (httpx's MockTransport idea): the test decides what comes back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import ClassVar

from microturn._core._actions import Action
from microturn._core._events import Event
from microturn._core._floor import FloorState
from microturn._models import ModelRequest
from microturn._policies import MicroTurn, Policy, TurnBasedPolicy

__all__ = ["FakeModel", "FakePolicy"]


class FakeModel:
    """A FAKE ChatModel: ``handler(request)`` returns the reply, streamed a word at a time."""

    name: ClassVar[str] = "fake"

    def __init__(self, handler: Callable[[ModelRequest], Awaitable[str]]) -> None:
        self._handler = handler
        self.requests: list[ModelRequest] = []

    async def stream(self, request: ModelRequest) -> AsyncIterator[str]:
        self.requests.append(request)
        for word in (await self._handler(request)).split():
            yield word + " "


class FakePolicy:
    """A FAKE Policy: ``base`` (the turn-based baseline by default), and on each event it reacts to, also
    the actions ``handler(state, event)`` returns — the agent doing exactly what a test scripts. The way
    for a test to have the agent start a job (``Record(JobRequested(...))``): input cannot claim to be the
    agent, so a scripted JobRequested is an outside system's job, which the background lane leaves alone.
    """

    name: ClassVar[str] = "fake"

    def __init__(self, handler: Callable[[FloorState, Event], Sequence[Action]], base: Policy | None = None) -> None:
        self._handler = handler
        self._base = base or TurnBasedPolicy()

    def react(self, state: FloorState, event: Event) -> Sequence[Action]:
        return [*self._base.react(state, event), *self._handler(state, event)]

    def decide(self, state: FloorState, turn: MicroTurn) -> Sequence[Action]:
        return self._base.decide(state, turn)

    def wake_at(self, state: FloorState) -> float | None:
        return self._base.wake_at(state)
