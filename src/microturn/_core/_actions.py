"""What a policy can ask for. The loop carries actions out; policies never do I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from microturn._core._events import EndReason, Event, SpeechPurpose

__all__ = [
    "Action",
    "CallTool",
    "CancelTool",
    "ClearTurn",
    "Delegate",
    "Hold",
    "Record",
    "Release",
    "Reply",
    "Resume",
    "Say",
    "Stop",
]


@dataclass(frozen=True, slots=True)
class Reply:
    """Answer with the interaction model, streamed as speech.

    The user's words so far are taken up (the floor starts afresh); the model answers ``text`` if
    given, else those words. ``instruction`` tells the model what to do with them ("Translate into
    Spanish"); ``facts`` are results it may use; ``opening`` is how the answer begins ("Once upon a time,"),
    for the model to go on from. ``words``: the answer itself, said as it is with no model (a tool's result that
    is already one: "17 times 23 is 391."). ``append`` continues the current utterance instead of replacing it.
    """

    text: str | None = None
    instruction: str = ""
    facts: tuple[str, ...] = ()
    append: bool = False
    opening: str = ""
    words: str | None = None


@dataclass(frozen=True, slots=True)
class Say:
    """Speak fixed words: a backchannel, a holding phrase, an announcement.

    ``append`` continues the current utterance instead of replacing it.
    """

    text: str
    purpose: SpeechPurpose = SpeechPurpose.ANNOUNCE
    append: bool = False


@dataclass(frozen=True, slots=True)
class ClearTurn:
    """Clear the user's turn without a reply: its words were a backchannel, noise, or a request already handled."""


@dataclass(frozen=True, slots=True)
class Resume:
    """Say the rest of the utterance that was last cut off (after a false interruption)."""


@dataclass(frozen=True, slots=True)
class Record:
    """Record a fact the policy established (a cue set, a timer fired, a result dropped)."""

    event: Event


@dataclass(frozen=True, slots=True)
class Stop:
    """Stop the current utterance now; the log keeps exactly what was delivered."""

    reason: EndReason = EndReason.STOPPED


@dataclass(frozen=True, slots=True)
class Hold:
    """Go quiet now but keep the utterance open: the user made a sound, and it may be only "mm-hm".

    Its audio stops at once; no word is delivered until a Release (go on from the next word) or a
    Stop (the utterance ends with exactly the words delivered before the hold).
    """


@dataclass(frozen=True, slots=True)
class Release:
    """End a Hold: the utterance goes on from its next undelivered word."""


@dataclass(frozen=True, slots=True)
class Delegate:
    """Hand a task to the background lane."""

    task: str
    priority: int = 0
    deadline: float | None = None


@dataclass(frozen=True, slots=True)
class CallTool:
    """Call a quick tool in the interaction lane, beside the conversation (the full-duplex policy does it
    while the user is still talking).

    The call is recorded as a ``ToolCalled`` (its ``call`` id is what ``CancelTool`` names) and gated like
    every call: scopes must be granted, and a high-risk tool waits for the user's yes. Its result comes
    back as a ``ToolResult`` for the policy to use.
    """

    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CancelTool:
    """Cancel a running tool call (its premise changed: the user revised what they said)."""

    call: str


Action = Reply | Say | Stop | Hold | Release | Resume | ClearTurn | Delegate | CallTool | CancelTool | Record
