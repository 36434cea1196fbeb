"""Timers the user set ("remind me in 30 seconds", "every 10 seconds say tick"): on time, never over anyone."""

from __future__ import annotations

from dataclasses import dataclass

from microturn._core._actions import Action, Record, Say
from microturn._core._events import TimerCancelled, TimerFired, TimerSet
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._intents import TimerRequest

__all__ = ["Timers"]

PAUSE = 0.3
"""A timer due while the user talks waits for a pause this long (not the gap between two words)."""


@dataclass
class _Timer:
    name: str
    scheduled: float
    """When it is due by its schedule (a repeating timer keeps to it even if one firing waited)."""
    request: TimerRequest
    due: float = 0.0
    """When it will fire: the schedule, or later while the user or the agent is talking."""
    fired: int = 0

    def __post_init__(self) -> None:
        self.due = self.scheduled


class Timers:
    def __init__(self) -> None:
        self._timers: dict[str, _Timer] = {}

    def set(self, name: str, request: TimerRequest, *, due: float) -> Action:
        self._timers[name] = _Timer(name, round(due, 6), request)
        return Record(TimerSet(timer=name, due=round(due, 6), text=request.text, every=request.every))

    def cancel_all(self) -> list[Action]:
        cancelled: list[Action] = [Record(TimerCancelled(timer=name)) for name in self._timers]
        self._timers.clear()
        return cancelled

    def moments(self) -> list[float]:
        return [timer.due for timer in self._timers.values()]

    @property
    def held_back(self) -> bool:
        """A timer is overdue because it waited for the user (or the agent) to finish: it speaks next."""
        return any(timer.due > timer.scheduled for timer in self._timers.values())

    def fire(self, state: FloorState) -> list[Action]:
        """Say every timer that is due, unless someone is talking: then right after them."""
        actions: list[Action] = []
        for name, timer in list(self._timers.items()):
            if state.now + 1e-9 < timer.due:
                continue
            if state.last_user_input is not None and state.user_silent_for + 1e-9 < PAUSE:
                timer.due = round(max(state.now, state.user_active_until + PAUSE), 6)
                continue
            if state.agent_speaking and not actions:
                continue  # nor over the agent's own answer: right after it (the next micro-turn)
            timer.fired += 1
            request = timer.request
            text = request.text or f"{timer.fired * (request.every or 0):g} seconds."
            actions += [Record(TimerFired(timer=name, text=text)), Say(text, append=bool(actions))]
            if request.every is None:
                del self._timers[name]
            else:
                timer.scheduled = round(timer.scheduled + request.every, 6)
                timer.due = max(timer.scheduled, state.now)
        return actions
