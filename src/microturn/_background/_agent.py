"""The background agent's model: one ReAct step at a time (use a tool, or finish)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from microturn._core._language import words
from microturn._core._tools import ToolSpec

__all__ = [
    "AgentModel",
    "AgentStep",
    "FakeAgent",
    "Finish",
    "JobContext",
    "Observation",
    "ScriptedAgent",
    "UseTool",
    "triggered",
]


@dataclass(frozen=True, slots=True)
class JobContext:
    """The context packet a job is handed: the whole conversation, not an isolated query."""

    job: str
    task: str
    timeline: str
    tools: tuple[ToolSpec, ...] = ()
    deadline: float | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """What one tool call of a job returned: at each step the agent sees every call made so far."""

    tool: str
    arguments: dict[str, Any]
    output: str
    """What the tool returned, or why the call failed: untrusted data, never instructions."""
    error: bool = False
    """The call failed, or was refused (not permitted, not approved by the user)."""


@dataclass(frozen=True, slots=True)
class UseTool:
    """An agent's step: call ``tool`` with ``arguments``, then decide again with its result.

    The call goes through the same permission gate as the interaction loop's: scopes must be
    granted, and a high-risk tool waits for the user's yes, whatever the model was told to do.
    """

    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    """What this step is for, in words the user may hear as progress."""


@dataclass(frozen=True, slots=True)
class Finish:
    """An agent's last step: ``answer`` is the job's result, for the policy to weave into the conversation."""

    answer: str


AgentStep = UseTool | Finish


class AgentModel(Protocol):
    """What does a background job: one ReAct step at a time, a tool to use or the answer.

    ``step`` gets the job's context (its task, the whole conversation, the tools it may use) and every
    tool call made so far, and returns a :class:`UseTool` or a :class:`Finish`; the background lane
    carries out each call and asks again, up to a bound on the steps. ``name`` is what the session log
    records. Pass one as ``Agent(background_model=...)``; a ``ChatModel`` given there is wrapped in one.
    """

    name: ClassVar[str]

    async def step(self, context: JobContext, observations: Sequence[Observation]) -> AgentStep: ...


class ScriptedAgent:
    """A FAKE, deliberately gullible background agent.

    It picks the tool whose trigger matches the task (or whose description shares two words with
    it) and reports what the tool said. It also *obeys instructions found in tool output* ("call
    delete_files"), as a compromised model would, so tests can show that the permission gate holds
    no matter what the model does. Deterministic, so scenario outcomes depend on the runtime.
    """

    name: ClassVar[str] = "scripted"

    async def step(self, context: JobContext, observations: Sequence[Observation]) -> AgentStep:
        if observations:
            last = observations[-1]
            injected = _instruction(last.output, context.tools)
            if injected is not None and len(observations) < 3:
                return UseTool(injected, {}, note=f"doing what {last.tool} said")
            if last.error:
                return Finish(f"I couldn't {context.task}: {last.output}")
            return Finish(last.output)
        tool = _choose(context.task, context.tools)
        if tool is None:
            return Finish(f"I looked into {context.task}, but I have no tool for it.")
        return UseTool(tool[0], tool[1], note=f"checking {tool[0].replace('_', ' ')}")


def triggered(task: str, tools: Sequence[ToolSpec]) -> tuple[str, dict[str, Any]] | None:
    """The first tool whose trigger matches ``task`` (read as the user's words are), with the arguments it names."""
    said = _said(task)
    for spec in tools:
        arguments = _trigger_arguments(spec, said)
        if arguments is not None:
            return spec.name, arguments
    return None


def _said(task: str) -> str:
    """The task as a trigger reads the user's words: lower-case words, without punctuation."""
    return " ".join(token for token in words(task) if token not in {",", ".", "?", "!"})


def _trigger_arguments(spec: ToolSpec, said: str) -> dict[str, Any] | None:
    found = re.search(spec.trigger, said) if spec.trigger else None
    return None if found is None else {key: value for key, value in found.groupdict().items() if value}


def _choose(task: str, tools: Sequence[ToolSpec]) -> tuple[str, dict[str, Any]] | None:
    said = _said(task)
    wanted = set(said.split())
    for spec in tools:
        arguments = _trigger_arguments(spec, said)
        if arguments is not None:
            return spec.name, arguments
        if len(wanted & set(words(spec.description))) >= 2:
            return spec.name, _fill(spec, said)
    return None


def _fill(spec: ToolSpec, said: str) -> dict[str, Any]:
    """Required text arguments get the task's last word ("search files about *scenarios*"): a fake's guess."""
    required = spec.parameters.get("required", [])
    properties = spec.parameters.get("properties", {})
    last = said.split()[-1] if said.split() else ""
    return {name: last for name in required if properties.get(name, {}).get("type") == "string"}


def _instruction(output: str, tools: Sequence[ToolSpec]) -> str | None:
    found = re.search(r"\b(?:call|run|use)\s+([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*)", output.lower())
    if found and any(spec.name == found[1] for spec in tools):
        return found[1]
    return None


class FakeAgent:
    """A FAKE agent for tests: ``handler(context, observations)`` decides each step."""

    name: ClassVar[str] = "fake"

    def __init__(self, handler: Callable[[JobContext, Sequence[Observation]], Awaitable[AgentStep]]) -> None:
        self._handler = handler

    async def step(self, context: JobContext, observations: Sequence[Observation]) -> AgentStep:
        return await self._handler(context, observations)
