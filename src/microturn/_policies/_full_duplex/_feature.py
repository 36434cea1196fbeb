"""What every feature of the full-duplex policy answers to, so the policy can treat them alike.

A feature (timers, cues, live modes, background jobs, approvals, tool speculation) keeps the state it
needs and is shown only the floor state and what concerns it: events, the user's requests, the clock.
It never sees the policy. The policy calls these three methods on every feature in the same way;
what a feature does beyond them (hear the user's words, speak at a pause) the policy calls by name,
because *when* it runs is the policy's order of precedence, not the feature's.
"""

from __future__ import annotations

from microturn._core._actions import Action
from microturn._core._events import Event
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._intents import Intent

__all__ = ["Feature", "Names"]


class Feature:
    """The shared interface. Each default means "nothing of this feature's", so a feature overrides only its own."""

    def react(self, state: FloorState, event: Event) -> list[Action]:
        """Follow an event as it is handled (the user's own input goes to the turn-taking core instead)."""
        return []

    def handle(self, state: FloorState, intent: Intent) -> list[Action] | None:
        """Carry out a request the user's turn made, if it is this feature's; None if it is not."""
        return None

    def moments(self, state: FloorState) -> list[float]:
        """When this feature next needs a decision (session seconds), so the loop wakes the policy then."""
        return []


class Names:
    """Names for what the user sets up ("timer-1", "cue-2"): one count across kinds, in the order set.

    The names are in the log, so timers and cues share one counter, as they always have.
    """

    def __init__(self) -> None:
        self._count = 0

    def new(self, kind: str) -> str:
        self._count += 1
        return f"{kind}-{self._count}"
