"""The model protocol the loop talks to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

__all__ = ["ChatModel", "ModelRequest", "Prefilling"]


@dataclass(frozen=True, slots=True)
class ModelRequest:
    timeline: str
    """The session transcript so far (append-only; see Timeline)."""
    user_text: str
    """The user's words this reply answers."""
    elapsed: float
    """Seconds since the session started."""
    wall: float
    """Wall-clock time now, Unix seconds."""
    instruction: str = ""
    """What to do with ``user_text``, when it is not simply to answer it ("Translate into Spanish")."""
    facts: tuple[str, ...] = ()
    """Results (tools, background jobs) the answer may use."""


class ChatModel(Protocol):
    name: ClassVar[str]

    def stream(self, request: ModelRequest) -> AsyncIterator[str]:
        """The reply as text chunks; chunks may split words. Cancel the iteration to stop it."""
        ...


@runtime_checkable
class Prefilling(Protocol):
    """A model that can take in the transcript ahead of a reply (so the reply computes only what is new)."""

    async def prefill(self, request: ModelRequest) -> None: ...
