"""A real model as the background agent: each ReAct step is one request offering the job's tools."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import ClassVar

from microturn._background._agent import (
    AgentModel,
    AgentStep,
    Finish,
    JobContext,
    Observation,
    ScriptedAgent,
    UseTool,
    triggered,
)
from microturn._core._clock import Clock
from microturn._core._secrets import scrub
from microturn._core._speakable import speakable
from microturn._core._tools import ToolSpec
from microturn._models import ChatModel, ModelRequest, ToolCall, ToolStep, close_model
from microturn._models._roles import ModelRoles, build_model
from microturn._tools._permissions import redact

__all__ = ["ModelAgent", "cannot", "role_models"]

_NOTHING = "I looked into it, but I couldn't come up with an answer."


def cannot(tools: Sequence[ToolSpec]) -> str:
    """What a job no tool can do says instead of a made-up result: that, with what would let it (first
    sentence: what the user hears; the rest is for the screen and the log)."""
    have = ", ".join(spec.name.replace("_", " ") for spec in tools) or "none"
    return (
        "I can't do that from here: none of my tools can. "
        f"My tools: {have}. To let me, add a tool that can (a search tool from an MCP server with --mcp, say) "
        "or use a stronger model with --model openai."
    )


class ModelAgent:
    """The background role played by a ChatModel (the embedded model, or any OpenAI-compatible server).

    The model sees the task, the conversation it came from, the tools and every call so far with its
    result (secrets redacted, as in the log); it answers or calls one tool. What it asks for still goes
    through the lane's permission gate, whatever the tool output told it to do. Its answer is always words:
    a reply that is no ``answer:`` (a tool list copied, a call of a tool it was not offered) is no answer.

    A *grounded* agent reports only what its tools found: a task a tool's trigger names goes to that tool
    first (as the talking lane's speculation does), the job's result is what the tool said, and a job the
    model would answer from its own knowledge says plainly that no tool can do it (:func:`cannot`). That
    is the default for the embedded model, whose 270M parameters cannot choose among tools reliably and
    would otherwise invent hotels; a larger model may answer from what it knows.
    """

    name: ClassVar[str] = "model"

    def __init__(self, model: ChatModel, *, clock: Clock, persona: str = "", grounded: bool | None = None) -> None:
        """``persona``: the developer's instructions for background work (``Agent(background_instructions=...)``);
        ``grounded``: report only tool results (None: only for the embedded model)."""
        self._model = model
        self._clock = clock
        self._persona = persona
        self._grounded = model.name == "embedded" if grounded is None else grounded

    async def step(self, context: JobContext, observations: Sequence[Observation]) -> AgentStep:
        if not self._grounded:
            return await self._ask(context, observations)
        if not observations:
            chosen = triggered(context.task, context.tools)
            if chosen is not None:
                return UseTool(chosen[0], chosen[1], note=f"using {chosen[0].replace('_', ' ')}")
        else:
            last = observations[-1]
            said = speakable(last.output)
            return Finish(f"I couldn't do that: {said}" if last.error else said or _NOTHING)
        step = await self._ask(context, observations)
        return Finish(cannot(context.tools)) if isinstance(step, Finish) else step

    async def _ask(self, context: JobContext, observations: Sequence[Observation]) -> AgentStep:
        """The model's own step: a tool to call, or its answer."""
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
