"""The agent's backchannels ("mm-hm", "yeah") at pauses inside a long user turn: rate-limited, never over the user.

One is due when the user has spoken ``after`` seconds in this turn, has paused ``pause`` seconds where the
policy's turn-end judge says a backchannel fits (the rules: after unfinished words, since finished words end
the turn instead; learned: in a turn that went on after a pause and is not over), and the last backchannel was
``gap`` seconds ago or more.
"""

from __future__ import annotations

from typing import Protocol

from microturn._core._actions import Action, Say
from microturn._core._events import SpeechPurpose
from microturn._core._floor import FloorState

__all__ = ["Backchannels", "OpenTurn"]

WORDS = ("mm-hm", "yeah", "right", "okay")
"""Said in turn, one at a time."""


class OpenTurn(Protocol):
    """What backchannels read of the user's turn (``Turn``)."""

    @property
    def speech(self) -> float | None:
        """Seconds of speech in the open turn; None between turns."""
        ...

    def listening(self, state: FloorState) -> bool:
        """A backchannel fits a pause after the words so far."""
        ...


class Backchannels:
    def __init__(self, turn: OpenTurn, *, after: float, pause: float, gap: float) -> None:
        self._turn = turn
        self._after = after
        self._pause = pause
        self._gap = gap
        self._count = 0
        self._last = float("-inf")

    def decide(self, state: FloorState, *, turn_over: bool) -> list[Action]:
        """A backchannel if one is due now."""
        if not self._possible(state):  # first: between turns it is the cheapest check that fails
            return []
        if turn_over or state.user_active or state.user_silent_for + 1e-9 < self._pause:
            return []
        self._last = state.now
        self._count += 1
        return [Say(WORDS[(self._count - 1) % len(WORDS)], SpeechPurpose.BACKCHANNEL)]

    def moment(self, state: FloorState) -> float | None:
        """When a backchannel will be due if the user stays quiet."""
        return state.user_active_until + self._pause if self._possible(state) else None

    def _possible(self, state: FloorState) -> bool:
        speech = self._turn.speech
        return (
            speech is not None
            and speech >= self._after
            and not state.agent_speaking
            and state.now - self._last >= self._gap
            and self._turn.listening(state)
        )
