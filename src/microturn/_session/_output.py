"""Paces the agent's words at a speaking rate, so a barge-in knows exactly what was delivered.

The model writes text in as fast as it likes; the loop asks for the next deadline and takes the words
that are due. Nothing here sleeps or tells time: the loop passes ``now`` in.
"""

from __future__ import annotations

from collections import deque

from microturn._events import SpeechPurpose

__all__ = ["OutputStream"]


class OutputStream:
    def __init__(self, *, rate: float) -> None:
        self._rate = rate
        self.utterance: int | None = None
        self.purpose = SpeechPurpose.REPLY
        self._words: deque[str] = deque()
        self._partial = ""  # text after the last whitespace: a word may continue in the next chunk
        self._input_done = False
        self._next_at = 0.0  # when the next word may start
        self.delivered: list[str] = []

    @property
    def active(self) -> bool:
        return self.utterance is not None

    def start(self, utterance: int, purpose: SpeechPurpose, now: float) -> None:
        self.utterance = utterance
        self.purpose = purpose
        self._words.clear()
        self._partial = ""
        self._input_done = False
        self._next_at = now
        self.delivered = []

    def feed(self, text: str) -> None:
        pieces = (self._partial + text).split()
        ends_clean = text[-1:].isspace()
        self._partial = "" if ends_clean or not pieces else pieces.pop()
        self._words.extend(pieces)

    def reopen(self) -> None:
        """More text will follow for this utterance (an append)."""
        self._input_done = False

    def remainder(self) -> str:
        """What is still to be said: queued words and any partial word."""
        return " ".join([*self._words, *([self._partial] if self._partial else [])])

    def finish_input(self) -> None:
        if self._partial:
            self._words.append(self._partial)
            self._partial = ""
        self._input_done = True

    def next_awake(self) -> float | None:
        """When the stream next has something to do: a word is due, or the utterance ends."""
        if self.utterance is None:
            return None
        if self._words or self._input_done:
            return self._next_at
        return None

    def take_due(self, now: float) -> str | None:
        """The next word if it is due by ``now``; it starts ``now`` and lasts one word's time."""
        if not self._words or self._next_at > now:
            return None
        word = self._words.popleft()
        self.delivered.append(word)
        self._next_at = round(now + self._rate, 6)
        return word

    def finished(self, now: float) -> bool:
        """All words delivered and the last one spoken to its end."""
        return self._input_done and not self._words and now >= self._next_at

    def end(self) -> str:
        """Close the utterance; return exactly what was delivered."""
        delivered = " ".join(self.delivered)
        self.utterance = None
        self._words.clear()
        self._partial = ""
        self._input_done = False
        return delivered
