"""What the user does: type, erase, submit, speak (audio, voice activity, what recognition heard), stop the
agent; and notes a source adds about the user's surroundings."""

from __future__ import annotations

import enum
from typing import ClassVar

from microturn._core._events._event import Event, Lane, Overflow

__all__ = [
    "AudioFrame",
    "Modality",
    "Note",
    "StopOutput",
    "UserErase",
    "UserInput",
    "UserSpeechEnded",
    "UserSpeechStarted",
    "UserSubmit",
    "UserTranscript",
]


class Modality(enum.Enum):
    """How the user's words came: typed, or spoken (and recognised)."""

    TYPED = "typed"
    SPOKEN = "spoken"


class UserInput(Event, frozen=True):
    """A chunk of user input: keystrokes as typed, or a spoken word. ``duration`` is how long it lasts."""

    text: str
    modality: Modality = Modality.TYPED
    duration: float = 0.0
    addressed: bool = True
    """False when a front end knows the words are not for the agent (side talk to someone else)."""


class UserErase(Event, frozen=True):
    """The user deleted ``count`` characters at the end of what they are typing."""

    count: int


class UserSubmit(Event, frozen=True):
    """The user ended their input explicitly (Enter)."""


class AudioFrame(Event, frozen=True):
    """A chunk of PCM audio. Lossy under pressure: old frames are worth less than new ones."""

    overflow: ClassVar[Overflow] = Overflow.DROP_OLDEST

    pcm: bytes
    sample_rate: int = 16_000


class UserSpeechStarted(Event, frozen=True):
    """Voice activity: the user started to make sound, before any word of it is recognised.

    Control lane: it may have to stop the agent's audio at once, ahead of queued data.
    """

    lane: ClassVar[Lane] = Lane.CONTROL


class UserSpeechEnded(Event, frozen=True):
    """Voice activity: the user's speech stopped, after ``duration`` seconds of it.

    It takes some silence to know speech has ended: the speech ended ``silence`` seconds before
    ``t``. Sent once the words recognised in it have been sent, so whoever sees it has heard them all.
    """

    lane: ClassVar[Lane] = Lane.CONTROL
    duration: float = 0.0
    silence: float = 0.0


class UserTranscript(Event, frozen=True):
    """What speech recognition made of the current stretch of speech.

    ``final`` false: the rough hypothesis so far (it may still change; its settled words also come
    as spoken UserInput). ``final`` true: the accurate text of the whole stretch, once it has ended;
    it replaces the rough words in what the agent answers.
    """

    text: str
    final: bool = False


class StopOutput(Event, frozen=True):
    """Stop whatever the agent is saying, now."""

    lane: ClassVar[Lane] = Lane.CONTROL
    reason: str = "requested"


class Note(Event, frozen=True):
    """Free-form context from a source (a screen change, an ambient fact)."""

    text: str
