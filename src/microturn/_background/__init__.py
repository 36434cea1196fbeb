"""The background lane: delegated jobs, run as asynchronous ReAct loops beside the conversation."""

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
from microturn._background._lane import BACKGROUND, BackgroundLane
from microturn._background._model_agent import ModelAgent, role_models

__all__ = [
    "BACKGROUND",
    "AgentModel",
    "AgentStep",
    "BackgroundLane",
    "FakeAgent",
    "Finish",
    "JobContext",
    "ModelAgent",
    "Observation",
    "ScriptedAgent",
    "UseTool",
    "role_models",
]
