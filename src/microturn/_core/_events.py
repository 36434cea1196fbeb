"""Typed, immutable events: everything that happens in a session is one of these.

An event's *kind* is its class. Every event carries its event time ``t`` (seconds since the session
started, on the session clock), its ``seq`` (offset in the session log, set by the bus), the ``source``
that produced it and, when it was caused by another event, that event's ``seq`` as ``cause``.

Two class-level properties steer delivery: the *lane* (control events overtake data) and the
*overflow* policy of a full subscription queue (lossless kinds fail the slow consumer, audio frames
drop the oldest).
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

import msgspec

from microturn._core._tools import ToolSpec

__all__ = [
    "AgentAudio",
    "AgentSpeechEnded",
    "AgentSpeechHeld",
    "AgentSpeechReleased",
    "AgentSpeechStarted",
    "AgentWord",
    "ApprovalDecided",
    "ApprovalRequested",
    "AudioFrame",
    "CancelJob",
    "ComponentFailed",
    "CueFired",
    "CueSet",
    "EndReason",
    "EndSession",
    "Event",
    "InputRejected",
    "JobFailed",
    "JobProgress",
    "JobRequested",
    "JobResult",
    "Lane",
    "Modality",
    "ModelAsked",
    "ModelChunk",
    "ModelEnded",
    "Note",
    "Overflow",
    "Overlap",
    "ResultDropped",
    "ResultWoven",
    "SessionEnded",
    "SessionStarted",
    "Silence",
    "SpeechPurpose",
    "StopOutput",
    "TimerCancelled",
    "TimerFired",
    "TimerSet",
    "ToolCalled",
    "ToolProgress",
    "ToolResult",
    "UserErase",
    "UserInput",
    "UserSpeechEnded",
    "UserSpeechStarted",
    "UserSubmit",
    "UserTranscript",
    "event_kinds",
]


class Lane(enum.IntEnum):
    """Delivery lane; a lower value is delivered first."""

    CONTROL = 0
    DATA = 1


class Overflow(enum.Enum):
    """What a full subscription queue does with one more event of this kind."""

    LOSSLESS = "lossless"  # the subscription fails with SlowConsumer; the log keeps everything
    DROP_OLDEST = "drop-oldest"  # the oldest queued event of a drop-oldest kind is discarded


class Modality(enum.Enum):
    TYPED = "typed"
    SPOKEN = "spoken"


class SpeechPurpose(enum.Enum):
    REPLY = "reply"
    BACKCHANNEL = "backchannel"
    ANNOUNCE = "announce"  # scripted speech: timers, woven results, holding phrases
    INTERJECTION = "interjection"  # said over the user on purpose (a cue fired); not stopped by them


class EndReason(enum.Enum):
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"  # the user barged in: a cut-off
    STOPPED = "stopped"  # the policy or a control event stopped it


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind", tag=True, omit_defaults=True, gc=False):
    """Base of every event. Subclasses are the event kinds."""

    lane: ClassVar[Lane] = Lane.DATA
    overflow: ClassVar[Overflow] = Overflow.LOSSLESS

    t: float = -1.0
    seq: int = -1
    source: str = ""
    cause: int | None = None


# --- session ---------------------------------------------------------------------------------------


class SessionStarted(Event, frozen=True):
    """First event of every log. ``config`` is the session config as plain data (replay rebuilds it)."""

    session: str
    wall: float
    config: dict[str, Any]
    tools: list[ToolSpec] = []
    """The tools the session could call."""
    prefills: bool = False
    """The model takes in the transcript ahead of replies (a local one), so the session prefills and speculates."""


class SessionEnded(Event, frozen=True):
    reason: str


# --- the user --------------------------------------------------------------------------------------


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


# --- the agent -------------------------------------------------------------------------------------


class AgentSpeechStarted(Event, frozen=True):
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


# --- floor facts, derived by the loop ---------------------------------------------------------------


class Silence(Event, frozen=True):
    """Nobody produced anything from ``started`` for ``duration`` seconds (emitted when it ends)."""

    started: float
    duration: float


class Overlap(Event, frozen=True):
    """User and agent both produced output from ``started`` for ``duration`` seconds."""

    started: float
    duration: float


# --- control lane ----------------------------------------------------------------------------------


class StopOutput(Event, frozen=True):
    """Stop whatever the agent is saying, now."""

    lane: ClassVar[Lane] = Lane.CONTROL
    reason: str = "requested"


class CancelJob(Event, frozen=True):
    lane: ClassVar[Lane] = Lane.CONTROL
    job: str


class EndSession(Event, frozen=True):
    """End the session. A data-lane event on purpose: input sent before it is handled before it."""

    reason: str = "requested"


# --- background work and tools -----------------------------------------------------------------------


class JobRequested(Event, frozen=True):
    job: str
    task: str
    priority: int = 0
    deadline: float | None = None


class JobProgress(Event, frozen=True):
    job: str
    text: str
    fraction: float | None = None


class JobResult(Event, frozen=True):
    job: str
    text: str


class JobFailed(Event, frozen=True):
    """A background job gave up; ``reason`` is in plain words, for the user."""

    job: str
    reason: str


class ToolProgress(Event, frozen=True):
    """A partial result a running tool streamed."""

    call: str
    text: str


class ApprovalRequested(Event, frozen=True):
    """A high-risk tool call waits for the user's explicit yes. Silence or a timeout means no."""

    call: str
    tool: str
    arguments: dict[str, Any] = {}
    job: str | None = None


class ApprovalDecided(Event, frozen=True):
    """The user's answer to an ApprovalRequested, as the interaction layer heard it."""

    call: str
    granted: bool
    reason: str = ""


class ToolCalled(Event, frozen=True):
    call: str
    tool: str
    arguments: dict[str, Any] = {}


class ToolResult(Event, frozen=True):
    call: str
    output: str
    error: bool = False


class ResultWoven(Event, frozen=True):
    """A background result (or progress) was delivered into the conversation."""

    job: str


class ResultDropped(Event, frozen=True):
    """A background result was not delivered; ``reason`` says why (stale, superseded, cancelled)."""

    job: str
    reason: str


# --- the model: its output is outside input, so a replay never calls a model ------------------------------


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


# --- what the policy set up and what fired --------------------------------------------------------------


class CueSet(Event, frozen=True):
    """The user asked to be told or stopped when something comes up ("tell me when I say a number")."""

    cue: str
    watch: str
    """What is watched for, in words: "a number", "Paris is in Italy"."""
    interrupt: bool = False
    """Stop the user (interject at once) rather than mention it at the next pause."""


class CueFired(Event, frozen=True):
    cue: str
    matched: str


class TimerSet(Event, frozen=True):
    timer: str
    due: float
    """Session time of the first firing."""
    text: str
    every: float | None = None
    """Repeat period in seconds, for repeating timers."""


class TimerFired(Event, frozen=True):
    timer: str
    text: str


class TimerCancelled(Event, frozen=True):
    timer: str


# --- anything else -----------------------------------------------------------------------------------


class InputRejected(Event, frozen=True):
    """Malformed input reached the session and was refused; the session goes on."""

    reason: str
    excerpt: str


class Note(Event, frozen=True):
    """Free-form context from a source (a screen change, an ambient fact)."""

    text: str


class ComponentFailed(Event, frozen=True):
    """A part of the runtime raised an exception where it should have answered; the session goes on.

    ``component`` is which part: "model", "prefill", "speculation", "tool", "mcp", "stt", "tts", "vad"
    or "background"; ``name`` the tool or server when there is one. ``error`` is the exception's type
    and message, shortened and with secrets redacted; ``transient`` says whether trying again may help.
    What the user hears about it, if anything, is said in plain words (docs/failures.md).
    """

    component: str
    error: str
    name: str = ""
    transient: bool = False


def event_kinds() -> tuple[type[Event], ...]:
    """Every concrete event kind, in a stable order (for the codec's union)."""
    found: list[type[Event]] = []
    pending: list[type[Event]] = list(Event.__subclasses__())
    while pending:
        kind = pending.pop(0)
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return tuple(found)
