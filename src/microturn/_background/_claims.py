"""What judges the user's claims for the monitor: a model asked once per check, or a fake for tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import ClassVar, Protocol, runtime_checkable

from microturn._background._claim_prompt import SYSTEM, ClaimContext, claim_messages
from microturn._models import ChatModel, ModelRequest, ToolCall

__all__ = ["ChatCompleting", "ClaimChecker", "FakeChecker", "ModelChecker"]

ANSWER_TOKENS = 96
"""Room for the verdict: one line of JSON with one sentence in it."""


class ClaimChecker(Protocol):
    """What the claim monitor asks about the user's newest words (a :class:`ClaimContext`): its raw answer.

    The answer should be one line of JSON, ``{"problem": "none"}`` or ``{"problem": "wrong_fact" |
    "false_premise" | "contradiction", "correction": "...", "confidence": 0.9}``; the monitor reads it
    itself, defensively, so a checker need not trust or tidy what its model said, and nothing it returns
    can do more than make the agent say one short correction. ``Agent(monitor=...)`` takes one (or a
    ChatModel, which is asked with the monitor's own prompt: docs/monitor.md). ``name`` names it.
    """

    name: ClassVar[str]

    async def check(self, context: ClaimContext) -> str: ...


@runtime_checkable
class ChatCompleting(Protocol):
    """A model that completes chat messages of the caller's own, as ``OpenAICompatibleModel.complete`` does."""

    async def complete(
        self, messages: Sequence[tuple[str, str]], *, max_tokens: int, stop: Sequence[str] = ()
    ) -> str: ...


class ModelChecker:
    """A ChatModel as the checker: the fact checker's own chat messages where it takes them (an
    OpenAI-compatible server), else one reply to a request carrying the check as its instruction (any
    ChatModel; the embedded 270M model answers that with little more than noise, which is read as no finding)."""

    name: ClassVar[str] = "model"

    def __init__(self, model: ChatModel) -> None:
        self._model = model

    async def check(self, context: ClaimContext) -> str:
        if isinstance(self._model, ChatCompleting):
            # The verdict is one flat object: the first "}" ends it, and what a model adds after it is not paid for.
            return await self._model.complete(claim_messages(context), max_tokens=ANSWER_TOKENS, stop=("}",)) + "}"
        request = ModelRequest(
            timeline=context.timeline,
            user_text=context.claim,
            elapsed=context.elapsed,
            wall=context.wall,
            instruction=SYSTEM,
        )
        said: list[str] = []
        async for chunk in self._model.stream(request):
            if not isinstance(chunk, ToolCall):  # none were offered; a model that calls one anyway said nothing
                said.append(chunk)
        return "".join(said)


class FakeChecker:
    """A FAKE checker for tests: ``handler(context)`` returns the model's answer, as raw text."""

    name: ClassVar[str] = "fake"

    def __init__(self, handler: Callable[[ClaimContext], Awaitable[str]]) -> None:
        self._handler = handler
        self.contexts: list[ClaimContext] = []

    async def check(self, context: ClaimContext) -> str:
        self.contexts.append(context)
        return await self._handler(context)
