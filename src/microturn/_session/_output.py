"""The loop's speaker: it paces the agent's words, so a barge-in knows exactly what was delivered.

The model writes text in as fast as it likes; the loop asks for the next deadline and takes the words
that are due. Nothing here sleeps or tells time: the loop passes ``now`` in. ``OutputStream`` is the
text path (one word per ``speaking_rate``); a voice front end brings its own ``SpeechOutput`` whose
words fall due as their audio plays (``microturn._voice._output``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Protocol

from microturn._core._events import Event, SpeechPurpose

__all__ = ["OutputStream", "SpeechOutput"]


class SpeechOutput(Protocol):
    """What the loop speaks through. All times are session seconds, passed in by the loop."""

    utterance: int | None
    """The utterance being delivered, if any."""
    purpose: SpeechPurpose
    delivered: list[str]
    """The words of the current utterance delivered so far."""
    word_duration: float
    """How long the word ``take_due`` last returned lasts."""

    @property
    def active(self) -> bool: ...

    @property
    def held(self) -> bool:
        """Quiet for now (``hold``), the utterance still open."""
        ...

    def set_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` when something becomes due without the loop's asking (audio got ready)."""
        ...

    def start(self, utterance: int, purpose: SpeechPurpose, now: float) -> None: ...

    def feed(self, text: str) -> None:
        """More text of the utterance (chunks may split words)."""
        ...

    def reopen(self) -> None:
        """More text will follow for this utterance (an append)."""
        ...

    def finish_input(self) -> None:
        """No more text for this utterance (until a ``reopen``)."""
        ...

    def remainder(self) -> str:
        """What is still to be said."""
        ...

    def next_awake(self) -> float | None:
        """When the output next has something to do, if it knows."""
        ...

    def take_due(self, now: float) -> str | None:
        """The next word if it is due by ``now``."""
        ...

    def take_records(self) -> list[Event]:
        """Facts about the delivery to record now, before the word ``take_due`` returned (audio clips started)."""
        ...

    def finished(self, now: float) -> bool:
        """All words delivered and the last one spoken to its end."""
        ...

    def hold(self, now: float) -> None:
        """Go quiet now, keeping the utterance open; words not yet due wait for ``release``."""
        ...

    def release(self, now: float) -> None:
        """Go on from the next undelivered word."""
        ...

    def end(self) -> str:
        """Close the utterance; return exactly what was delivered."""
        ...


class OutputStream:
    """The text path: one word per ``rate`` seconds."""

    def __init__(self, *, rate: float) -> None:
        self._rate = rate
        self.utterance: int | None = None
        self.purpose = SpeechPurpose.REPLY
        self._words: deque[str] = deque()
        self._partial = ""  # text after the last whitespace: a word may continue in the next chunk
        self._input_done = False
        self._next_at = 0.0  # when the next word may start
        self._held = False
        self.delivered: list[str] = []
        self.word_duration = rate

    @property
    def active(self) -> bool:
        return self.utterance is not None

    @property
    def held(self) -> bool:
        return self._held

    def set_listener(self, listener: Callable[[], None]) -> None:
        pass  # words fall due only at the times next_awake announces

    def start(self, utterance: int, purpose: SpeechPurpose, now: float) -> None:
        self.utterance = utterance
        self.purpose = purpose
        self._words.clear()
        self._partial = ""
        self._input_done = False
        self._next_at = now
        self._held = False
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
        if self.utterance is None or self._held:
            return None
        if self._words or self._input_done:
            return self._next_at
        return None

    def take_due(self, now: float) -> str | None:
        """The next word if it is due by ``now``; it starts ``now`` and lasts one word's time."""
        if not self._words or self._next_at > now or self._held:
            return None
        word = self._words.popleft()
        self.delivered.append(word)
        self._next_at = round(now + self._rate, 6)
        return word

    def take_records(self) -> list[Event]:
        return []

    def finished(self, now: float) -> bool:
        """All words delivered and the last one spoken to its end."""
        return self._input_done and not self._words and now >= self._next_at

    def hold(self, now: float) -> None:
        self._held = True
        self._next_at = min(self._next_at, now)  # the word being said is cut off here

    def release(self, now: float) -> None:
        self._held = False
        self._next_at = max(self._next_at, now)

    def end(self) -> str:
        """Close the utterance; return exactly what was delivered."""
        delivered = " ".join(self.delivered)
        self.utterance = None
        self._held = False
        self._words.clear()
        self._partial = ""
        self._input_done = False
        return delivered
