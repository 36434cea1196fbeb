"""Fakes that take a handler (httpx's MockTransport idea): the test decides what comes back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import ClassVar

from microturn._models import ModelRequest

__all__ = ["FakeModel"]


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
