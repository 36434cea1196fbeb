"""What the runtime itself does about each event it records, before the policy reacts to it.

A stop from the user stops the agent's speech; the user's answer to an approval runs or refuses the
waiting tool call; a tool's result ends its call; what the model channel delivered goes to the reply
reading it; a speech engine's failure is said in plain words (at most once a turn: ``_apologies.py``);
what changes the user's words (typed, erased, said, or a final transcript) makes a reply speculated on
other words useless and has the model read the new ones; a detector's reading that the user's turn is
probably over may start a speculation at once (``_anticipation.py``).
"""

from __future__ import annotations

from microturn._core._actions import Say, Stop
from microturn._core._events import (
    ApprovalDecided,
    ComponentFailed,
    EndReason,
    Event,
    Modality,
    ModelChunk,
    ModelEnded,
    SpeechPurpose,
    StopOutput,
    ToolResult,
    TurnEndSignal,
    UserErase,
    UserInput,
    UserTranscript,
)
from microturn._core._floor import FloorTracker
from microturn._session._anticipation import Anticipation
from microturn._session._apologies import Apologies
from microturn._session._dispatch import Dispatch
from microturn._session._model_calls import MODEL, ModelCalls
from microturn._session._tool_calls import ToolCalls

__all__ = ["Reactions"]


class Reactions:
    """The runtime's own reactions to recorded events; the policy's come after them."""

    def __init__(
        self,
        floor: FloorTracker,
        dispatch: Dispatch,
        anticipation: Anticipation,
        tool_calls: ToolCalls,
        models: ModelCalls,
        apologies: Apologies,
    ) -> None:
        self._floor = floor
        self._dispatch = dispatch
        self._anticipation = anticipation
        self._tool_calls = tool_calls
        self._models = models
        self._apologies = apologies

    async def react(self, stored: Event, *, own: bool) -> None:
        """React to ``stored``, just recorded (``own``: it is something the agent did)."""
        if isinstance(stored, UserInput | UserErase) or (isinstance(stored, UserTranscript) and stored.final):
            self._anticipation.heard(self._floor.state, word_end=_word_end(stored))
        if isinstance(stored, TurnEndSignal):
            await self._anticipation.signalled(stored)
        if isinstance(stored, StopOutput):
            await self._dispatch.act(Stop(EndReason.STOPPED), stored)
        if isinstance(stored, ApprovalDecided) and own:
            await self._tool_calls.decided(stored)  # only the interaction layer's own record decides
        if isinstance(stored, ToolResult):
            self._tool_calls.finished(stored)
        if isinstance(stored, ModelChunk | ModelEnded) and stored.source == MODEL:
            self._models.received(stored)  # only what the model channel delivered is the model's output
        if isinstance(stored, ComponentFailed):
            state = self._floor.state
            apology = self._apologies.for_event(stored, state.user_turns, heard=bool(state.user_text.strip()))
            if apology is not None:
                await self._dispatch.act(Say(apology, SpeechPurpose.ANNOUNCE, append=True), stored)


def _word_end(event: UserInput | UserErase | UserTranscript) -> bool:
    """Does the user's text end in a whole word after ``event``: a spoken word or a final transcript, a typed
    chunk ending in a space or punctuation (a keystroke inside a word does not; nor does an erase)?"""
    if isinstance(event, UserInput):
        return event.modality is Modality.SPOKEN or not event.text[-1:].isalnum()
    return isinstance(event, UserTranscript)
