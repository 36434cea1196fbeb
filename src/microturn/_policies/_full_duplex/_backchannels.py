"""The agent's backchannels ("mm-hm", "yeah") at pauses inside a long user turn: rate-limited, never over the user.

One is due when the user has spoken ``after`` seconds in this turn, has paused ``pause`` seconds after
unfinished words (finished words end the turn instead), and the last backchannel was ``gap`` seconds
ago or more.
"""

from __future__ import annotations

from microturn._core._actions import Action, Say
from microturn._core._events import SpeechPurpose
from microturn._core._floor import FloorState
from microturn._core._language import Shape, shape

__all__ = ["Backchannels"]

WORDS = ("mm-hm", "yeah", "right", "okay")
"""Said in turn, one at a time."""


class Backchannels:
    def __init__(self, *, after: float, pause: float, gap: float) -> None:
        self._after = after
        self._pause = pause
        self._gap = gap
        self._count = 0
        self._last = float("-inf")

    def decide(self, state: FloorState, *, speech: float | None, turn_over: bool) -> list[Action]:
        """A backchannel if one is due now. ``speech``: seconds of speech in the user's open turn (None: none)."""
        if not self._possible(state, speech):  # first: between turns it is the cheapest check that fails
            return []
        if turn_over or state.user_active or state.user_silent_for + 1e-9 < self._pause:
            return []
        self._last = state.now
        self._count += 1
        return [Say(WORDS[(self._count - 1) % len(WORDS)], SpeechPurpose.BACKCHANNEL)]

    def moment(self, state: FloorState, *, speech: float | None) -> float | None:
        """When a backchannel will be due if the user stays quiet."""
        return state.user_active_until + self._pause if self._possible(state, speech) else None

    def _possible(self, state: FloorState, speech: float | None) -> bool:
        return (
            speech is not None
            and speech >= self._after
            and not state.agent_speaking
            and shape(state.user_text) is Shape.INCOMPLETE
            and state.now - self._last >= self._gap
        )
