"""The session's model calls. The model's output is outside input, so a replay never calls a model."""

from __future__ import annotations

from microturn._core._events._event import Event

__all__ = ["ModelAsked", "ModelChunk", "ModelEnded"]


class ModelAsked(Event, frozen=True):
    """The agent asked its model for a reply: request number ``request``, in the order the session asks.

    ``speculative``: to the user's words so far, in a pause (kept only if the turn ends on them). The
    output comes back through the ingress as ModelChunk events and one ModelEnded with that number.
    """

    request: int
    speculative: bool = False


class ModelChunk(Event, frozen=True):
    """A piece of the reply to model request ``request`` as the model streamed it (pieces may split words)."""

    request: int
    text: str


class ModelEnded(Event, frozen=True):
    """Model request ``request`` is over: complete, or failed with ``error``, an exception of type ``raised``
    (``transient``: a retry may help)."""

    request: int
    error: str = ""
    raised: str = ""
    transient: bool = False
