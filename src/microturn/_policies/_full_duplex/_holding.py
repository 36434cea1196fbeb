"""Barge-in by voice, in two steps: go quiet at the user's first sound, then let the words decide.

Voice activity says *that* the user speaks about a tenth of a second after they start; *what* they
say follows only once the recogniser has heard whole words, hundreds of milliseconds later. Waiting
for the words would leave the agent talking over the user all that time; stopping for good at the
first sound would let every "mm-hm" and cough cut the agent off. So at the sound the agent *holds*:
its audio stops at once and the utterance stays open. Then:

* a word that takes the turn stops the utterance (the usual barge-in, ``_barge_in.py``, on the word),
* speech that goes on longer than a backchannel does (``longest_backchannel``) stops it too,
* speech that ends stops it if its words, whole, take the turn (a learned overlap stops for words still
  coming only when it is all but sure), and otherwise (a backchannel, nothing recognised) releases the hold:
  the agent goes on from its next word, the utterance never ended,
* a final transcript showing real words in speech heard over the agent stops it after all (the fast
  recogniser missed them, the accurate one did not).

Spoken words with no voice activity reported may hold the agent too (``_barge_in.py``, with an overlap that
can tell when words may yet take the turn). Such a hold ends once the user has been silent for
``words_settle`` after their last word: the agent stops if their words read as a barge-in, whole, and goes on
otherwise.
"""

from __future__ import annotations

from collections import deque

from microturn._core._actions import Action, Hold, Release, Stop
from microturn._core._events import EndReason, UserSpeechStarted, UserTranscript
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._barge_in import substantive
from microturn._policies._full_duplex._decisions import Overlap

__all__ = ["Holding"]


WORDS_SETTLE = 0.15
"""Seconds of silence after the last word held over the agent before the whole decides: longer than the gap
between words in a phrase, and short enough that the reply to a barge-in is not kept waiting and that an
acknowledgement costs the agent little more silence than the word itself ("mm-hm" said in 0.3 s: 0.45 s). The
words are there to decide on: LiveKit's ``false_interruption_timeout`` (2 s before a paused agent resumes) waits
for a transcript that may never come, and the voice path here releases when its speech ends (0.3 s of quiet)."""


class Holding:
    def __init__(self, overlap: Overlap, *, longest_backchannel: float, words_settle: float = WORDS_SETTLE) -> None:
        self._overlap = overlap
        self.longest_backchannel = longest_backchannel
        self._words_settle = words_settle
        self._voice = False  # voice activity is reported: a hold is the sound's, released when it ends
        self._onset: float | None = None  # when the latest stretch of speech started
        self._over: deque[int | None] = deque()
        """For each stretch of speech awaiting its final transcript: the utterance it was heard over."""

    def speech_started(self, state: FloorState, event: UserSpeechStarted, *, stoppable: bool) -> list[Action]:
        """The user makes a sound: hold the agent if it is saying something the user may cut off."""
        self._voice = True
        self._onset = event.t
        over = state.agent_utterance if stoppable else None
        self._over.append(over)
        return [Hold()] if over is not None and not state.agent_held else []

    def speech_ended(self, state: FloorState) -> list[Action]:
        """Still held when the sound is over: no word stopped it as it came. The words heard are now the whole
        of what was said (as far as the fast recogniser heard): stop if they read as a barge-in, whole (a learned
        overlap stops for words still coming only when it is all but sure), else go on."""
        if not state.agent_held or state.user_speaking:
            return []
        if state.user_text.strip() and substantive(self._overlap, state.user_text, state):
            return [Stop(EndReason.INTERRUPTED)]
        return [Release()]

    def transcribed(self, state: FloorState, event: UserTranscript) -> list[Action]:
        over = self._over.popleft() if self._over else None
        if over is not None and over == state.agent_utterance and substantive(self._overlap, event.text, state):
            return [Stop(EndReason.INTERRUPTED)]
        return []

    def decide(self, state: FloorState) -> list[Action]:
        moment = self.moment(state)
        if moment is None or state.now + 1e-9 < moment:
            return []
        if self._held_by_words(state) and not substantive(self._overlap, state.user_text, state):
            return [Release()]  # the words held for were no barge-in after all
        return [Stop(EndReason.INTERRUPTED)]

    def moment(self, state: FloorState) -> float | None:
        """While held and the user still speaks: when the speech has become too long for a backchannel. Held
        for words: when the user has been silent long enough for them to decide."""
        if state.agent_held and state.user_speaking and self._onset is not None:
            return self._onset + self.longest_backchannel
        if self._held_by_words(state):
            return state.user_active_until + self._words_settle
        return None

    def _held_by_words(self, state: FloorState) -> bool:
        return state.agent_held and not self._voice and not state.user_speaking
