"""The agent's two models for one session: the one that talks and the one that works in the background."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, cast

from microturn._background import AgentModel, ModelAgent, ScriptedAgent
from microturn._core._clock import Clock
from microturn._models import ChatModel, close_model, make_model
from microturn._models._roles import build_model, load_roles
from microturn.errors import ConfigError

if TYPE_CHECKING:
    from microturn._agent._agent import Agent

__all__ = ["open_models"]


@contextlib.asynccontextmanager
async def open_models(agent: Agent, *, clock: Clock) -> AsyncIterator[tuple[ChatModel, AgentModel]]:
    """Both models, made for this session from their names (and let go of on the way out), or the objects
    the agent was given (which stay the caller's: they serve every session)."""
    async with contextlib.AsyncExitStack() as stack:

        def named(name: str, role: str) -> ChatModel:
            model = _build(name, role, clock)
            stack.push_async_callback(close_model, model)
            return model

        choice = agent.model
        model = named(choice, "interaction") if isinstance(choice, str) else choice
        work = agent.background_model
        persona = agent.config.background_instructions
        worker: AgentModel
        if work == "scripted":
            worker = ScriptedAgent()
        elif isinstance(work, str):
            worker = ModelAgent(named(work, "background"), clock=clock, persona=persona)
        elif hasattr(work, "step"):
            worker = cast(AgentModel, work)  # an AgentModel: it decides each step itself
        elif hasattr(work, "stream"):
            worker = ModelAgent(work, clock=clock, persona=persona)
        else:
            raise ConfigError(f"background_model must be a model name, a ChatModel or an AgentModel, got {work!r}")
        yield model, worker


def _build(name: str, role: str, clock: Clock) -> ChatModel:
    if name == "openai":  # where the server is comes from the environment or MICROTURN_CONFIG
        roles = load_roles(interaction=name, background=name)
        return build_model(roles.interaction if role == "interaction" else roles.background, role=role, clock=clock)
    return make_model(name, clock=clock)
