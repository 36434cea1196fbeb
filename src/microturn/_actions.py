"""What a policy can ask for. The loop carries actions out; policies never do I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from microturn._events import EndReason, SpeechPurpose

__all__ = ["Action", "CallTool", "Delegate", "Reply", "Say", "Stop"]


@dataclass(frozen=True, slots=True)
class Reply:
    """Answer the user's words so far with the interaction model, streamed as speech."""


@dataclass(frozen=True, slots=True)
class Say:
    """Speak fixed words: a backchannel, a holding phrase, an announcement."""

    text: str
    purpose: SpeechPurpose = SpeechPurpose.ANNOUNCE


@dataclass(frozen=True, slots=True)
class Stop:
    """Stop the current utterance now; the log keeps exactly what was delivered."""

    reason: EndReason = EndReason.STOPPED


@dataclass(frozen=True, slots=True)
class Delegate:
    """Hand a task to the background lane."""

    task: str
    priority: int = 0
    deadline: float | None = None


@dataclass(frozen=True, slots=True)
class CallTool:
    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)


Action = Reply | Say | Stop | Delegate | CallTool
