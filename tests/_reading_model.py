"""A FAKE local model that reads the end of the user's turn: shared by the tests of the model's signal and of the
audio end of turn's measurement on recorded sessions (whose default model, the embedded one, reads it too)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import ClassVar

from microturn import ModelRequest, VirtualClock

READ = 0.03
"""Virtual seconds a reading takes (the embedded model's, on a warm cache, is about that)."""


class ReadingModel:
    """A FAKE local model that prefills, reads the end of turn (``p`` of the user's words, READ seconds after it is
    asked) and answers "you asked <words>" 0.2 s after a request."""

    name: ClassVar[str] = "reading"

    def __init__(self, clock: VirtualClock, p: Callable[[str], float | None], *, read: float = READ) -> None:
        self.clock = clock
        self._p = p
        self._read = read
        self.reads: list[str] = []
        self.prefills: list[float] = []

    async def prefill(self, request: ModelRequest) -> None:
        self.prefills.append(self.clock.now())

    async def end_of_turn(self, request: ModelRequest) -> float | None:
        self.reads.append(request.user_text)
        await self.clock.sleep_until(self.clock.now() + self._read)
        return self._p(request.user_text)

    async def stream(self, request: ModelRequest) -> AsyncIterator[str]:
        await self.clock.sleep_until(self.clock.now() + 0.2)
        yield f"you asked {request.user_text}"
