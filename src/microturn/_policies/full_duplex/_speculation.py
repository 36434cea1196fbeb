"""Think while listening, speak while thinking.

While the user is still talking, the words so far may already say which tool the answer needs
("what's the weather in Lisbon"): the call starts then, and is cancelled and redone if the user
revises ("no, in Porto"). At the end of the turn the result is often ready, so the answer comes at
once. If it is not, the agent holds the floor with a short phrase and the answer follows it when the
result arrives, without repeating anything.
"""

from __future__ import annotations

import re

from microturn._actions import Action, CallTool, CancelTool, Dismiss, Reply, Say
from microturn._events import SpeechPurpose, ToolCalled, ToolResult
from microturn._floor import FloorState
from microturn._language import words
from microturn._tools import Risk

__all__ = ["Speculator"]

Key = tuple[str, tuple[tuple[str, str], ...]]  # a tool and its arguments


class Speculator:
    def __init__(self, *, holding: str) -> None:
        self._holding = holding
        self._calls: dict[Key, str | None] = {}  # this turn's calls; the id once the loop has made it
        self._results: dict[str, str] = {}
        self._held: Key | None = None  # the answer waits for this call's result
        self._held_call: str | None = None
        self._question = ""

    def listen(self, state: FloorState) -> list[Action]:
        """Call (or re-call) the tools the user's words so far point at."""
        said = " ".join(token for token in words(state.user_text) if token not in {",", ".", "?", "!"})
        actions: list[Action] = []
        for spec in state.tools:
            if spec.trigger is None or spec.risk is Risk.HIGH:
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

    def called(self, event: ToolCalled) -> None:
        key: Key = (event.tool, tuple(sorted((k, str(v)) for k, v in event.arguments.items())))
        if key in self._calls and self._calls[key] is None:
            self._calls[key] = event.call
        if key == self._held and self._held_call is None:
            self._held_call = event.call

    def result(self, event: ToolResult) -> list[Action]:
        if not event.error:
            self._results[event.call] = event.output
        if self._held is not None and self._held_call == event.call:
            # After "Let me check." the user hears the answer — or that the lookup failed.
            self._held, self._held_call = None, None
            fact = f"I couldn't find that out: {event.output}" if event.error else event.output
            # The answer flows on from the holding phrase, in the same utterance if it is still going.
            return [Reply(text=self._question, facts=(fact,), append=True)]
        return []

    def answer(self, state: FloorState) -> list[Action] | None:
        """At the end of the turn: the answer with the tool's result, or a holding phrase; None if no tool."""
        actions = self.listen(state)
        turn, self._calls = self._calls, {}
        if not turn:
            return None
        key = next(reversed(turn))
        call = turn[key]
        if call is not None and call in self._results:
            return [*actions, Reply(facts=(self._results[call],))]
        self._held, self._held_call = key, call
        self._question = state.user_text
        return [*actions, Dismiss(), Say(self._holding, SpeechPurpose.REPLY)]

    def interrupted(self) -> None:
        """The user started a new turn: an answer still waiting for a result is no longer wanted."""
        self._held, self._held_call = None, None
