"""Turns a scenario's script into timed input, polled by the session loop in event time."""

from __future__ import annotations

import heapq
import itertools
import re
from dataclasses import dataclass, field

import msgspec

from microturn._core._codec import decode_event
from microturn._core._events import (
    EndSession,
    Event,
    JobProgress,
    JobResult,
    Modality,
    Note,
    UserErase,
    UserInput,
    UserSubmit,
)
from microturn._core._floor import FloorState
from microturn._eval._format import Scenario, Step, Trigger
from microturn.errors import CodecError, ScenarioError

__all__ = ["Mark", "ScriptSource"]

_PAUSE = re.compile(r"<pause\s+(\d+(?:\.\d+)?)>")
_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class Mark:
    """When a step's input started and ended (the end of its last word, keystroke or Enter)."""

    start: float
    end: float
    inputs: tuple[tuple[float, str], ...] = field(default=(), compare=False)
    """Each piece of text the step put in (a word, a keystroke), with its time."""


@dataclass(order=True, slots=True)
class _Planned:
    t: float
    order: int
    item: Event | bytes = field(compare=False)


class ScriptSource:
    """A :class:`~microturn.Source` that plays a scenario's script, including agent-relative triggers."""

    def __init__(self, scenario: Scenario, *, name: str = "scenario") -> None:
        self._name = name
        self._scenario = scenario
        self._queue: list[_Planned] = []
        self._order = itertools.count()
        self._waiting: list[Step] = []
        self._planned_inputs: list[tuple[float, str]] = []
        self.marks: dict[str, Mark] = {}
        for step in scenario.script:
            self._single(step, 0.0)  # validate every step's input now, not when a trigger fires
            if step.at is not None:
                self._plan(step, step.at + step.delay)
            else:
                self._waiting.append(step)
        self._push(scenario.duration, EndSession(reason="scenario over", t=scenario.duration))

    @property
    def name(self) -> str:
        return self._name

    def next_awake(self, state: FloorState) -> float | None:
        for step in tuple(self._waiting):
            assert step.when is not None
            if _fired(step.when, state):
                self._waiting.remove(step)
                self._plan(step, state.now + step.delay)
        return self._queue[0].t if self._queue else None

    def poll(self, now: float, state: FloorState) -> list[Event | bytes]:
        due: list[Event | bytes] = []
        while self._queue and self._queue[0].t <= now + _EPSILON:
            due.append(heapq.heappop(self._queue).item)
        return due

    def _push(self, t: float, item: Event | bytes) -> None:
        if isinstance(item, UserInput):
            self._planned_inputs.append((round(t, 6), item.text))
        heapq.heappush(self._queue, _Planned(round(t, 6), next(self._order), item))

    def _plan(self, step: Step, start: float) -> None:
        first = len(self._planned_inputs)
        end = self._expand(step, start)
        if step.submit:
            self._push(end, UserSubmit(t=round(end, 6)))
        if step.id is not None:
            inputs = tuple(self._planned_inputs[first:])
            self.marks[step.id] = Mark(start=round(start, 6), end=round(end, 6), inputs=inputs)

    def _expand(self, step: Step, t: float) -> float:
        """Schedule the step's input from ``t``; return when it ends."""
        if step.say is not None:
            # split() with a capturing group alternates: text, pause seconds, text, ...
            for index, token in enumerate(_PAUSE.split(step.say)):
                if index % 2:
                    t += float(token)
                    continue
                for word in token.split():
                    spoken = UserInput(
                        text=word,
                        modality=Modality.SPOKEN,
                        duration=step.rate,
                        addressed=not step.aside,
                        t=round(t, 6),
                    )
                    self._push(t, spoken)
                    t += step.rate
            return t
        if step.type is not None:
            if step.cps == 0:
                self._push(t, UserInput(text=step.type, t=round(t, 6)))
                return t
            interval = 1.0 / step.cps
            for char in step.type:
                self._push(t, UserInput(text=char, duration=round(interval, 6), t=round(t, 6)))
                t += interval
            return t
        item = self._single(step, round(t, 6))
        if item is not None:
            self._push(t, item)
        return t

    def _single(self, step: Step, t: float) -> Event | bytes | None:
        try:
            if step.erase is not None:
                return UserErase(count=step.erase, t=t)
            if step.event is not None:
                event = decode_event(msgspec.json.encode({"v": 1, "e": step.event}))
                return event if event.t >= 0 else msgspec.structs.replace(event, t=t)
            if step.raw is not None:
                return step.raw.encode()
            if step.result is not None:
                return msgspec.convert({**step.result, "t": t}, JobResult)
            if step.progress is not None:
                return msgspec.convert({**step.progress, "t": t}, JobProgress)
            if step.note is not None:
                return Note(text=step.note, t=t)
        except (CodecError, msgspec.ValidationError) as exc:
            raise ScenarioError(f"scenario {self._scenario.name!r}: bad step input: {exc}", path=self._name) from None
        return None  # a bare 'submit: true' step


def _fired(trigger: Trigger, state: FloorState) -> bool:
    if state.agent_turns < trigger.utterance:
        return False
    if state.agent_turns > trigger.utterance:
        return True  # that utterance is already over
    if trigger.agent == "ends":
        return state.agent_utterance is None
    return len(state.agent_delivered) >= trigger.words
