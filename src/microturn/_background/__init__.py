"""The background lane: delegated jobs, run as asynchronous ReAct loops beside the conversation; and the claim
monitor, which checks what the user says while they say it."""

from microturn._background._agent import (
    AgentModel,
    AgentStep,
    FakeAgent,
    Finish,
    JobContext,
    Observation,
    ScriptedAgent,
    UseTool,
)
from microturn._background._claim_prompt import ClaimContext
from microturn._background._claims import ClaimChecker, FakeChecker, ModelChecker
from microturn._background._lane import BACKGROUND, BackgroundLane
from microturn._background._model_agent import ModelAgent, role_models
from microturn._background._monitor import MONITOR, ClaimMonitor

__all__ = [
    "BACKGROUND",
    "MONITOR",
    "AgentModel",
    "AgentStep",
    "BackgroundLane",
    "ClaimChecker",
    "ClaimContext",
    "ClaimMonitor",
    "FakeAgent",
    "FakeChecker",
    "Finish",
    "JobContext",
    "ModelAgent",
    "ModelChecker",
    "Observation",
    "ScriptedAgent",
    "UseTool",
    "role_models",
]
