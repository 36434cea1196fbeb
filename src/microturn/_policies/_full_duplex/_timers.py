"""Timers the user set ("remind me in 30 seconds", "every 10 seconds say tick"): on time, never over anyone."""

from __future__ import annotations

from dataclasses import dataclass

from microturn._core._actions import Action, ClearTurn, Record, Say
from microturn._core._events import TimerCancelled, TimerFired, TimerSet
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._feature import Feature, Names
from microturn._policies._full_duplex._intents import Request, StopTimers, TimerRequest

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


class Timers(Feature):
    """The user's timers: set and stopped by request, fired first of anything the agent says (``fire``)."""

    def __init__(self, names: Names) -> None:
        self._names = names
        self._timers: dict[str, _Timer] = {}

    def handle(self, state: FloorState, intent: Request) -> list[Action] | None:
        """Set a timer (due its seconds after the request's last word), or stop them all."""
        if isinstance(intent, TimerRequest):
            name, due = self._names.new("timer"), round(state.user_active_until + intent.seconds, 6)
            self._timers[name] = _Timer(name, due, intent)
            timer_set = TimerSet(timer=name, due=due, text=intent.text, every=intent.every)
            return [ClearTurn(), Record(timer_set), Say(intent.ack)]
        if isinstance(intent, StopTimers):
            stopped: list[Action] = [Record(TimerCancelled(timer=name)) for name in self._timers]
            self._timers.clear()
            return [ClearTurn(), *stopped, Say("Okay, timers stopped." if stopped else "There is no timer.")]
        return None

    def moments(self, state: FloorState) -> list[float]:
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
            # A second text due at once follows the first in its utterance, a word apart from it.
            said = Say(" " + text, append=True) if actions else Say(text)
            actions += [Record(TimerFired(timer=name, text=text)), said]
            if request.every is None:
                del self._timers[name]
            else:
                timer.scheduled = round(timer.scheduled + request.every, 6)
                timer.due = max(timer.scheduled, state.now)
        return actions
