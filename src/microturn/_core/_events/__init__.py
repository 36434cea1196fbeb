"""Typed, immutable events: everything that happens in a session is one of these.

An event's *kind* is its class; every kind derives from :class:`Event` (``_event.py``: event time,
log offset, source and cause, and the lane and overflow policy that steer delivery). The kinds come
in families, a module each:

* ``_lifecycle.py``: the session starting and ending, refused input, failed components
* ``_user_input.py``: what the user types and says, their audio, their stop button, notes
* ``_agent_speech.py``: the agent's utterances, word by word
* ``_floor_facts.py``: silences and overlaps the loop derives
* ``_jobs.py``, ``_tool_calls.py``, ``_approvals.py``: background work, tool calls, the user's yes to them
* ``_claims.py``: what the claim monitor found wrong in the user's words
* ``_model_calls.py``: the session's model requests and what the model streamed back
* ``_timers_and_cues.py``: what the policy set up at the user's request, and what fired
"""

from microturn._core._events._agent_speech import (
    AgentAudio,
    AgentSpeechEnded,
    AgentSpeechHeld,
    AgentSpeechReleased,
    AgentSpeechStarted,
    AgentWord,
    EndReason,
    SpeechBound,
    SpeechPurpose,
)
from microturn._core._events._approvals import ApprovalDecided, ApprovalRequested
from microturn._core._events._claims import ClaimFlagged
from microturn._core._events._event import Event, Lane, Overflow, event_kinds
from microturn._core._events._floor_facts import ModelReading, Overlap, Silence, TurnEndSignal
from microturn._core._events._jobs import (
    CancelJob,
    JobFailed,
    JobProgress,
    JobRequested,
    JobResult,
    ResultDropped,
    ResultWoven,
)
from microturn._core._events._lifecycle import ComponentFailed, EndSession, InputRejected, SessionEnded, SessionStarted
from microturn._core._events._model_calls import ModelAsked, ModelChunk, ModelEnded
from microturn._core._events._timers_and_cues import CueFired, CueSet, TimerCancelled, TimerFired, TimerSet
from microturn._core._events._tool_calls import ToolCalled, ToolProgress, ToolResult
from microturn._core._events._user_input import (
    AudioFrame,
    Modality,
    Note,
    StopOutput,
    UserErase,
    UserInput,
    UserSpeechEnded,
    UserSpeechStarted,
    UserSubmit,
    UserTranscript,
)

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
    "ClaimFlagged",
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
    "ModelReading",
    "Note",
    "Overflow",
    "Overlap",
    "ResultDropped",
    "ResultWoven",
    "SessionEnded",
    "SessionStarted",
    "Silence",
    "SpeechBound",
    "SpeechPurpose",
    "StopOutput",
    "TimerCancelled",
    "TimerFired",
    "TimerSet",
    "ToolCalled",
    "ToolProgress",
    "ToolResult",
    "TurnEndSignal",
    "UserErase",
    "UserInput",
    "UserSpeechEnded",
    "UserSpeechStarted",
    "UserSubmit",
    "UserTranscript",
    "event_kinds",
]
