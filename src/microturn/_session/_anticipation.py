"""A reply decoded ahead of the end of the user's turn, kept only if the turn ends on exactly those words.

When the user pauses, the session starts the reply to what they said so far, into a buffer. If the
policy then replies to the same words, the reply starts from the buffer (its first words are often
ready already); if the user goes on, the speculation is cancelled and its words are never heard.
If the model fails while speculating, the failure is reported at once and the speculation is not
used: the reply asks the model afresh (a passing failure is then never heard). Once the reply has
taken the speculation, a failure is the reply's own: it comes out of :meth:`Speculation.reply`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

__all__ = ["Speculation"]


class Speculation:
    def __init__(
        self,
        user_text: str,
        last_input: float | None,
        chunks: AsyncIterator[str],
        spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]],
        report: Callable[[Exception], None],
    ) -> None:
        self.user_text = user_text
        self.last_input = last_input
        self.failed = False
        self._report = report
        self._error: Exception | None = None
        self._taken = False
        self._chunks: list[str] = []
        self._done = False
        self._grown = asyncio.Event()
        self._task = spawn(self._decode(chunks))

    def matches(self, user_text: str, last_input: float | None) -> bool:
        """Is this the reply to these words, with no input since?"""
        return (user_text, last_input) == (self.user_text, self.last_input)

    def cancel(self) -> None:
        self._task.cancel()

    async def reply(self) -> AsyncIterator[str]:
        """The speculated reply: what is decoded already at once, then the rest as it comes (unless it failed)."""
        self._taken = True
        taken = 0
        while True:
            while taken < len(self._chunks):
                taken += 1
                yield self._chunks[taken - 1]
            if self._done:
                if self._error is not None:
                    raise self._error
                return
            self._grown.clear()
            await self._grown.wait()

    async def _decode(self, chunks: AsyncIterator[str]) -> None:
        try:
            async for chunk in chunks:
                self._chunks.append(chunk)
                self._grown.set()
        except Exception as error:  # never BaseException: a dropped speculation is cancelled
            if self._taken:
                self._error = error  # the reply reports it
            else:
                self.failed = True
                self._report(error)
        finally:
            self._done = True
            self._grown.set()
