"""The turn-based baseline: what most agents do today, kept for side-by-side comparison.

It waits for the end of the user's input, then answers: Enter ends typed input; spoken input ends
after ``end_silence`` seconds without a word. It never backchannels, never interjects, and stops
talking only when cut off.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from microturn._core._actions import Action, Reply, Stop
from microturn._core._events import EndReason, Event, UserInput
from microturn._core._floor import FloorState
from microturn._policies._base import MicroTurn
from microturn.errors import ConfigError

__all__ = ["TurnBasedPolicy"]


class TurnBasedPolicy:
    """The baseline: answer once the user's input has ended, as most agents do; stop only when cut off.

    Typed input ends with Enter, spoken input after ``end_silence`` seconds without a word. It never
    backchannels or interjects. It is there to compare with: ``Agent(policy="turn-based")``, or
    ``microturn eval --compare full-duplex,turn-based scenarios``.
    """

    name: ClassVar[str] = "turn-based"

    def __init__(self, *, end_silence: float = 0.8) -> None:
        if end_silence <= 0:
            raise ConfigError(f"end_silence must be positive, got {end_silence}")
        self.end_silence = end_silence
        self.options = {"end_silence": end_silence}  # recorded in the log, so a replay rebuilds this policy

    def react(self, state: FloorState, event: Event) -> Sequence[Action]:
        if isinstance(event, UserInput) and event.addressed and state.agent_speaking:
            return (Stop(EndReason.INTERRUPTED),)
        return ()

    def wake_at(self, state: FloorState) -> float | None:
        return None  # it decides on the tick grid only

    def decide(self, state: FloorState, turn: MicroTurn) -> Sequence[Action]:
        if state.agent_speaking or state.user_active or not state.user_text.strip() or state.transcripts_pending:
            return ()  # (in voice, the reply answers the final transcript of the user's speech)
        if state.user_submitted or (not state.user_typing and state.user_silent_for >= self.end_silence):
            return (Reply(),)
        return ()
