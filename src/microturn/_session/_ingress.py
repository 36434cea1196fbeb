"""Who may say what: the ingress stamps each input with the source that delivered it and admits only its kinds.

A source is never taken from the event or from a caller's word for it. Each way into a session is a
*channel*, fixed by how it is wired: transports (console, browser, voice, a test driver) reach the
public ``Session.inject``/``inject_raw`` and are the user's channel; the loop's own tool calls, the
background lane, scenario scripts and replays are handed their channel by the code that wires them
up. A channel admits the kinds its sender can honestly author — a user types and speaks, a tool
returns output — and nothing only the runtime may author (an approval, a job the agent started, the
agent's words). Anything else is recorded as InputRejected with the reason, so the log shows the
attempt and a replay reproduces it.
"""

from __future__ import annotations

import enum

import msgspec

from microturn._core._codec import decode_event, encode_event
from microturn._core._events import (
    ApprovalRequested,
    AudioFrame,
    CancelJob,
    ClaimFlagged,
    ComponentFailed,
    EndSession,
    Event,
    InputRejected,
    JobFailed,
    JobProgress,
    JobRequested,
    JobResult,
    ModelChunk,
    ModelEnded,
    Note,
    StopOutput,
    ToolCalled,
    ToolProgress,
    ToolResult,
    TurnEndSignal,
    UserErase,
    UserInput,
    UserSpeechEnded,
    UserSpeechStarted,
    UserSubmit,
    UserTranscript,
)
from microturn._core._limits import check_frame
from microturn.errors import CodecError

__all__ = ["AGENT", "LOOP", "RUNTIME_SOURCES", "TOOLS", "Channel", "admit", "ingress", "read_frame"]

LOOP = "loop"  # floor facts and bookkeeping the loop derives
AGENT = "agent"  # what the agent says and does
TOOLS = "tools"  # results of the loop's own tool calls, published back through the ingress
RUNTIME_SOURCES = frozenset({LOOP, AGENT})
"""Sources the runtime derives; everything else is outside input and replayed as such. Tool results
count as outside input: the world may answer differently next time, so a replay feeds the recorded
results back instead of calling the tools again. No channel can deliver an event under these names."""

_EXCERPT = 120


class Channel(enum.Enum):
    """How input reached the session; it decides which kinds the input may be."""

    USER = "user"
    """A transport the user talks through: what they type and say, their audio, stop and end buttons."""
    TOOLS = "tools"
    """The interaction loop's own tool calls: their progress and results."""
    MODEL = "model"
    """The interaction loop's model calls: what the model streamed, how each stream ended, a failed prefill,
    the model's reading of the end of the user's turn."""
    BACKGROUND = "background"
    """The background lane: its jobs' progress, results and failures, their tool calls and approval requests; the
    claim monitor's findings."""
    SCRIPT = "script"
    """A scenario script: the user, plus an outside world that runs jobs of its own and reports on them."""
    REPLAY = "replay"
    """A recorded log's outside input, fed back exactly as recorded (sources kept)."""


_USER_KINDS: frozenset[type[Event]] = frozenset(
    {
        UserInput,
        UserErase,
        UserSubmit,
        AudioFrame,
        UserSpeechStarted,
        UserSpeechEnded,
        UserTranscript,
        TurnEndSignal,  # a transport's own detector over the user's audio: it can only change when the agent answers
        StopOutput,
        CancelJob,  # cancelling only ever takes power away
        EndSession,
        Note,
        InputRejected,  # a transport reporting input it could not use (bad audio)
        ComponentFailed,  # a transport's own engine failed (speech recognition, synthesis)
    }
)
_TOOL_KINDS: frozenset[type[Event]] = frozenset({ToolProgress, ToolResult, ComponentFailed})
_JOB_REPORTS: frozenset[type[Event]] = frozenset({JobProgress, JobResult, JobFailed})

_ADMITS: dict[Channel, frozenset[type[Event]]] = {
    Channel.USER: _USER_KINDS,
    Channel.TOOLS: _TOOL_KINDS,
    Channel.MODEL: frozenset({ModelChunk, ModelEnded, ComponentFailed, TurnEndSignal}),
    Channel.BACKGROUND: _JOB_REPORTS | _TOOL_KINDS | {ToolCalled, ApprovalRequested, ClaimFlagged},
    # A scripted JobRequested stands for a job an outside system runs: the lane starts only the agent's.
    Channel.SCRIPT: _USER_KINDS | _JOB_REPORTS | {JobRequested},
}


def ingress(session_id: str) -> str:
    """The bus log that transports publish a session's input to."""
    return f"{session_id}.in"


def read_frame(data: bytes | str) -> Event:
    """The event a wire frame holds; malformed or oversized input is an InputRejected event instead."""
    try:
        return check_frame(data) or decode_event(data)  # too big is refused before it is read (_limits.py)
    except CodecError as exc:
        return InputRejected(reason=str(exc), excerpt=getattr(exc, "excerpt", ""))


def admit(event: Event, channel: Channel, source: str, now: float) -> Event:
    """``event`` as the ingress accepts it from ``source`` on ``channel``: stamped, or turned into InputRejected.

    The source is always ``source`` (a replay keeps the recorded one); the time is ``now`` unless the
    sender scheduled the event (``t`` set, as scripts and replays do).
    """
    stamped_source = (event.source if channel is Channel.REPLAY else source) or channel.value
    reason = _refusal(event, channel, stamped_source)
    if reason is not None:
        if stamped_source in RUNTIME_SOURCES:
            stamped_source = channel.value  # the log must not show a runtime source for outside input
        excerpt = encode_event(event).decode(errors="replace")[:_EXCERPT]
        event = InputRejected(reason=reason, excerpt=excerpt, t=event.t)
    return msgspec.structs.replace(event, t=now if event.t < 0 else event.t, source=stamped_source)


def _refusal(event: Event, channel: Channel, source: str) -> str | None:
    if source in RUNTIME_SOURCES:
        return f"input cannot come from {source!r}: that source is the runtime's own; give the transport's own name"
    if channel is Channel.REPLAY:
        return None
    admitted = _ADMITS[channel]
    if type(event) not in admitted:
        kinds = ", ".join(sorted(kind.__name__ for kind in admitted))
        return (
            f"{type(event).__name__} cannot arrive as input from {channel.value!r}: only the runtime records it; "
            f"this source may send {kinds}"
        )
    return None
