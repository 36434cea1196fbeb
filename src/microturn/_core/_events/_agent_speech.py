"""What the agent says: utterances, each started, delivered word by word (and clip by clip in a voice),
perhaps held and released, and ended with exactly what the user got."""

from __future__ import annotations

import enum

from microturn._core._events._event import Event

__all__ = [
    "AgentAudio",
    "AgentSpeechEnded",
    "AgentSpeechHeld",
    "AgentSpeechReleased",
    "AgentSpeechStarted",
    "AgentWord",
    "EndReason",
    "SpeechBound",
    "SpeechPurpose",
]


class SpeechPurpose(enum.Enum):
    """What an utterance is for; the policy treats each kind its own way (whether the user stops it, say)."""

    REPLY = "reply"
    BACKCHANNEL = "backchannel"
    ANNOUNCE = "announce"  # scripted speech: timers, woven results, holding phrases
    INTERJECTION = "interjection"  # said over the user on purpose (a cue fired); not stopped by them


class EndReason(enum.Enum):
    """Why an utterance ended."""

    COMPLETED = "completed"
    INTERRUPTED = "interrupted"  # the user barged in: a cut-off
    STOPPED = "stopped"  # the policy or a control event stopped it, or the runtime did (``AgentSpeechEnded.bound``)


class SpeechBound(enum.Enum):
    """Why the runtime itself ended an utterance the model was still writing: runaway output is never said."""

    REPETITION = "repetition"  # the model repeated itself (a sentence, a phrase over and over): the repeat was not said
    LENGTH = "length"  # the utterance reached the longest one allowed (``SessionConfig.max_utterance_words``)


class AgentSpeechStarted(Event, frozen=True):
    """The agent started utterance ``utterance`` (numbered in the session's one sequence), said for ``purpose``."""

    utterance: int
    purpose: SpeechPurpose = SpeechPurpose.REPLY
    reply_to: str = ""
    """For a reply: the user's words it answers (the agent has taken them up)."""
    resumes: int | None = None
    """For a resumption after a false interruption: the utterance it continues."""


class AgentWord(Event, frozen=True):
    """One word the agent delivered (shown, or spoken) at ``t``, lasting ``duration``."""

    utterance: int
    word: str
    duration: float


class AgentAudio(Event, frozen=True):
    """A clip of the agent's synthesised speech started playing: ``text``, ``duration`` seconds of audio.

    The log keeps that it was played and what it said, never the audio itself. ``synthesis`` is how
    long the synthesizer took to make it.
    """

    utterance: int
    text: str
    duration: float
    synthesis: float = 0.0


class AgentSpeechHeld(Event, frozen=True):
    """The agent went quiet mid-utterance because the user started to speak; the utterance stays open.

    Its audio stopped here (whatever was queued for playback was flushed). Next comes either an
    AgentSpeechReleased (the user only said "mm-hm": go on) or an interrupted AgentSpeechEnded.
    """

    utterance: int


class AgentSpeechReleased(Event, frozen=True):
    """The hold is over: the user's sound was no turn, the utterance goes on from its next word."""

    utterance: int


class AgentSpeechEnded(Event, frozen=True):
    """The agent's utterance ended; ``delivered`` is exactly what the user got before the end."""

    utterance: int
    reason: EndReason
    delivered: str
    bound: SpeechBound | None = None
    """Set when the runtime ended the utterance (``reason`` STOPPED) because the model's output reached a bound;
    the words said before it are all there was to say, so nothing of it is left to resume."""
