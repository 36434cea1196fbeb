"""When the user's turn ends if nothing more comes: the one place that asks whether they are done.

A silence ends the turn; how long a silence is the policy's :class:`TurnEnd` to judge (``_decisions``), from
the words so far, whether they were typed, this speaker's pauses within turns, the agent's line before the
turn, where the turn last went on after a pause, and the detectors' probabilities the session sends in
(``TurnEndSignal``, kept per source while they are about the words as they are). This class gathers all that
from the user's input (the rules: a short wait after a complete sentence, a longer one after a trailing "and",
adapted to those pauses; typed input waits longer unless Enter ends it first). The judge also says whether a
backchannel fits the pause (``listening``).
"""

from __future__ import annotations

from collections import deque

from microturn._core._events import TurnEndSignal
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._decisions import ModelReading, TurnEnd, TurnEndContext, TurnEndEstimate

__all__ = ["EndOfTurn"]

SHORTEST_PAUSE = 0.3
"""A silence inside a turn shorter than this is the gap between two words, not a pause to learn from."""
MODEL: ModelReading = "model"
SERVER: ModelReading = "server"
AUDIO = "audio"
"""The sources of the signals a judge reads (``TurnEndSignal.source``): the conversation model's reading, its own
or a server's (``ModelReading``: a session's model gives one kind), and the audio detector's."""


class EndOfTurn:
    def __init__(self, turn_end: TurnEnd) -> None:
        self._turn_end = turn_end
        self._pauses: deque[float] = deque(maxlen=8)  # pauses inside turns: they teach the wait
        self._agent_line = ""
        self._stretch_start = 0
        self._signals: dict[str, TurnEndSignal] = {}
        # Asked at every input and every pass of the loop: the judgement of the words as they are is kept
        # until they, whether they are typed, or what else it reads, change.
        self._latest: tuple[str, bool, TurnEndEstimate] | None = None

    def begin(self, state: FloorState) -> None:
        """A turn begins: what the agent said last is what it answers; no pause in it, no signal about it yet."""
        self._agent_line = " ".join(state.agent_delivered)
        self._stretch_start = 0
        self._signals.clear()
        self._latest = None

    def paused(self, gap: float, *, at: int) -> None:
        """The user went on after ``gap`` seconds of silence, their new words starting at ``at`` in the turn's
        text: that was a pause, not the end of their turn."""
        if gap >= SHORTEST_PAUSE:
            self._pauses.append(gap)
            self._stretch_start = at
            self._latest = None

    def signal(self, state: FloorState, event: TurnEndSignal) -> bool:
        """Keep a detector's probability if it is about the words as they are now; say whether it was kept."""
        if event.upto != len(state.user_text):
            return False  # the user has said more (or the final transcript came) since: stale
        self._signals[event.source] = event
        self._latest = None
        return True

    def deadline(self, state: FloorState, *, typed: bool) -> float:
        """When the user's turn ends if nothing more comes, judging by their words so far."""
        return state.user_active_until + self._estimate(state, typed).wait

    def listening(self, state: FloorState, *, typed: bool) -> bool:
        """A backchannel fits a pause after the words so far."""
        return self._estimate(state, typed).backchannel

    def _estimate(self, state: FloorState, typed: bool) -> TurnEndEstimate:
        text = state.user_text
        latest = self._latest
        if latest is not None and latest[0] == text and latest[1] == typed:
            return latest[2]
        source, said = self._model_reading(len(text))
        context = TurnEndContext(
            typed=typed,
            pauses=self._pauses,
            model_end_probability=said,
            model_end_source=source,
            audio_end_probability=self._probability(AUDIO, len(text)),
            agent_line=self._agent_line,
            stretch_start=self._stretch_start if self._stretch_start < len(text) else 0,
        )
        estimate = self._turn_end.estimate(text, context)
        self._latest = (text, typed, estimate)
        return estimate

    def _model_reading(self, upto: int) -> tuple[ModelReading, float | None]:
        """The conversation model's reading of the words as they are, if any, and its kind."""
        for source in (MODEL, SERVER):
            probability = self._probability(source, upto)
            if probability is not None:
                return source, probability
        return MODEL, None

    def _probability(self, source: str, upto: int) -> float | None:
        signal = self._signals.get(source)
        return signal.probability if signal is not None and signal.upto == upto else None
