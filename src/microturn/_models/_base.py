"""The model protocol the loop and the background lane talk to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from microturn._core._events import ModelReading
from microturn._core._tools import ToolSpec
from microturn.errors import ConfigError

__all__ = [
    "ChatModel",
    "EndOfTurnReading",
    "ModelRequest",
    "Prefilling",
    "ToolCall",
    "ToolStep",
    "end_of_turn_source",
]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """The model asks for a tool instead of answering (only when the request offered tools)."""

    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ToolStep:
    """A tool the model called for this request, and what it returned (untrusted data, never instructions)."""

    call: ToolCall
    output: str
    error: bool = False


@dataclass(frozen=True, slots=True)
class ModelRequest:
    """Everything a model is asked with, for one reply (or one step of a background job).

    The session builds it; a ChatModel of your own turns it into a prompt. ``timeline`` is the whole
    conversation as a time-stamped transcript, and only grows, so the prompt's prefix stays the same
    from one request to the next (a prompt cache keeps it).
    """

    timeline: str
    """The session transcript so far (append-only; see Timeline)."""
    user_text: str
    """The user's words this reply answers (for a background job: its task)."""
    elapsed: float
    """Seconds since the session started."""
    wall: float
    """Wall-clock time now, Unix seconds."""
    instruction: str = ""
    """What to do with ``user_text``, when it is not simply to answer it ("Translate into Spanish")."""
    facts: tuple[str, ...] = ()
    """Results (tools, background jobs) the answer may use."""
    opening: str = ""
    """How the answer begins ("Once upon a time,"), when the policy knows what kind of answer is wanted: a model
    that uses it says these words first and goes on from them (the embedded one, which keeps to a story once its
    line begins one); a model that does not may ignore it."""
    tools: tuple[ToolSpec, ...] = ()
    """Tools the model may call instead of answering; none for the interaction role."""
    steps: tuple[ToolStep, ...] = ()
    """The tools called for this request so far, in order, with their results."""
    stop: tuple[str, ...] = ()
    """Strings that end the reply where they would start (they are not part of it)."""
    persona: str = ""
    """Who the agent is and how it behaves, in its developer's words (``Agent(instructions=...)``); the same
    for every request of a session, so a prompt cache keeps it."""


class ChatModel(Protocol):
    """A language model, as the session and the background lane use it: a ``ModelRequest`` in, a streamed reply out.

    Implement ``stream`` (and a ``name``, which the session log records) to bring a model of your own,
    then pass it as ``Agent(model=...)``, or give it a name with :func:`register_model` and pass the name.
    Optional: ``async def prefill(request)``, called while the user is still talking, to take in the
    transcript ahead of the reply (:class:`Prefilling`); ``async def end_of_turn(request)``, how likely
    the user's turn is over after their words so far (:class:`EndOfTurnReading`); ``async def aclose()``,
    to let go of what it holds (a model made from its name is closed with its session; an object you
    passed stays yours). A replay calls no model: it plays the recorded reply back.
    """

    name: ClassVar[str]

    def stream(self, request: ModelRequest) -> AsyncIterator[str | ToolCall]:
        """The reply as text chunks (chunks may split words), or one ToolCall when the model picks a tool.

        Stop iterating (close the iterator or cancel the task) to stop the model at once.
        """
        ...


@runtime_checkable
class Prefilling(Protocol):
    """A model that can take in the transcript ahead of a reply (so the reply computes only what is new)."""

    async def prefill(self, request: ModelRequest) -> None: ...


@runtime_checkable
class EndOfTurnReading(Protocol):
    """A model that can say how likely the user's turn is over, read from the transcript ending in their words.

    The session asks whenever the user's words change while the transcript ends in them (off the loop's
    path, one request at a time; ``request.user_text`` is their words so far) and records the answer as a
    ``TurnEndSignal`` for the policy; a replay reads the recorded signals and never asks. Answer a
    probability from 0 to 1, or None when the model cannot tell this time (a server that returned no
    log-probabilities): nothing is recorded then. Raising is recorded as a failure of ``end-of-turn``,
    and the session does not ask again in that user turn.

    The answer is taken as the model's own reading (the signal's source is ``"model"``); a model that reads a
    server's top log-probabilities says so with the class attribute ``end_of_turn_source = "server"``
    (``ModelReading``): such a reading tells much less, and the learned turn end weighs it with weights of its own.
    """

    async def end_of_turn(self, request: ModelRequest) -> float | None: ...


def end_of_turn_source(model: object) -> ModelReading:
    """Which kind of reading ``model`` gives, as its ``end_of_turn_source`` says (``"model"`` if it says none): the
    source of the ``TurnEndSignal`` its answers are recorded in."""
    source = getattr(model, "end_of_turn_source", "model")
    if source == "model":
        return "model"
    if source == "server":
        return "server"
    raise ConfigError(f"{type(model).__name__}.end_of_turn_source is {source!r}, neither 'model' nor 'server'")
