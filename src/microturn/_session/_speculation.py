"""A speculative reply: decoded into a buffer while the user pauses, taken by the reply if it answers the same words.

*The same words* are the user's turn text up to what no answer depends on (:func:`spoken_words`): case,
punctuation, spacing, transcriber tags such as ``[cough]``, and hesitation sounds at the end ("um", "uh",
"hmm"). So a speculation made on the rough words a recogniser heard while the user spoke ("what is the time
uh") is taken when the final transcript that replaces them reads "What is the time?"; one made on "what is
the time" is not taken for "what is the time in paris", nor for "what's the time" (another word).

Nothing else is compared: not the moment of the user's last input. Whatever changes the words (a word said
or typed, an erase, a final transcript) drops a speculation on other words at once (``Anticipation.heard``),
so one that is still there answers the words as they are; input that leaves the words as they were (the
end of the user's speech, a cough with no words, a space typed) leaves it standing.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable

from microturn._core._language import FILLERS
from microturn._session._wiring import Spawn

__all__ = ["Speculation", "spoken_words"]

_TAG = re.compile(r"\[[^\]]*\]")
_WORD = re.compile(r"\w+(?:['-]\w+)*")
_HESITATIONS = FILLERS - {"like", "well"}
"""Sounds that are no words ("um", "uh", "hmm"); "like" and "well" end sentences too ("what is it like")."""


def spoken_words(text: str) -> tuple[str, ...]:
    """The words of ``text`` an answer depends on: case-folded, without punctuation, spacing, transcriber tags or
    trailing hesitations. Any script: ``\\w`` is Unicode's word characters."""
    found = _WORD.findall(_TAG.sub(" ", text.casefold().replace("\u2019", "'")))
    while found and found[-1] in _HESITATIONS:
        found.pop()
    return tuple(found)


class Speculation:
    """A reply decoded ahead of the end of the user's turn, into a buffer that the reply may take.

    If the model fails while speculating, the failure is reported at once and the speculation is not used
    (``failed``): the reply asks the model afresh, so a passing failure is never heard. Once the reply has
    taken it, a failure is the reply's own: it comes out of :meth:`reply`.
    """

    def __init__(
        self,
        user_text: str,
        chunks: AsyncIterator[str],
        spawn: Spawn,
        report: Callable[[Exception], None],
    ) -> None:
        self.user_text = user_text
        self.failed = False
        self._words = spoken_words(user_text)
        self._report = report
        self._error: Exception | None = None
        self._taken = False
        self._chunks: list[str] = []
        self._done = False
        self._grown = asyncio.Event()
        self._task = spawn(self._decode(chunks))

    @property
    def done(self) -> bool:
        """Has the decoding ended (the model is free again)?"""
        return self._done

    def matches(self, user_text: str) -> bool:
        """Is this the reply to these words (the same words: see the module's doc)?"""
        return user_text == self.user_text or spoken_words(user_text) == self._words

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
