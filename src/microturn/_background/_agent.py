"""The background agent's model: one ReAct step at a time (use a tool, or finish)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from microturn._language import words
from microturn._tools import Risk, ToolSpec

__all__ = [
    "AgentModel",
    "AgentStep",
    "FakeAgent",
    "Finish",
    "JobContext",
    "Observation",
    "ScriptedAgent",
    "UseTool",
]


@dataclass(frozen=True, slots=True)
class JobContext:
    """The context packet a job is handed: the whole conversation, not an isolated query."""

    job: str
    task: str
    timeline: str
    manifest: str = ""
    """What the agent knows about the user (the memory manifest), when there is one."""
    tools: tuple[ToolSpec, ...] = ()
    deadline: float | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    tool: str
    arguments: dict[str, Any]
    output: str
    error: bool = False
    """The output is untrusted data, never instructions."""


@dataclass(frozen=True, slots=True)
class UseTool:
    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    """What this step is for, in words the user may hear as progress."""


@dataclass(frozen=True, slots=True)
class Finish:
    answer: str


AgentStep = UseTool | Finish


class AgentModel(Protocol):
    name: ClassVar[str]

    async def step(self, context: JobContext, observations: Sequence[Observation]) -> AgentStep: ...


class ScriptedAgent:
    """A FAKE background agent: uses the first tool whose trigger matches the task, then reports.

    Deterministic, so scenario outcomes depend on the runtime; real reasoning is the background
    model's job once one is configured.
    """

    name: ClassVar[str] = "scripted"

    async def step(self, context: JobContext, observations: Sequence[Observation]) -> AgentStep:
        if observations:
            last = observations[-1]
            if last.error:
                return Finish(f"I couldn't {context.task}: {last.output}")
            return Finish(last.output)
        said = " ".join(token for token in words(context.task) if token not in {",", ".", "?", "!"})
        for spec in context.tools:
            if spec.trigger is None or spec.risk is Risk.HIGH:
                continue
            found = re.search(spec.trigger, said)
            if found:
                arguments = {key: value for key, value in found.groupdict().items() if value}
                return UseTool(spec.name, arguments, note=f"checking {spec.name}")
        return Finish(f"I looked into {context.task}, but I have no tool for it.")


class FakeAgent:
    """A FAKE agent for tests: ``handler(context, observations)`` decides each step."""

    name: ClassVar[str] = "fake"

    def __init__(self, handler: Callable[[JobContext, Sequence[Observation]], Awaitable[AgentStep]]) -> None:
        self._handler = handler

    async def step(self, context: JobContext, observations: Sequence[Observation]) -> AgentStep:
        return await self._handler(context, observations)
