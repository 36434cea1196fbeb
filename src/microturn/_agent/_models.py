"""The agent's models for one session: the one that talks, the one that works in the background, and the one
that checks the user's claims (the monitor's, if it runs)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, cast

from microturn._background import AgentModel, ClaimChecker, ModelAgent, ModelChecker, ScriptedAgent
from microturn._core._clock import Clock
from microturn._models import MODELS, ChatModel, close_model, make_model
from microturn._models._openai import OpenAICompatibleModel
from microturn._models._roles import build_model, load_roles
from microturn.errors import ConfigError, UnknownComponent

if TYPE_CHECKING:
    from microturn._agent._agent import Agent

__all__ = ["MonitorChoice", "monitor_choice", "open_checker", "open_models"]

MonitorChoice = bool | str | ChatModel | ClaimChecker | None
"""What ``Agent(monitor=...)`` takes: on or off, a model (by name or object) to check with, or a checker."""


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


def monitor_choice(
    monitor: MonitorChoice, background: str | ChatModel | AgentModel, interaction: str | ChatModel
) -> str | ChatModel | ClaimChecker | None:
    """What checks the user's claims, as ``Agent(monitor=...)`` and the agent's models decide; None: nothing.

    By default (None) the monitor runs only with an OpenAI-compatible background model (the embedded 270M
    model cannot tell a true claim from a false one: docs/monitor.md), and not on the very model object the
    agent talks with (a check would make a reply wait for it). ``True`` runs it on the background model,
    whatever it is; a model name, a ChatModel or a checker runs it on that.
    """
    if monitor is None:
        if background == "openai":
            return "openai"  # made from its name: an instance of its own
        shared = background is interaction
        return background if isinstance(background, OpenAICompatibleModel) and not shared else None
    if monitor is False:
        return None
    if monitor is True:
        if background == "scripted" or (not isinstance(background, str) and not hasattr(background, "stream")):
            raise ConfigError(
                "monitor=True checks the user's claims with the background model, but it is no language model: "
                "give the monitor one, such as monitor='openai' or a ChatModel"
            )
        return cast(str | ChatModel, background)
    if isinstance(monitor, str) and monitor not in MODELS:
        raise UnknownComponent("model", monitor, sorted(MODELS))
    if isinstance(monitor, str) or hasattr(monitor, "stream") or hasattr(monitor, "check"):
        return monitor
    raise ConfigError(f"monitor must be True, False, a model name, a ChatModel or a claim checker, got {monitor!r}")


@contextlib.asynccontextmanager
async def open_checker(agent: Agent, *, clock: Clock) -> AsyncIterator[ClaimChecker | None]:
    """The monitor's checker for this session (a model made from its name is let go of on the way out)."""
    choice = monitor_choice(agent.monitor, agent.background_model, agent.model)
    if choice is None:
        yield None
    elif isinstance(choice, str):
        model = _build(choice, "background", clock)  # an instance of its own: checks never queue behind a job
        try:
            yield ModelChecker(model)
        finally:
            await close_model(model)
    elif hasattr(choice, "check"):
        yield cast(ClaimChecker, choice)
    else:
        yield ModelChecker(choice)
