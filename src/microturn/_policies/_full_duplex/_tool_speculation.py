"""Think while listening, speak while thinking.

While the user is still talking, the words so far may already say which tool the answer needs
("what's the weather in Lisbon"): the call starts then, and is cancelled and redone if the user
revises ("no, in Porto"). At the end of the turn the result is often ready, so the answer comes at
once. If it is not, the agent holds the floor with a short phrase and the answer follows it when the
result arrives, without repeating anything.
"""

from __future__ import annotations

import re

from microturn._core._actions import Action, CallTool, CancelTool, ClearTurn, Reply, Say
from microturn._core._events import Event, SpeechPurpose, ToolCalled, ToolResult
from microturn._core._floor import FloorState
from microturn._core._language import words
from microturn._core._tools import Risk
from microturn._policies._full_duplex._feature import Feature

__all__ = ["Speculator"]

Key = tuple[str, tuple[tuple[str, str], ...]]  # a tool and its arguments

_REACH = 256
"""Characters before the newest words that a trigger may still need ("what's the weather | in Lisbon")."""


class Speculator(Feature):
    """The tool calls of this turn: started while the user talks (``listen``), used at its end (``answer``)."""

    follows = (ToolCalled, ToolResult)

    def __init__(self, *, holding: str) -> None:
        self._holding = holding
        self._calls: dict[Key, str | None] = {}  # this turn's calls; the id once the loop has made it
        self._results: dict[str, str] = {}
        self._held: Key | None = None  # the answer waits for this call's result
        self._held_call: str | None = None
        self._question = ""
        self._acting = False  # the held call acts on the world: it waits for the user's yes, across turns

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
        said = " ".join(token for token in words(recent) if token not in {",", ".", "?", "!"})
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
        if key == self._held and self._held_call is None:
            self._held_call = event.call

    def result(self, event: ToolResult) -> list[Action]:
        # A failure is an answer too: the end of the turn must not wait for a result that came already.
        failed = "I didn't do it" if self._acting and self._held_call == event.call else "I couldn't find that out"
        fact = f"{failed}: {event.output}" if event.error else event.output
        self._results[event.call] = fact
        if self._held is not None and self._held_call == event.call:
            self._acting = False
            # After "Let me check." the user hears the answer — or that the lookup failed.
            self._held, self._held_call = None, None
            # The answer flows on from the holding phrase, in the same utterance if it is still going.
            return [Reply(text=self._question, facts=(fact,), append=True)]
        return []

    def answer(self, state: FloorState) -> list[Action] | None:
        """At the end of the turn: the answer with the tool's result, or a holding phrase; None if no tool."""
        actions = self.listen(state, acting=True)
        turn, self._calls = self._calls, {}
        if not turn:
            return None
        key = next(reversed(turn))
        call = turn[key]
        if call is not None and call in self._results:
            return [*actions, Reply(facts=(self._results[call],))]
        self._held, self._held_call = key, call
        self._question = state.user_text
        self._acting = any(spec.name == key[0] and spec.risk is Risk.HIGH for spec in state.tools)
        if self._acting:
            return [*actions, ClearTurn()]  # no holding phrase: the agent asks before it acts, then answers
        return [*actions, ClearTurn(), Say(self._holding, SpeechPurpose.REPLY)]

    def interrupted(self) -> None:
        """The user started a new turn: an answer still waiting for a lookup is no longer wanted (one waiting
        for the user's yes is: that turn is their answer)."""
        if not self._acting:
            self._held, self._held_call = None, None
