"""A real model as the background agent: each ReAct step is one request offering the job's tools."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import ClassVar

from microturn._background._agent import AgentModel, AgentStep, Finish, JobContext, Observation, ScriptedAgent, UseTool
from microturn._core._clock import Clock
from microturn._core._secrets import scrub
from microturn._models import ChatModel, ModelRequest, ToolCall, ToolStep, close_model
from microturn._models._roles import ModelRoles, build_model
from microturn._tools._permissions import redact

__all__ = ["ModelAgent", "role_models"]

_NOTHING = "I looked into it, but I couldn't come up with an answer."


class ModelAgent:
    """The background role played by a ChatModel (the embedded model, or any OpenAI-compatible server).

    The model sees the task, the conversation it came from, the tools and every call so far with its
    result (secrets redacted, as in the log); it answers or calls one tool. What it asks for still goes
    through the lane's permission gate, whatever the tool output told it to do.
    """

    name: ClassVar[str] = "model"

    def __init__(self, model: ChatModel, *, clock: Clock, persona: str = "") -> None:
        """``persona``: the developer's instructions for background work (``Agent(background_instructions=...)``)."""
        self._model = model
        self._clock = clock
        self._persona = persona

    async def step(self, context: JobContext, observations: Sequence[Observation]) -> AgentStep:
        request = ModelRequest(
            timeline=context.timeline,
            user_text=context.task,
            elapsed=0.0,
            wall=self._clock.wall(),
            tools=context.tools,
            persona=self._persona,
            steps=tuple(
                # The model sees what the log holds: secrets in outputs (a .env read, say) are redacted.
                ToolStep(ToolCall(seen.tool, redact(seen.arguments)), scrub(seen.output), seen.error)
                for seen in observations
            ),
        )
        said: list[str] = []
        async for chunk in self._model.stream(request):
            if isinstance(chunk, ToolCall):
                return UseTool(chunk.tool, chunk.arguments, note=f"using {chunk.tool.replace('_', ' ')}")
            said.append(chunk)
        return Finish("".join(said).strip() or _NOTHING)


@contextlib.asynccontextmanager
async def role_models(roles: ModelRoles, *, clock: Clock) -> AsyncIterator[tuple[ChatModel, AgentModel]]:
    """The model that talks and the agent that works, as ``roles`` name them; let go of on the way out."""
    async with contextlib.AsyncExitStack() as stack:
        model = build_model(roles.interaction, role="interaction", clock=clock)
        stack.push_async_callback(close_model, model)
        agent: AgentModel = ScriptedAgent()
        if roles.background.model != "scripted":
            worker = build_model(roles.background, role="background", clock=clock)
            stack.push_async_callback(close_model, worker)
            agent = ModelAgent(worker, clock=clock)
        yield model, agent
