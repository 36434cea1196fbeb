"""The claim monitor and the end-of-turn reading against real OpenAI-compatible servers, on the system clock.

``python -m llama_cpp.server`` with the embedded Gemma weights, started with ``--logits_all True`` (it
returns log-probabilities then), stands in for any server; a small fake server (named so) stands for one
that returns none. The 270M model's verdicts are not asserted: it cannot judge facts (that is why the
monitor is off for it by default); what is tested is that the monitor asks, reads whatever comes back and
never breaks the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from _fake_completions import completion, fake_completions
from _llama_server import free_port, llama_server
from microturn import (
    ClaimFlagged,
    ComponentFailed,
    InputRejected,
    ModelRequest,
    ScriptedModel,
    SessionEnded,
    SystemClock,
)
from microturn._agent import Agent
from microturn._agent import _session as _agent_session
from microturn._background import ClaimContext, ClaimMonitor, ModelChecker
from microturn._background._claim_prompt import PROBLEMS
from microturn._models import _openai
from microturn._models._openai import OpenAICompatibleModel
from microturn._models._openai_logprobs import TOO_SLOW
from microturn._models._weights import gemma_weights

START = "[00:00.0] session started (Thu 2026-01-01 09:00 UTC)\n"
PATIENCE = 240.0  # seconds a CPU server shared with other work may take for one request


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gemma_weights(tmp_path_factory.mktemp("models"), progress=None)


@pytest.fixture(scope="module")
def logprobs_server(weights: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server that returns log-probabilities (and so computes every prompt token's logits: slow on a CPU)."""
    with llama_server(weights, tmp_path_factory.mktemp("logprobs") / "server.log", logits_all=True) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def chat_server(weights: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server as the conformance suite starts it: chat completions, no log-probabilities."""
    with llama_server(weights, tmp_path_factory.mktemp("chat") / "server.log", logits_all=False) as base_url:
        yield base_url


def on(base_url: str) -> OpenAICompatibleModel:
    return OpenAICompatibleModel(
        base_url=base_url, model="gemma-3-270m", clock=SystemClock(), context_tokens=2048, timeout=PATIENCE
    )


def ask(words: str) -> ModelRequest:
    return ModelRequest(timeline=f"{START}[00:01.0] user: {words}", user_text=words, elapsed=2.0, wall=1_767_258_002.0)


# --- end of turn from log-probabilities ---------------------------------------------------------------


def test_a_server_with_logprobs_reads_the_end_of_the_turn(
    logprobs_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_openai, "END_OF_TURN_TIMEOUT", PATIENCE)  # a CPU server computing every logit is slow
    model = on(logprobs_server)

    async def main() -> tuple[float | None, float | None]:
        try:
            return await model.end_of_turn(ask("what is the capital of spain")), await model.end_of_turn(
                ask("i want to book a flight to")
            )
        finally:
            await model.aclose()

    done, unfinished = asyncio.run(main())
    assert done is not None
    assert unfinished is not None
    assert 0.0 <= unfinished < done <= 1.0  # deterministic: the same weights, temperature 0


@contextlib.contextmanager
def without_logprobs(status: int, *, delay: float = 0.0) -> Iterator[tuple[str, list[str]]]:
    """A FAKE OpenAI-compatible server whose completions have no log-probabilities, or that answers ``status``,
    after ``delay`` seconds; yields its base URL and the paths it was asked."""
    asked: list[str] = []

    def answer(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        asked.append(path)
        time.sleep(delay)
        if status != 200:
            return status, {"error": {"message": "not here"}}
        return 200, completion(body["model"], {"text": "?", "index": 0, "logprobs": None, "finish_reason": "length"})

    with fake_completions(answer) as base_url:
        yield base_url, asked


@pytest.mark.parametrize("status", [200, 404, 500])
def test_a_server_without_logprobs_is_asked_once(status: int) -> None:
    with without_logprobs(status) as (base_url, asked):
        model = on(base_url)

        async def main() -> list[float | None]:
            try:
                return [await model.end_of_turn(ask(words)) for words in ("hello there", "what time is it", "and")]
            finally:
                await model.aclose()

        assert asyncio.run(main()) == [None, None, None]  # the rules decide
        assert asked == ["/v1/completions"]  # once: it said it cannot


def test_a_server_too_slow_again_and_again_is_not_asked_any_more(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_openai, "END_OF_TURN_TIMEOUT", 0.05)
    with without_logprobs(200, delay=0.3) as (base_url, asked):
        model = on(base_url)

        async def main() -> list[float | None]:
            try:
                return [await model.end_of_turn(ask("hello there")) for _ in range(5)]
            finally:
                await model.aclose()

        assert asyncio.run(main()) == [None] * 5
        assert len(asked) == TOO_SLOW


def test_an_unreachable_server_is_no_reading_and_is_asked_again() -> None:
    model = on(f"http://127.0.0.1:{free_port()}/v1")

    async def main() -> list[float | None]:
        try:
            return [await model.end_of_turn(ask("hello")) for _ in range(2)]
        finally:
            await model.aclose()

    assert asyncio.run(main()) == [None, None]


# --- the monitor ---------------------------------------------------------------------------------------


class Recording:
    """A checker that asks the real model (through ModelChecker) and keeps each raw answer and its time."""

    name: ClassVar[str] = "recording"

    def __init__(self, model: OpenAICompatibleModel) -> None:
        self._checker = ModelChecker(model)
        self.answers: list[tuple[str, float]] = []
        self.answered = asyncio.Event()

    async def check(self, context: ClaimContext) -> str:
        started = time.perf_counter()
        answer = await self._checker.check(context)
        self.answers.append((answer, time.perf_counter() - started))
        self.answered.set()
        return answer


def test_the_monitor_asks_a_real_server_and_reads_whatever_it_says(
    chat_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_agent_session, "ClaimMonitor", functools.partial(ClaimMonitor, timeout=PATIENCE))
    model = on(chat_server)
    checker = Recording(model)
    agent = Agent(model=ScriptedModel(), monitor=checker, builtin_tools=False)

    async def main() -> list[object]:
        try:
            async with agent.session() as talk:
                await talk.send("Since the Great Wall is visible from space, how long would it take to walk it?")
                await asyncio.wait_for(checker.answered.wait(), PATIENCE)
                await talk.send("And Paris is the capital of Germany, right?")
                await talk.end()
                return list(await talk.log())
        finally:
            await model.aclose()

    log = asyncio.run(main())
    assert checker.answers  # it asked, and got some text back
    assert all(isinstance(answer, str) for answer, _ in checker.answers)
    assert not [event for event in log if isinstance(event, InputRejected)]
    failures = [event for event in log if isinstance(event, ComponentFailed)]
    assert all(failure.component == "monitor" for failure in failures)  # a failed check is the monitor's only
    for finding in (event for event in log if isinstance(event, ClaimFlagged)):
        assert finding.problem in PROBLEMS.values()
        assert 0.0 <= finding.confidence <= 1.0
        assert finding.correction
        assert "\n" not in finding.correction
    assert isinstance(log[-1], SessionEnded)


def test_a_chat_completion_of_its_own_messages(chat_server: str) -> None:
    model = on(chat_server)

    async def main() -> str:
        try:
            return await model.complete([("system", "Answer in one word."), ("user", "Say hello.")], max_tokens=8)
        finally:
            await model.aclose()

    assert isinstance(asyncio.run(main()), str)
