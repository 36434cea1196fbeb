"""Live modes: repeat or translate each phrase while the user goes on talking.

"repeat after me" / "translate into Spanish as I speak" turns the agent into a simultaneous
interpreter: every ``chunk_words`` words (or the words before a short pause) are said at once, over
the user if need be, until the user asks it to stop. While a live mode is on, the user is not cutting the
agent off and there is no turn to answer: the policy asks ``active`` and steps aside.

The mode hears whole words, never keystrokes: the policy hands it the words the user has finished (a typed
word at the space or Enter after it, a spoken word as it comes). Each time, the :class:`Intent` reads the
words of the phrase so far (since the user's last pause, up to ``_WINDOW`` words), so a stop is heard however
it arrives: split across chunks, typed key by key, pasted at once, or inside a longer phrase ("I want bread,
stop translating"). While the phrase reads as a stop its words are held back, not said; the mode ends when the
phrase does (a pause, Enter, the end of the turn) still reading as one, and the acknowledgement cuts off what
is still being said: the user asked for quiet. So "stop" ⟨pause⟩ ends it, while "stop the car" is said once
"the car" shows it is no stop, and "the bus stop is near" or "please don't stop translating" (negated) are
translated like any other words.

Each chunk is translated on its own (``Reply(text=chunk)``): what the model says for it is bounded by the
session's bound on utterances (``SessionConfig.max_utterance_words``), not by the mode.
"""

from __future__ import annotations

from microturn._core._actions import Action, ClearTurn, Reply, Say
from microturn._core._events import SpeechPurpose
from microturn._core._floor import FloorState
from microturn._core._language import words
from microturn._policies._full_duplex._decisions import Intent, IntentContext
from microturn._policies._full_duplex._feature import Feature
from microturn._policies._full_duplex._intents import Request, StartLive, StopLive

__all__ = ["LiveMode"]

PAUSE = 0.3
"""A phrase shorter than the chunk is said after a pause this long; the pause also ends the phrase a stop is
read in."""
TYPED_PAUSE = 1.0
"""The same for typed words: between keys a typist pauses longer than a speaker between words, and a typed stop
("stop" ⟨key⟩ "translating", "the bus stop" ⟨key⟩ "is near") must not end at a slow key."""
_WINDOW = 8
"""The most words of the phrase so far that a stop is read in: longer than any way of asking to stop, and short
enough that a learned reader is not swayed by what came before it."""
_HOW_TO_STOP = "Say 'stop' to end."
"""Said when a mode starts, kept short: the user starts talking as soon as they like, and it is heard first."""
_STOPPED = "Okay, I've stopped."
_STOPS = frozenset({"live_stop", "wait"})
"""The readings that end a live mode: a stop, and a bare "wait" ("wait wait"): the user wants the agent quiet."""
_NOTHING_GOING_ON = IntentContext()


class LiveMode(Feature):
    def __init__(self, intent: Intent, *, chunk_words: int) -> None:
        self._intent = intent  # reads a stop in the words of the phrase so far
        self._chunk_words = chunk_words
        self._mode: StartLive | None = None
        self._words: list[str] = []  # heard and not said yet
        self._phrase: list[str] = []  # the phrase so far (its last ``_WINDOW`` words), said or not
        self._stopping = False  # the phrase so far reads as a stop: its words are held back until it ends

    @property
    def active(self) -> bool:
        return self._mode is not None

    def handle(self, state: FloorState, intent: Request) -> list[Action] | None:
        """Start a live mode (telling the user how to end it), or stop it."""
        if isinstance(intent, StartLive):
            self._start(intent)
            what = f"translate into {intent.language.title()}" if intent.language else "repeat after you"
            return [ClearTurn(), Say(f"Okay, I'll {what}. {_HOW_TO_STOP}")]
        if isinstance(intent, StopLive):
            if self._mode is None:  # a bare "stop" with no mode on: the agent has stopped, and says nothing
                return [ClearTurn()]
            self._start(None)
            return [ClearTurn(), Say(_STOPPED)]
        return None

    def hear(self, text: str) -> list[Action]:
        """The words the user has just finished (while active): say each phrase once it has ``chunk_words`` words,
        unless the phrase so far reads as a stop."""
        actions: list[Action] = []
        for token in text.split():
            self._words.append(token)
            self._phrase = [*self._phrase[1 - _WINDOW :], token]
            self._stopping = self._reads_as_stop()
            if not self._stopping and len(self._words) >= self._chunk_words:
                actions += self._say()
        return actions

    def decide(self, state: FloorState) -> list[Action]:
        """Once the user has paused, their phrase has ended: stop if it asked to, else say what is left of it."""
        if self._phrase and state.user_silent_for + 1e-9 >= _pause(state):
            return self.flush()
        return []

    def flush(self) -> list[Action]:
        """The user's phrase ended (a pause, Enter, the end of the turn): stop if it asked to, else say what is left."""
        if self._stopping:
            self._start(None)
            return [ClearTurn(), Say(_STOPPED)]
        self._phrase = []
        return self._say()

    def moments(self, state: FloorState) -> list[float]:
        return [state.user_active_until + _pause(state)] if self._mode is not None and self._phrase else []

    def _start(self, mode: StartLive | None) -> None:
        self._mode, self._words, self._phrase, self._stopping = mode, [], [], False

    def _reads_as_stop(self) -> bool:
        reading = self._intent.read(" ".join(self._phrase), _NOTHING_GOING_ON)
        return reading.label in _STOPS and not reading.negated  # "please don't stop translating" goes on

    def _say(self) -> list[Action]:
        assert self._mode is not None
        chunk = " ".join(self._words)
        self._words = []
        if not words(chunk):
            return []
        if self._mode.language is None:
            return [ClearTurn(), Say(chunk, SpeechPurpose.REPLY, append=True)]
        instruction = f"Translate into {self._mode.language.title()}"
        return [Reply(text=chunk, instruction=instruction, append=True)]


def _pause(state: FloorState) -> float:
    return TYPED_PAUSE if state.user_typing else PAUSE
