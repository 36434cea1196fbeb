"""Live modes: repeat or translate each phrase while the user goes on talking.

"repeat after me" / "translate into Spanish as I speak" turns the agent into a simultaneous
interpreter: every ``chunk_words`` words (or the words before a short pause) are said at once, over
the user if need be, until "stop translating". While a live mode is on, the user is not cutting the
agent off and there is no turn to answer: the policy asks ``active`` and steps aside.
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
"""A phrase shorter than the chunk is said after a pause this long."""
_NOTHING_GOING_ON = IntentContext()


class LiveMode(Feature):
    def __init__(self, intent: Intent, *, chunk_words: int) -> None:
        self._intent = intent  # reads "stop translating" in the words heard, even across two phrases
        self._chunk_words = chunk_words
        self._mode: StartLive | None = None
        self._words: list[str] = []  # heard and not said yet
        self._tail = ""  # the end of the last phrase said: "stop translating" may straddle two

    @property
    def active(self) -> bool:
        return self._mode is not None

    def handle(self, state: FloorState, intent: Request) -> list[Action] | None:
        """Start a live mode, or stop it."""
        if isinstance(intent, StartLive):
            self._mode, self._words = intent, []
            what = f"translate into {intent.language.title()}" if intent.language else "repeat after you"
            return [ClearTurn(), Say(f"Okay, I'll {what} as you speak.")]
        if isinstance(intent, StopLive):
            self._mode, self._words = None, []
            return [ClearTurn(), Say("Okay, I've stopped.")]
        return None

    def hear(self, text: str) -> list[Action]:
        """The user's next input (while active): say the phrase once it has ``chunk_words`` words."""
        self._words.extend(token for token in text.split() if token)
        return self._say() if len(self._words) >= self._chunk_words else []

    def decide(self, state: FloorState) -> list[Action]:
        """Say the words heard so far once the user has paused."""
        if self._words and state.user_silent_for + 1e-9 >= PAUSE:
            return self._say()
        return []

    def flush(self) -> list[Action]:
        """The user's turn ended: say what is left of it."""
        return self._say()

    def moments(self, state: FloorState) -> list[float]:
        return [state.user_active_until + PAUSE] if self._mode is not None and self._words else []

    def _say(self) -> list[Action]:
        assert self._mode is not None
        chunk = " ".join(self._words)
        self._words = []
        heard, self._tail = f"{self._tail} {chunk}", " ".join(chunk.split()[-2:])
        reading = self._intent.read(heard, _NOTHING_GOING_ON)
        if reading.label == "live_stop" and not reading.negated:  # "please don't stop translating" goes on
            self._mode = None
            return [ClearTurn(), Say("Okay, I've stopped.")]
        if not words(chunk):
            return []
        if self._mode.language is None:
            return [ClearTurn(), Say(chunk, SpeechPurpose.REPLY, append=True)]
        instruction = f"Translate into {self._mode.language.title()}"
        return [Reply(text=chunk, instruction=instruction, append=True)]
