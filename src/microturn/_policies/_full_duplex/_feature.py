"""What every feature of the full-duplex policy answers to, so the policy can treat them alike.

A feature (timers, cues, live modes, background jobs, approvals, tool speculation) keeps the state it
needs and is shown only the floor state and what concerns it: the event kinds it follows, the user's
requests, the clock. It never sees the policy. The policy calls these three methods on every feature
in the same way (through :class:`Features`); what a feature does beyond them (hear the user's words,
speak at a pause) the policy calls by name, because *when* it runs is the policy's order of precedence,
not the feature's.
"""

from __future__ import annotations

from typing import ClassVar

from microturn._core._actions import Action
from microturn._core._events import Event
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._intents import Request

__all__ = ["Feature", "Features", "Names"]


class Feature:
    """The shared interface. Each default means "nothing of this feature's", so a feature overrides only its own."""

    follows: ClassVar[tuple[type[Event], ...]] = ()
    """The event kinds ``react`` follows: the policy shows the feature only these."""

    def react(self, state: FloorState, event: Event) -> list[Action]:
        """Follow an event as it is handled (the user's own input goes to the turn-taking core instead)."""
        return []

    def handle(self, state: FloorState, intent: Request) -> list[Action] | None:
        """Carry out a request the user's turn made, if it is this feature's; None if it is not."""
        return None

    def moments(self, state: FloorState) -> list[float]:
        """When this feature next needs a decision (session seconds), so the loop wakes the policy then."""
        return []


class Features:
    """The policy's features, in their order of precedence, asked the way the session loop's hot path can afford.

    The policy is asked for its next moment at least once a pass and shown every event, in every session
    of a process: so an event goes only to the features that follow its kind, and only the features that
    have moments of their own are asked for them.
    """

    def __init__(self, *features: Feature) -> None:
        self._features = features
        self._timed = tuple(feature for feature in features if type(feature).moments is not Feature.moments)
        self._followers: dict[type[Event], tuple[Feature, ...]] = {}

    def react(self, state: FloorState, event: Event) -> list[Action]:
        """Show ``event`` to the features that follow its kind, in order; what they do about it."""
        kind = type(event)
        followers = self._followers.get(kind)
        if followers is None:
            followers = self._followers[kind] = tuple(f for f in self._features if issubclass(kind, f.follows))
        if not followers:
            return []
        return [action for feature in followers for action in feature.react(state, event)]

    def handle(self, state: FloorState, intent: Request) -> list[Action] | None:
        """The first feature's that carries out ``intent``; None if it is no feature's."""
        for feature in self._features:
            handled = feature.handle(state, intent)
            if handled is not None:
                return handled
        return None

    def moments(self, state: FloorState) -> list[float]:
        """Every feature's next moments."""
        moments: list[float] = []
        for feature in self._timed:
            moments += feature.moments(state)
        return moments


class Names:
    """Names for what the user sets up ("timer-1", "cue-2"): one count across kinds, in the order set.

    The names are in the log, so timers and cues share one counter, as they always have.
    """

    def __init__(self) -> None:
        self._count = 0

    def new(self, kind: str) -> str:
        self._count += 1
        return f"{kind}-{self._count}"
