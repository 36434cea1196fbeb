"""The agent's utterances: started, streamed into, spoken word by word, held, ended or cut off, and resumed.

An utterance is one stretch of the agent's speech, numbered in the session's one sequence. Its text
comes from *generations*: tasks that stream a reply (or a fixed text) into the speaker one after
another, in the order they were asked for, so an appended reply follows what is being said. The loop
delivers the words as they fall due (:meth:`Utterances.speak`) and ends the utterance once all are
said; a newer utterance, a stop or the user ends it early, and the log keeps exactly what was
delivered. What a cut-off left unsaid is kept, so a false interruption can resume it, until anything
newer is said. A model that fails mid-reply is reported, and the utterance says so in plain words.
Every utterance's text passes through a :class:`Bound` (``_bounds.py``): a model that repeats itself or runs
on is ended by the runtime (STOPPED, with the bound it reached), never heard going on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable

from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechHeld,
    AgentSpeechReleased,
    AgentSpeechStarted,
    AgentWord,
    EndReason,
    Event,
    SpeechBound,
    SpeechPurpose,
)
from microturn._session._bounds import Bound
from microturn._session._output import SpeechOutput
from microturn._session._wiring import Hooks

__all__ = ["Utterances"]


async def _once(text: str) -> AsyncIterator[str]:
    yield text


class Utterances:
    """The agent's speech, one utterance at a time, through ``output``; it records through the loop's ``hooks``."""

    def __init__(
        self,
        output: SpeechOutput,
        hooks: Hooks,
        *,
        apology: Callable[[bool], str | None],
        max_words: int | None = None,
    ) -> None:
        """``apology`` is what to say after the model failed mid-reply (``True``: after some of the reply was
        said), if anything; ``max_words`` bounds each utterance (``SessionConfig.max_utterance_words``)."""
        self.output = output
        self._hooks = hooks
        self._apology = apology
        self._max_words = max_words
        self._bound = Bound(max_words)  # the latest generation's: each reply appended to an utterance has its own
        self._generations: list[asyncio.Task[None]] = []  # streaming into the current utterance, in order
        self._cut: tuple[int, SpeechPurpose, str] | None = None  # the last cut-off utterance and its rest

    @property
    def current(self) -> int | None:
        """The utterance being spoken, if any."""
        return self.output.utterance

    @property
    def streaming(self) -> bool:
        """Has text been asked for the current utterance (even if it has all arrived)?"""
        return bool(self._generations)

    async def speak(self, now: float) -> None:
        """Deliver the next word if it is due; end the utterance if it is complete."""
        output = self.output
        if output.utterance is None:
            return
        word = output.take_due(now)
        for record in output.take_records():
            await self._hooks.emit(record, None)
        if word is not None and output.utterance is not None:
            await self._hooks.emit(
                AgentWord(utterance=output.utterance, word=word, duration=output.word_duration), None
            )
        if output.utterance is not None and output.finished(now):
            bound = self._bound.reached
            await self.end(EndReason.COMPLETED if bound is None else EndReason.STOPPED, None, bound=bound)

    async def open(
        self,
        purpose: SpeechPurpose,
        cause: Event | None,
        *,
        append: bool = False,
        reply_to: str = "",
        resumes: int | None = None,
    ) -> int:
        """The utterance to speak into: the current one when appending, else a new one."""
        if append and self.output.utterance is not None:
            self.output.reopen()
            return self.output.utterance
        if self.output.utterance is not None:
            await self.end(EndReason.STOPPED, cause)  # the newest speech wins
        self._cut = None  # what was cut off is now out of date
        utterance = self._hooks.number()
        self.output.start(utterance, purpose, self._hooks.moment())
        started = AgentSpeechStarted(utterance=utterance, purpose=purpose, reply_to=reply_to, resumes=resumes)
        await self._hooks.emit(started, cause)
        return utterance

    def produce(self, utterance: int, chunks: AsyncIterator[str]) -> None:
        """Stream ``chunks`` into the utterance, after whatever is already being streamed into it."""
        after = self._generations[-1] if self._generations else None
        # Bounded per generation, not per utterance: a live mode appends every phrase it translates to one
        # utterance, which may go on for minutes; each translation is bounded, the mode is not.
        self._bound = Bound(self._max_words)
        self._generations.append(self._hooks.spawn(self._generate(utterance, chunks, after, self._bound)))

    async def say(
        self, text: str, purpose: SpeechPurpose, cause: Event | None, *, append: bool, reply_to: str = ""
    ) -> None:
        """Say a fixed ``text``, in a new utterance or (``append``) after the current one's words; ``reply_to``: the
        user's words it answers, when it is the answer to them."""
        utterance = await self.open(purpose, cause, append=append, reply_to=reply_to)
        self.produce(utterance, _once(text))

    async def resume(self, cause: Event | None) -> None:
        """Say the rest of the last cut-off utterance, as a new one, if nothing was said since."""
        if self._cut is not None and self.output.utterance is None:
            resumed, purpose, rest = self._cut
            utterance = await self.open(purpose, cause, resumes=resumed)
            self.produce(utterance, _once(rest))

    async def hold(self, cause: Event | None) -> None:
        """Go quiet mid-utterance, keeping it open."""
        if self.output.utterance is not None and not self.output.held:
            self.output.hold(self._hooks.moment())
            await self._hooks.emit(AgentSpeechHeld(utterance=self.output.utterance), cause)

    async def release(self, cause: Event | None) -> None:
        """Go on from the next undelivered word after a hold."""
        if self.output.utterance is not None and self.output.held:
            self.output.release(self._hooks.moment())
            await self._hooks.emit(AgentSpeechReleased(utterance=self.output.utterance), cause)

    async def end(self, reason: EndReason, cause: Event | None, *, bound: SpeechBound | None = None) -> None:
        """End the current utterance, if any, recording exactly what was delivered; keep what a cut-off left.
        ``bound``: the runtime ended it there (``_bounds.py``)."""
        utterance = self.output.utterance
        if utterance is None:
            return
        for generation in self._generations:
            generation.cancel()
        self._generations.clear()
        rest = self.output.remainder()
        purpose = self.output.purpose
        delivered = self.output.end()
        if reason is not EndReason.COMPLETED and rest:
            self._cut = (utterance, purpose, rest)
        ended = AgentSpeechEnded(utterance=utterance, reason=reason, delivered=delivered, bound=bound)
        await self._hooks.emit(ended, cause)

    async def _generate(
        self, utterance: int, chunks: AsyncIterator[str], after: asyncio.Task[None] | None, bound: Bound
    ) -> None:
        if after is not None:
            await after
        output = self.output
        fed = False
        apart = after is not None  # appended: its first word is not the end of the last one's ("check.2 plus")
        try:
            async for chunk in chunks:
                if output.utterance != utterance:
                    return
                if apart and chunk:
                    chunk, apart = (chunk if chunk[0].isspace() else " " + chunk), False
                fed = self._feed(bound.take(chunk), chunk=True) or fed
                if bound.reached is not None:
                    if isinstance(chunks, AsyncGenerator):
                        await chunks.aclose()  # the rest is never said: the model stops writing it now
                    break
        except Exception as error:  # never BaseException: a reply cut off by the user stays cancelled
            self._hooks.report("model", error)
            if output.utterance == utterance:
                fed = self._feed(bound.flush()) or fed
                apology = self._apology(fed)
                if apology is not None:
                    output.feed(apology)
        if output.utterance == utterance:
            self._feed(bound.flush())
        if output.utterance == utterance and self._generations[-1] is asyncio.current_task():
            output.finish_input()
            self._hooks.nudge()

    def _feed(self, text: str, *, chunk: bool = False) -> bool:
        """Feed the speaker what the bound let through; whether it was anything. Unbounded, every model ``chunk``
        is fed and wakes the loop, as it always was (so a log recorded before bounds replays the same)."""
        if not text and not (chunk and self._max_words is None):
            return False
        self.output.feed(text)
        self._hooks.nudge()
        return True
