"""Thinking while the user talks: the model takes in the transcript ahead of the reply, and a reply to the
user's words so far is decoded in their pauses, kept only if the turn ends on exactly those words.

Both only with a model that prefills (a local one: it costs nothing but a core), and only while the
agent is not speaking. *Prefill*: at every micro-turn the model takes in the transcript so far, off
the loop's path, so the reply starts from a warm cache; a prefill that fails is recorded (as outside
input: a replay never prefills) and not tried again in that user turn.

*Speculation*: when the user pauses, the session starts the reply to what they said so far, into a
buffer. If the policy then replies to the same words, the reply starts from the buffer (its first
words are often ready already); if the user goes on, the speculation is cancelled and its words are
never heard. If the model fails while speculating, the failure is reported at once and the
speculation is not used: the reply asks the model afresh (a passing failure is then never heard).
Once the reply has taken the speculation, a failure is the reply's own: it comes out of
:meth:`Speculation.reply`.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable

from microturn._core._failures import failed
from microturn._core._floor import FloorState, FloorTracker
from microturn._core._timeline import Timeline
from microturn._models import ModelRequest
from microturn._session._model_calls import ModelCalls
from microturn._session._utterances import Utterances
from microturn._session._wiring import Hooks, Spawn

__all__ = ["Anticipation", "Speculation"]

_NO_TURN = -1  # before the first user turn


class Anticipation:
    """Prefills the model and speculates on the user's words, as the micro-turns go by (:meth:`think_ahead`)."""

    def __init__(
        self,
        models: ModelCalls,
        utterances: Utterances,
        floor: FloorTracker,
        timeline: Timeline,
        hooks: Hooks,
        *,
        tick: float,
    ) -> None:
        """``tick``: how long the user must have paused for a speculation to start."""
        self._models = models
        self._utterances = utterances
        self._floor = floor
        self._timeline = timeline
        self._hooks = hooks
        self._tick = tick
        self._prefilled = 0  # timeline length the model has taken in ahead of a reply
        self._prefill: asyncio.Task[None] | None = None
        self._prefill_failed = _NO_TURN  # the turn in which prefilling failed: not tried again in it
        self._speculation: Speculation | None = None

    async def think_ahead(self) -> None:
        """At a micro-turn: prefill with what is new in the transcript, and speculate if the user pauses."""
        self._prefill_ahead()
        await self._speculate()

    def take(self) -> Speculation | None:
        """The speculation, for the reply to use or cancel: it is no longer anticipation's."""
        speculation, self._speculation = self._speculation, None
        return speculation

    def heard(self, state: FloorState) -> None:
        """The user typed or erased: a speculation on other words than theirs now will never be heard."""
        if not self._speculating_on(state):
            self.drop()

    def drop(self) -> None:
        if self._speculation is not None:
            self._speculation.cancel()
            self._speculation = None

    def _prefill_ahead(self) -> None:
        """Think while listening: let the model take in the transcript so far, off the loop's path."""
        if not self._models.prefills or self._utterances.streaming or self._speculation is not None:
            return
        if len(self._timeline) == self._prefilled or (self._prefill is not None and not self._prefill.done()):
            return
        if self._prefill_failed == self._floor.state.user_turns:
            return  # it is an optimisation: one failure a turn is enough to know it is not working
        self._prefilled = len(self._timeline)
        self._prefill = self._hooks.spawn(self._prefill_guarded(self._hooks.request("")))

    async def _prefill_guarded(self, request: ModelRequest) -> None:
        """Prefill, and if it fails, record it and go on: the reply itself will show whether the model works."""
        try:
            await self._models.prefill(request)
        except Exception as error:  # never BaseException: cancellation goes through
            self._prefill_failed = self._floor.state.user_turns
            # As outside input, like the model's output: a replay never prefills, so only the log knows.
            await self._models.report(failed("prefill", error))

    async def _speculate(self) -> None:
        """When the user pauses, start the reply to what they said so far; it is kept if the turn ends on
        these words, else discarded unheard."""
        state = self._floor.state
        if not self._models.prefills or self._utterances.streaming or self._utterances.current is not None:
            return
        if not state.user_text.strip() or state.user_silent_for < self._tick:
            return
        if self._speculating_on(state):
            return
        self.drop()
        asked, chunks = self._models.ask(self._hooks.request(state.user_text), speculative=True)
        await self._hooks.emit(asked, None)
        report = functools.partial(self._hooks.report, "speculation")
        self._speculation = Speculation(state.user_text, state.last_user_input, chunks, self._hooks.spawn, report)

    def _speculating_on(self, state: FloorState) -> bool:
        return self._speculation is not None and self._speculation.matches(state.user_text, state.last_user_input)


class Speculation:
    """A reply decoded ahead of the end of the user's turn, into a buffer that the reply may take."""

    def __init__(
        self,
        user_text: str,
        last_input: float | None,
        chunks: AsyncIterator[str],
        spawn: Spawn,
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
        try:
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
        finally:
            if not self._done:
                self._task.cancel()  # the reply was cut off: the rest of the decoding is not wanted

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
