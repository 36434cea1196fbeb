"""Think while listening, speak while thinking.

While the user is still talking, the words so far may already say which tool the answer needs
("what's the weather in Lisbon"): the call starts then, and is cancelled and redone if the user
revises ("no, in Porto"). At the end of the turn the result is often ready, so the answer comes at
once. If it is not, the agent holds the floor with a short phrase and the answer follows it when the
result arrives, without repeating anything. A result reaches the talking model as a fact said in words
(``speakable``): no timestamp, JSON or tool syntax is ever read aloud.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from microturn._core._actions import Action, CallTool, CancelTool, ClearTurn, Reply, Say
from microturn._core._events import Event, SpeechPurpose, ToolCalled, ToolResult
from microturn._core._floor import FloorState
from microturn._core._language import words
from microturn._core._speakable import speakable
from microturn._core._tools import Risk
from microturn._policies._full_duplex._feature import Feature

__all__ = ["Speculator"]

Key = tuple[str, tuple[tuple[str, str], ...]]  # a tool and its arguments

_REACH = 256
"""Characters before the newest words that a trigger may still need ("what's the weather | in Lisbon")."""
GRACE = 0.15
"""How long an answer waits for a lookup still under way before the agent holds the floor: a typed question's
last word completes only at Enter, so its tool is called then, and a calculator's or a clock's result is back
well within this; "Let me check." is for a lookup that takes time."""


class Speculator(Feature):
    """The tool calls of this turn: started while the user talks (``listen``), used at its end (``answer``)."""

    follows = (ToolCalled, ToolResult)

    def __init__(self, *, holding: str, spoken: Iterable[str] = ()) -> None:
        """``spoken``: the tools whose result is itself the answer, said as it is ("17 times 23 is 391.", "It's
        8:57 in the morning in Tokyo."): a small model handed such a fact may still answer with its own last line."""
        self._holding = holding
        self._spoken = frozenset(spoken)
        self._calls: dict[Key, str | None] = {}  # this turn's calls; the id once the loop has made it
        self._results: dict[str, str] = {}
        self._started: dict[str, float] = {}  # when each call of this turn was made
        self._held: Key | None = None  # the answer waits for this call's result
        self._held_call: str | None = None
        self._question = ""
        self._acting = False  # the held call acts on the world: it waits for the user's yes, across turns
        self._hold_at: float | None = None  # when to say the holding phrase if the result has not come

    def listen(self, state: FloorState, *, fresh: int | None = None, acting: bool = False) -> list[Action]:
        """Call (or re-call) the tools the user's words so far point at; the last ``fresh`` characters are new.

        While the user talks only lookups run; once the turn is over (``acting``), a high-risk tool the words
        point at is called too — the loop then asks the user, and only a clear yes runs it.

        Only the new words and the ``_REACH`` characters before them are read (all of them if ``fresh`` is
        None): a mention further back was acted on when it was new, and reading the whole turn at every
        word would make a long turn quadratic.
        """
        text = state.user_text
        recent = text if fresh is None else text[-(fresh + _REACH) :]
        if len(recent) < len(text):
            recent = recent[recent.find(" ") + 1 :]  # not the word the cut split
        said = " ".join(token for token in words(recent, arithmetic=True) if token not in {",", ".", "?", "!"})
        actions: list[Action] = []
        for spec in state.tools:
            if spec.trigger is None or (spec.risk is Risk.HIGH and not acting):
                continue  # speculation is for lookups: nothing that acts on the world runs early
            matches = list(re.finditer(spec.trigger, said))
            if not matches:
                continue
            found = matches[-1]  # the latest mention wins: "in Paris, no, in London"
            key: Key = (spec.name, tuple(sorted((k, v) for k, v in found.groupdict().items() if v)))
            if key in self._calls:
                continue
            for old, call in list(self._calls.items()):
                if old[0] == spec.name:  # the user revised: that call's premise is gone
                    del self._calls[old]
                    if call is not None:
                        actions.append(CancelTool(call))
            self._calls[key] = None
            actions.append(CallTool(spec.name, dict(key[1])))
        return actions

    def react(self, state: FloorState, event: Event) -> list[Action]:
        if isinstance(event, ToolCalled):
            self.called(event)
        elif isinstance(event, ToolResult):
            return self.result(event)
        return []

    def called(self, event: ToolCalled) -> None:
        key: Key = (event.tool, tuple(sorted((k, str(v)) for k, v in event.arguments.items())))
        if key in self._calls and self._calls[key] is None:
            self._calls[key] = event.call
            self._started[event.call] = event.t
        if key == self._held and self._held_call is None:
            self._held_call = event.call

    def result(self, event: ToolResult) -> list[Action]:
        if event.call != self._held_call and event.call not in self._calls.values():
            return []  # not this turn's: a background job's call, or one the user's revision replaced
        # A failure is an answer too: the end of the turn must not wait for a result that came already.
        failed = "I didn't do it" if self._acting and self._held_call == event.call else "I couldn't find that out"
        fact = f"{failed}: {speakable(event.output)}" if event.error else speakable(event.output)
        self._results[event.call] = fact
        if self._held is not None and self._held_call == event.call:
            held = self._held
            self._acting = False
            # After "Let me check." (or within its grace, instead of it) the user hears the answer — or that
            # the lookup failed.
            self._held, self._held_call, self._hold_at = None, None, None
            # The answer flows on from the holding phrase, in the same utterance if it is still going.
            if held[0] in self._spoken:
                return [Reply(text=self._question, words=fact, append=True)]
            return [Reply(text=self._question, facts=(fact,), append=True)]
        return []

    def answer(self, state: FloorState) -> list[Action] | None:
        """At the end of the turn: the answer with the tool's result, or a holding phrase; None if no tool."""
        actions = self.listen(state, acting=True)
        # This turn's calls, results and start times: the next turn starts with none of them.
        turn, results, started_at = self._calls, self._results, self._started
        self._calls, self._results, self._started = {}, {}, {}
        if not turn:
            return None
        key = next(reversed(turn))
        call = turn[key]
        if call is not None and call in results:
            fact = results[call]
            if key[0] in self._spoken:
                return [*actions, Reply(words=fact)]
            return [*actions, Reply(facts=(fact,))]
        self._held, self._held_call = key, call
        self._question = state.user_text
        self._acting = any(spec.name == key[0] and spec.risk is Risk.HIGH for spec in state.tools)
        if self._acting:
            return [*actions, ClearTurn()]  # no holding phrase: the agent asks before it acts, then answers
        started = state.now if call is None else started_at.get(call, state.now)
        if state.now + 1e-9 >= started + GRACE:  # under way since the user said it, and still not back: slow
            return [*actions, ClearTurn(), Say(self._holding, SpeechPurpose.REPLY)]
        self._hold_at = round(started + GRACE, 6)  # called just now: give it its grace (whole microseconds)
        return [*actions, ClearTurn()]

    def hold(self, state: FloorState) -> list[Action]:
        """The holding phrase, once the grace is over and the answer still waits for its lookup."""
        if self._hold_at is None or state.now + 1e-9 < self._hold_at:
            return []
        self._hold_at = None
        return [Say(self._holding, SpeechPurpose.REPLY)] if self._held is not None else []

    def moments(self, state: FloorState) -> list[float]:
        return [] if self._hold_at is None else [self._hold_at]

    def interrupted(self) -> None:
        """The user started a new turn: an answer still waiting for a lookup is no longer wanted (one waiting
        for the user's yes is: that turn is their answer)."""
        if not self._acting:
            self._held, self._held_call, self._hold_at = None, None, None
