"""The sans-I/O policy interface: state and input in, actions out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from microturn._core._actions import Action
from microturn._core._events import Event
from microturn._core._floor import FloorState

__all__ = ["MicroTurn", "Policy"]


@dataclass(frozen=True, slots=True)
class MicroTurn:
    """One tick's worth of input: the events handled in ``[start, end)``."""

    index: int
    start: float
    end: float
    events: tuple[Event, ...]


class Policy(Protocol):
    """Decides what the agent does. Pure: no clock, no bus, no model; only the arguments.

    ``react`` runs for each event as it is handled, for what cannot wait for the tick (barge-in);
    ``decide`` runs once per micro-turn, and also at the moment ``wake_at`` names (a timer, an
    end-of-turn deadline), so timing does not depend on the tick grid.
    """

    name: ClassVar[str]

    def react(self, state: FloorState, event: Event) -> Sequence[Action]: ...

    def decide(self, state: FloorState, turn: MicroTurn) -> Sequence[Action]: ...

    def wake_at(self, state: FloorState) -> float | None:
        """The next moment (session time) to decide at between ticks, if any."""
        ...
