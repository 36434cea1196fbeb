"""Action dispatch: what each of the policy's actions does to the session.

The policy decides (sans I/O); this carries it out. Speech goes to the utterances (a reply asks the
model, or takes the reply speculated on the same words), a cleared turn to the floor, a delegated
task is recorded as a job for the background lane, tool calls go to the session's tool calls, and
a Record is recorded as the agent's own. Jobs, tool calls and utterances are numbered in the
session's one sequence, so a replay that takes the same actions gets the same numbers.
"""

from __future__ import annotations

from microturn._core._actions import (
    Action,
    CallTool,
    CancelTool,
    ClearTurn,
    Delegate,
    Hold,
    Record,
    Release,
    Reply,
    Resume,
    Say,
    Stop,
)
from microturn._core._events import Event, JobRequested, SpeechPurpose
from microturn._core._floor import FloorTracker
from microturn._session._anticipation import Anticipation
from microturn._session._model_calls import ModelCalls
from microturn._session._tool_calls import ToolCalls
from microturn._session._utterances import Utterances
from microturn._session._wiring import Hooks

__all__ = ["Dispatch"]


class Dispatch:
    """Carries out the policy's actions, each caused by an event (or by a micro-turn: no cause)."""

    def __init__(
        self,
        floor: FloorTracker,
        utterances: Utterances,
        anticipation: Anticipation,
        models: ModelCalls,
        tool_calls: ToolCalls,
        hooks: Hooks,
    ) -> None:
        self._floor = floor
        self._utterances = utterances
        self._anticipation = anticipation
        self._models = models
        self._tool_calls = tool_calls
        self._hooks = hooks

    async def act(self, action: Action, cause: Event | None) -> None:
        """Carry out ``action``, caused by ``cause`` (none for an action decided at a micro-turn)."""
        match action:
            case Reply():
                await self._reply(action, cause)
            case Say():
                await self._utterances.say(action.text, action.purpose, cause, append=action.append)
            case ClearTurn():
                self._floor.take_user_text()
                self._anticipation.drop()  # the words are taken up without a reply: nobody hears one
            case Resume():
                await self._utterances.resume(cause)
            case Stop():
                await self._utterances.end(action.reason, cause)
            case Hold():
                await self._utterances.hold(cause)
            case Release():
                await self._utterances.release(cause)
            case Record():
                await self._hooks.emit(action.event, cause)
            case Delegate():
                job = f"bg-{self._hooks.number()}"  # "bg-": never clashes with jobs named outside
                requested = JobRequested(job=job, task=action.task, priority=action.priority, deadline=action.deadline)
                await self._hooks.emit(requested, cause)
            case CallTool():
                await self._tool_calls.call(f"call-{self._hooks.number()}", action, cause)
            case CancelTool():
                await self._tool_calls.cancel(action.call, cause)

    async def _reply(self, action: Reply, cause: Event | None) -> None:
        """Answer the user's words (taking them up) or ``action.text``: from the speculation on the same words
        (``_speculation.py``) if there is a usable one and the reply is a plain answer, else by asking the model."""
        speculation = self._anticipation.take()
        taken = self._floor.take_user_text()
        text = taken if action.text is None else action.text
        if action.words is not None:  # the answer is known: said as it is, no model asked
            if speculation is not None:
                speculation.cancel()
            await self._utterances.say(action.words, SpeechPurpose.REPLY, cause, append=action.append, reply_to=text)
            return
        utterance = await self._utterances.open(SpeechPurpose.REPLY, cause, append=action.append, reply_to=text)
        plain = action.text is None and not action.instruction and not action.facts and not action.opening
        if speculation is not None and plain and speculation.matches(taken) and not speculation.failed:
            self._utterances.produce(utterance, speculation.reply())
            return
        if speculation is not None:
            speculation.cancel()
        request = self._hooks.request(text, instruction=action.instruction, facts=action.facts, opening=action.opening)
        asked, chunks = self._models.ask(request)
        await self._hooks.emit(asked, cause)
        self._utterances.produce(utterance, chunks)
