"""Bounded speech: what the agent may say of a model's output, so runaway output ends instead of being said.

A small model can run away: the same apology again and again, the same sentence every few seconds, a story
with no end. Every utterance's text passes through a :class:`Bound` on its way to the speaker, and the bound
ends it:

* at a **repetition**: a sentence (of ``MIN_SENTENCE`` words or more) said again, or a phrase of up to
  ``LONGEST_PHRASE`` words said ``LOOP`` times in a row ("I'm sorry, I'm sorry, I'm sorry, I'm sorry"). The
  utterance ends where the repeat begins: the user hears each sentence once, and the phrase once;
* at its **length**: ``max_words`` words (``SessionConfig.max_utterance_words``).

To end *before* a repeat rather than after it, words that may be the start of one are held back until they
turn out not to be (a sentence that begins like an earlier one, a word that repeats the one a phrase before):
the speaker is fed them then. A model writes faster than the agent speaks, so what is held is mostly
already queued behind the words being said; at worst the next word waits for the model's next few.

The bound reads the text alone, chunk by chunk, so a replay (the same chunks, in the same order) cuts the same
words. It knows nothing of time or of the speaker.
"""

from __future__ import annotations

import re

from microturn._core._events import SpeechBound

__all__ = ["LONGEST_PHRASE", "LOOP", "MIN_SENTENCE", "Bound"]

MIN_SENTENCE = 3
"""Words a sentence needs for its repeat to end the utterance: "Oh no." or "Okay." may well come twice."""
LONGEST_PHRASE = 8
"""The longest phrase whose repeats in a row are read as a loop."""
LOOP = 4
"""Times in a row a phrase is said before it is a loop: "very, very" or "walked and walked and walked" is
speech, the fourth time it is a model stuck."""

_SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*$")
_PIECE = re.compile(r"\s*(\S+)(\s*)")
"""A word, with the space before it (the start of the text) and after it: the space after says it is complete."""


def _key(token: str) -> str:
    """A word as compared: its letters and digits, lower case ("Sorry," is "sorry")."""
    return "".join(ch for ch in token.lower() if ch.isalnum() or ch == "'")


class Bound:
    """One utterance's text as it streams in: what may be said of it now, and whether it has reached a bound."""

    def __init__(self, max_words: int | None) -> None:
        """``max_words``: the longest utterance allowed; None: no bound at all (neither length nor repetition)."""
        self._max_words = max_words
        self.reached: SpeechBound | None = None
        self._pending = ""  # text not yet read into words: a word that may go on in the next chunk
        self._pieces: list[str] = []  # every complete word so far, with the space after it, as written
        self._keys: list[str] = []  # the same words, as compared
        self._released = 0  # how many of them were released to be said
        self._sentence = 0  # where the sentence being written begins, in words
        self._sentences: list[tuple[str, ...]] = []  # the sentences written so far (long enough to count)

    def take(self, chunk: str) -> str:
        """The text that may be said now, with ``chunk`` come in; nothing once a bound is reached."""
        if self._max_words is None:
            return chunk
        self._pending += chunk
        return self._read(final=False)

    def flush(self) -> str:
        """The model is done: whatever is still held may be said, unless it repeats a sentence."""
        if self._max_words is None:
            return ""
        said = self._read(final=True)
        if self.reached is None:
            if self._repeats_sentence(len(self._keys)):
                self.reached = SpeechBound.REPETITION
            else:
                said += self._release(len(self._keys))
        return said

    def _read(self, *, final: bool) -> str:
        """Read the complete words of the pending text (all of them if ``final``); the text they let be said."""
        said = ""
        while self.reached is None:
            match = _PIECE.match(self._pending)
            if match is None or (match.end() == len(self._pending) and not final and not match.group(2)):
                break  # no word, or one that may go on in the next chunk
            self._pending = self._pending[match.end() :]
            said += self._word(match.group(1), match.group())
        if self.reached is not None:
            self._pending = ""
        return said

    def _word(self, token: str, piece: str) -> str:
        """Take in one complete word; return the text it lets be said."""
        keys = self._keys
        keys.append(_key(token))
        self._pieces.append(piece)
        count = len(keys)
        loop = self._loop_start(count)
        if loop is not None:
            self.reached = SpeechBound.REPETITION
            return self._release(loop)
        if _SENTENCE_END.search(token):
            if self._repeats_sentence(count):
                self.reached = SpeechBound.REPETITION
                return self._release(self._sentence)
            sentence = tuple(keys[self._sentence :])
            if len(sentence) >= MIN_SENTENCE:
                self._sentences.append(sentence)
            self._sentence = count
        assert self._max_words is not None
        if count >= self._max_words:
            self.reached = SpeechBound.LENGTH
            return self._release(min(self._held_from(count), self._max_words))
        return self._release(self._held_from(count))

    def _held_from(self, count: int) -> int:
        """Where the words that may yet turn out to be a repeat begin (``count`` when none may)."""
        start = count
        sentence = tuple(self._keys[self._sentence : count])
        if sentence and any(earlier[: len(sentence)] == sentence for earlier in self._sentences):
            start = self._sentence
        for size in range(1, LONGEST_PHRASE + 1):
            run = self._run(count, size)
            if run:
                start = min(start, count - run)
        return start

    def _run(self, count: int, size: int) -> int:
        """How many of the last words repeat the ones ``size`` words before them, in a row."""
        keys = self._keys
        run = 0
        while run < count - size and keys[count - 1 - run] == keys[count - 1 - run - size]:
            run += 1
        return run

    def _loop_start(self, count: int) -> int | None:
        """Where the repeats begin if the last words are a phrase said ``LOOP`` times in a row, else None."""
        for size in range(1, LONGEST_PHRASE + 1):
            run = self._run(count, size)
            if run >= (LOOP - 1) * size and run >= LOOP - 1:
                return count - run
        return None

    def _repeats_sentence(self, count: int) -> bool:
        sentence = tuple(self._keys[self._sentence : count])
        return len(sentence) >= MIN_SENTENCE and sentence in self._sentences

    def _release(self, upto: int) -> str:
        """The text of the words up to word ``upto`` not yet released."""
        if upto <= self._released:
            return ""
        said = "".join(self._pieces[self._released : upto])
        self._released = upto
        return said
