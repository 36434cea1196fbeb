"""microturn: a runtime for interaction-native agents.

The public API is what this module exports; everything in ``_private`` modules may change.
Errors live in :mod:`microturn.errors`; test helpers in :mod:`microturn.testing`.
"""

from microturn._actions import Action, CallTool, Delegate, Reply, Say, Stop
from microturn._bus import EventBus, Start, StartAt, Subscription, SubscriptionStats, open_bus
from microturn._clock import Clock, SystemClock, VirtualClock
from microturn._codec import CODEC_VERSION, decode_event, decode_log, encode_event, encode_log
from microturn._config import SessionConfig
from microturn._events import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    AudioFrame,
    CancelJob,
    EndReason,
    EndSession,
    Event,
    InputRejected,
    JobProgress,
    JobRequested,
    JobResult,
    Lane,
    Modality,
    Note,
    Overflow,
    Overlap,
    SessionEnded,
    SessionStarted,
    Silence,
    SpeechPurpose,
    StopOutput,
    ToolCalled,
    ToolResult,
    UserErase,
    UserInput,
    UserSubmit,
)
from microturn._floor import Floor, FloorState
from microturn._models import ChatModel, ModelRequest, ScriptedModel
from microturn._policies import MicroTurn, Policy, TurnBasedPolicy
from microturn._session import Session, Source
from microturn._timeline import Timeline
from microturn._tools import Toolbox

__version__ = "0.1.0"

__all__ = [
    "CODEC_VERSION",
    "Action",
    "AgentSpeechEnded",
    "AgentSpeechStarted",
    "AgentWord",
    "AudioFrame",
    "CallTool",
    "CancelJob",
    "ChatModel",
    "Clock",
    "Delegate",
    "EndReason",
    "EndSession",
    "Event",
    "EventBus",
    "Floor",
    "FloorState",
    "InputRejected",
    "JobProgress",
    "JobRequested",
    "JobResult",
    "Lane",
    "MicroTurn",
    "Modality",
    "ModelRequest",
    "Note",
    "Overflow",
    "Overlap",
    "Policy",
    "Reply",
    "Say",
    "ScriptedModel",
    "Session",
    "SessionConfig",
    "SessionEnded",
    "SessionStarted",
    "Silence",
    "Source",
    "SpeechPurpose",
    "Start",
    "StartAt",
    "Stop",
    "StopOutput",
    "Subscription",
    "SubscriptionStats",
    "SystemClock",
    "Timeline",
    "ToolCalled",
    "ToolResult",
    "Toolbox",
    "TurnBasedPolicy",
    "UserErase",
    "UserInput",
    "UserSubmit",
    "VirtualClock",
    "decode_event",
    "decode_log",
    "encode_event",
    "encode_log",
    "open_bus",
]
