"""Sans-I/O pieces of the audio end of turn: the sound of the turn so far, and when its signal may go out.

When a stretch of speech ends, the audio end-of-turn model (``AudioTurnEnd``, Smart Turn) hears the
turn so far and says how likely it is over. The session records that as
``TurnEndSignal(source="audio", probability, upto)``, where ``upto`` is the length of the user's turn
text (``FloorState.user_text``) the probability is about: the policy ignores a signal whose ``upto`` is
no longer the text's length (the user said more).

What that length is depends on the order things happen in. The stretch's end comes first, then its
final transcript (Whisper, ~0.1-0.25 s later unless it ran early), which replaces the rough words in
``user_text`` and so changes its length. A signal sent at the end of speech would be stale as soon as
the final text came, nearly always. So the signal waits for both: the probability (a worker thread,
~40 ms) and the session having folded the stretch's final transcript. The channel sees that in the
session's log and reads the session's state at that moment: the length is then the text the policy
decides on. If by then the user has gone on (a later stretch has begun) or the agent has taken the
words up, there is no signal: it would be stale or moot.

``TurnAudio`` keeps the sound the model hears: from the onset of the turn's first stretch (with the
segmenter's bit from before it), the quiet between its stretches included, to ``QUIET`` seconds after
its last speech, the newest ``WINDOW`` seconds of that. A stretch begun while the user's words still
await an answer continues the turn (as Pipecat keeps its turn audio until the turn is complete); one
begun after they were taken up starts a new turn. The quiet at the end is always ``QUIET``, whatever
quiet ended the stretch (0.2 or 0.3 s): Smart Turn's answer moves with it (by 0.15 on average between
0.2 and 0.3 s, on Piper's speech), and 0.2 s is what Pipecat gives it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from microturn._core._events import TurnEndSignal
from microturn._core._floor import FloorState
from microturn._voice._protocols import INPUT_RATE

__all__ = ["QUIET", "SOURCE", "WINDOW", "Slot", "TurnAudio", "TurnEndSignals"]

SOURCE = "audio"
"""The ``TurnEndSignal.source`` of the audio end of turn."""
WINDOW = 8.0
"""Seconds of the turn the model hears (Smart Turn's window): its end."""
QUIET = 0.2
"""Seconds of quiet after the last speech the model hears: Pipecat's VAD stops after 0.2 s, then runs it."""
_WAITING = 8
"""At most this many stretches' signals wait to be matched with their final transcript in the log."""


class TurnAudio:
    """The newest ``seconds`` of the turn's sound, quiet between stretches included; PCM ``s16le`` at 16 kHz."""

    def __init__(self, seconds: float = WINDOW) -> None:
        self._limit = 2 * round(seconds * INPUT_RATE)
        self._pcm = bytearray()

    def add(self, frame: bytes) -> None:
        """Every frame heard, in order (kept from the turn's start; the oldest go past the window)."""
        self._pcm += frame
        if len(self._pcm) > 2 * self._limit:
            del self._pcm[: len(self._pcm) - self._limit]

    def restart(self, onset: bytes) -> None:
        """A new turn begins with the stretch whose audio so far is ``onset`` (the last frames added)."""
        del self._pcm[: max(0, len(self._pcm) - len(onset))]

    def take(self, silence: float) -> bytes:
        """The turn's sound to ``QUIET`` s after its last speech (``silence`` s ago), the newest ``seconds`` of it."""
        end = len(self._pcm) - 2 * round(max(0.0, silence - QUIET) * INPUT_RATE)
        return bytes(self._pcm[max(0, end - self._limit) : max(0, end)])


@dataclass(eq=False, slots=True)
class Slot:
    """One stretch's signal in the making: its probability, its final text, and the length it is about."""

    probability: float | None = None
    computed: bool = False
    """The model has run (``probability`` None: it failed or was skipped)."""
    text: str | None = None
    """The final text of the stretch, once it went to the session."""
    upto: int | None = None
    folded: bool = False
    """The session has folded the final text (``upto`` None: no signal, the user went on or was answered)."""


class TurnEndSignals:
    """Each stretch's audio end-of-turn signal, let out once its probability and its place in the turn are known.

    Each ended stretch has a ``Slot``; the listening tasks fill it (``computed``, ``finalised``) and the channel,
    which reads the session's log, says when the session has folded its final text (``folded``). Each returns
    the signal to send when it completes one, else None.
    """

    def __init__(self) -> None:
        self._told: deque[Slot] = deque(maxlen=_WAITING)

    def computed(self, slot: Slot, probability: float | None) -> TurnEndSignal | None:
        """The model said ``probability`` for the slot's stretch (None: it failed)."""
        slot.probability, slot.computed = probability, True
        return _signal(slot)

    def finalised(self, slot: Slot, text: str) -> None:
        """The stretch's final ``text`` went to the session (no words: nothing to judge, no signal)."""
        slot.text = text
        if text:
            self._told.append(slot)

    def folded(self, text: str, state: FloorState) -> TurnEndSignal | None:
        """The session's log shows our final transcript ``text``; ``state`` is the session's state now.

        The oldest stretch told with that text is the one (those told before it were lost on the way).
        """
        match = next((slot for slot in self._told if slot.text == text), None)
        if match is None:
            return None
        while self._told.popleft() is not match:
            pass
        match.folded = True
        if not state.transcripts_pending and not state.user_speaking and state.user_text.strip():
            match.upto = len(state.user_text)
        return _signal(match)


def _signal(slot: Slot) -> TurnEndSignal | None:
    if not (slot.computed and slot.folded) or slot.probability is None or slot.upto is None:
        return None
    return TurnEndSignal(source=SOURCE, probability=round(slot.probability, 4), upto=slot.upto)
