"""One conformance suite over every ChatModel adapter, with the same Gemma weights behind each.

``embedded`` runs llama.cpp in-process; ``openai`` talks to a real ``python -m llama_cpp.server`` on a
fresh port, started once for the module and always stopped at the end. Real I/O on the system clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncGenerator, Coroutine, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest

from _llama_server import free_port, llama_server
from microturn import ModelRequest, SystemClock
from microturn._core._tools import ToolSpec
from microturn._models import ChatModel, ToolCall, ToolStep, make_model
from microturn._models._embedded import EmbeddedModel
from microturn._models._openai import SYSTEM, OpenAICompatibleModel, build_messages
from microturn._models._weights import gemma_weights
from microturn.errors import ConfigError, ModelError

START = "[00:00.0] session started (Thu 2026-01-01 09:00 UTC)\n"
SECRET = "sk-test-do-not-print-me"
T = TypeVar("T")


def ask(question: str, *, facts: tuple[str, ...] = ()) -> ModelRequest:
    timeline = f"{START}[00:01.0] user: {question}"
    return ModelRequest(timeline=timeline, user_text=question, elapsed=2.0, wall=1_767_258_002.0, facts=facts)


async def chunks(model: ChatModel, request: ModelRequest) -> list[str]:
    """The reply's text chunks (the request offers no tools, so a tool call is a failure)."""
    said: list[str] = []
    async for chunk in model.stream(request):
        assert isinstance(chunk, str), f"a tool call without tools offered: {chunk}"
        said.append(chunk)
    return said


async def everything(model: ChatModel, request: ModelRequest) -> list[str | ToolCall]:
    return [chunk async for chunk in model.stream(request)]


async def attempt(model: ChatModel, request: ModelRequest) -> tuple[ModelError, list[str]]:
    """The ModelError the reply ends with, and what was said before it."""
    said: list[str] = []
    try:
        async for chunk in model.stream(request):
            assert isinstance(chunk, str), f"a tool call without tools offered: {chunk}"
            said.append(chunk)
    except ModelError as error:
        return error, said
    raise AssertionError(f"no ModelError; the model said {''.join(said)!r}")


def run(model: ChatModel, work: Coroutine[Any, Any, T]) -> T:
    """``work`` on a fresh event loop; then the model lets go of what it holds on that loop."""

    async def main() -> T:
        try:
            return await work
        finally:
            aclose = getattr(model, "aclose", None)
            if aclose is not None:
                await aclose()

    return asyncio.run(main())


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gemma_weights(tmp_path_factory.mktemp("models"), progress=None)


@pytest.fixture(scope="module")
def server(weights: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real llama_cpp.server with the Gemma weights; yields its base URL."""
    with llama_server(weights, tmp_path_factory.mktemp("server") / "server.log") as base_url:
        yield base_url


@pytest.fixture(scope="module", params=["embedded", "openai"])
def model(request: pytest.FixtureRequest, weights: Path) -> ChatModel:
    if request.param == "embedded":
        return EmbeddedModel(clock=SystemClock(), model_path=weights)
    base_url = request.getfixturevalue("server")
    return OpenAICompatibleModel(base_url=base_url, model="gemma-3-270m", api_key=SECRET, clock=SystemClock())


# --- every adapter ---------------------------------------------------------------------------------


def test_a_simple_question_streams_in_chunks_into_one_line(model: ChatModel) -> None:
    reply = run(model, chunks(model, ask("what is the capital of france")))
    answer = "".join(reply)
    assert len(reply) >= 3, reply
    assert answer.strip()
    assert "\n" not in answer
    assert len(answer) < 200


def test_it_knows_the_capital_of_italy(model: ChatModel) -> None:
    assert "rome" in "".join(run(model, chunks(model, ask("what is the capital of italy")))).lower()


def test_closed_after_the_first_chunk_it_stops_at_once_and_answers_again(model: ChatModel) -> None:
    async def main() -> tuple[str, float, str]:
        stream = cast(AsyncGenerator[str, None], model.stream(ask("tell me about the history of rome")))
        first = await anext(stream)
        started = time.perf_counter()
        await stream.aclose()
        stopped = time.perf_counter() - started
        return first, stopped, "".join(await chunks(model, ask("what is the capital of italy")))

    first, stopped, again = run(model, main())
    assert first
    assert stopped < 0.5
    assert "rome" in again.lower()


def test_cancelled_mid_reply_it_stops_at_once_and_answers_again(model: ChatModel) -> None:
    """Barge-in as the session does it: the task reading the reply is cancelled, mid-decode."""

    async def main() -> tuple[float, str]:
        heard = asyncio.Event()

        async def listen() -> None:
            async for _ in model.stream(ask("tell me about the history of paris")):
                heard.set()

        task = asyncio.create_task(listen())
        await heard.wait()
        started = time.perf_counter()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        stopped = time.perf_counter() - started
        return stopped, "".join(await chunks(model, ask("what is the capital of italy")))

    stopped, again = run(model, main())
    assert stopped < 0.5
    assert "rome" in again.lower()


def test_facts_found_are_used(model: ChatModel) -> None:
    question = ask("when is the meeting", facts=("The meeting is at 3 pm.",))
    assert "3" in "".join(run(model, chunks(model, question)))


def test_a_stop_string_ends_the_reply_where_it_would_start(model: ChatModel) -> None:
    question = ask("what is the capital of italy")
    stopped = ModelRequest(**{**asdict(question), "stop": ("Rome",)})
    full = "".join(run(model, chunks(model, question)))
    cut = "".join(run(model, chunks(model, stopped)))
    assert "Rome" in full
    assert "Rome" not in cut
    assert cut.strip()
    assert full.startswith(cut.rstrip())


def test_with_a_tool_result_in_hand_the_task_is_answered_from_it(model: ChatModel) -> None:
    calculator = ToolSpec(
        name="calculator",
        description="Evaluate arithmetic exactly.",
        parameters={"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]},
    )
    task = ModelRequest(
        timeline=f"{START}[00:01.0] user: how much is 1234 plus 4321",
        user_text="how much is 1234 plus 4321",
        elapsed=2.0,
        wall=0.0,
        tools=(calculator,),
        steps=(ToolStep(ToolCall("calculator", {"expression": "1234 + 4321"}), "5555"),),
    )
    replies = run(model, everything(model, task))
    assert all(isinstance(reply, str) for reply in replies), replies
    assert "5555" in "".join(str(reply) for reply in replies).replace(",", "")


def test_concurrent_requests_both_get_their_answer(model: ChatModel) -> None:
    async def main() -> tuple[list[str], list[str]]:
        italy, france = ask("what is the capital of italy"), ask("what is the capital of france")
        return await asyncio.gather(chunks(model, italy), chunks(model, france))

    italy, france = ("".join(reply).lower() for reply in run(model, main()))
    assert "rome" in italy
    assert "paris" in france


# --- the OpenAI-compatible adapter's failures ------------------------------------------------------


def fail(model: ChatModel, request: ModelRequest | None = None) -> tuple[ModelError, float, list[str]]:
    started = time.perf_counter()
    error, said = run(model, attempt(model, request or ask("hello")))
    return error, time.perf_counter() - started, said


def test_an_unreachable_server_is_a_quick_transient_error() -> None:
    model = OpenAICompatibleModel(base_url=f"http://127.0.0.1:{free_port()}/v1", model="m", clock=SystemClock())
    error, took, _ = fail(model)
    assert error.transient
    assert "cannot reach" in str(error)
    assert took < 2.0


def test_a_server_that_never_answers_hits_the_deadline() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections queue up; nobody ever answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        error, took, _ = fail(OpenAICompatibleModel(base_url=url, model="m", clock=SystemClock(), timeout=0.3))
    assert error.transient
    assert "within 0.3 s" in str(error)
    assert took < 2.0


def test_a_wrong_endpoint_is_a_clear_permanent_error_without_the_key(server: str) -> None:
    model = OpenAICompatibleModel(base_url=server.removesuffix("/v1"), model="m", api_key=SECRET, clock=SystemClock())
    error, _, _ = fail(model)
    assert not error.transient
    assert "HTTP 404" in str(error)
    assert "/v1" in str(error)
    assert SECRET not in str(error)
    assert SECRET not in repr(model)


def long_job() -> ModelRequest:
    """A background step after eight calls, each with a long output: far more than the server's 2,048 tokens."""
    output = " ".join(f"row {i}: the value is {i * 7}" for i in range(400))
    steps = tuple(ToolStep(ToolCall("calculator", {"expression": f"{i} * 7"}), output) for i in range(8))
    lines = [f"[00:{i % 60:02d}.0] user: this is line number {i} of a long, long conversation" for i in range(160)]
    return ModelRequest(
        timeline=START + "\n".join(lines), user_text="sum it", elapsed=60, wall=0, tools=(CALCULATOR,), steps=steps
    )


def test_a_prompt_too_long_for_the_servers_context_says_so(server: str) -> None:
    # Configured with more context than the server has (it runs with --n_ctx 2048), the prompt overflows it.
    model = OpenAICompatibleModel(base_url=server, model="m", clock=SystemClock(), context_tokens=32768)
    error, _, _ = fail(model, long_job())
    assert not error.transient
    assert "--n_ctx" in str(error)


def test_a_prompt_fitted_to_the_servers_context_is_answered(server: str) -> None:
    model = OpenAICompatibleModel(base_url=server, model="m", clock=SystemClock(), context_tokens=2048)

    async def answer() -> list[str | ToolCall]:
        return [chunk async for chunk in model.stream(long_job())]

    assert run(model, answer())  # the same job, its oldest steps left out and outputs shortened: no error


def chunk(content: str, finish: str | None) -> str:
    choice = {"index": 0, "delta": {"content": content}, "finish_reason": finish}
    return json.dumps({"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m", "choices": [choice]})


@pytest.mark.parametrize(
    ("events", "transient", "says", "said"),
    [
        ([chunk("", None), chunk("\n", "stop")], False, "--chat_format gemma", []),
        ([chunk("Hel", None), chunk("lo", None)], True, "--interrupt_requests False", ["Hel", "lo"]),
    ],
    ids=["empty", "cut-short"],
)
def test_an_empty_or_cut_short_reply_is_a_clear_error(
    events: list[str], transient: bool, says: str, said: list[str]
) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if b"content-length" in line)
        await reader.readexactly(length)
        body = "".join(f"data: {event}\n\n" for event in [*events, "[DONE]"])
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n")
        writer.write(body.encode())
        await writer.drain()
        writer.close()

    async def main() -> tuple[ModelError, list[str]]:
        async with await asyncio.start_server(answer, "127.0.0.1", 0) as canned:
            port = canned.sockets[0].getsockname()[1]
            model = OpenAICompatibleModel(base_url=f"http://127.0.0.1:{port}/v1", model="m", clock=SystemClock())
            try:
                return await attempt(model, ask("hello"))
            finally:
                await model.aclose()

    error, got = asyncio.run(main())
    assert error.transient is transient
    assert says in str(error)
    assert got == said


# --- configuration and messages --------------------------------------------------------------------


def test_the_openai_model_is_configured_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MICROTURN_OPENAI_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="MICROTURN_OPENAI_BASE_URL"):
        make_model("openai")
    monkeypatch.setenv("MICROTURN_OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("MICROTURN_OPENAI_MODEL", "gemma")
    monkeypatch.setenv("MICROTURN_OPENAI_API_KEY", SECRET)
    model = make_model("openai")
    assert isinstance(model, OpenAICompatibleModel)
    assert SECRET not in repr(model)


def test_the_messages_carry_the_whole_session_then_what_to_answer() -> None:
    request = ModelRequest(
        timeline=START + "[00:01.0] user: when is it\n[00:01.8] (silence 0.8 s)",
        user_text="when is it",
        elapsed=2.5,
        wall=0.0,
        instruction="answer in French",
        facts=("The meeting is at 3 pm.",),
    )
    messages = build_messages(request)
    assert messages[0] == {"role": "system", "content": SYSTEM}
    assert [message["role"] for message in messages[1:]] == ["user", "assistant"] * 3 + ["user"]
    assert messages[-1]["content"] == (
        START + "[00:01.0] user: when is it\n[00:01.8] (silence 0.8 s)\n"
        "[00:02.5] (found: The meeting is at 3 pm.)\n"
        "[00:02.5] (the agent must now: answer in French)\n"
        "[00:02.5] (the agent replies to that now)"
    )  # the words to answer are the user's last line: not repeated, so the prompt extends what the server cached
    assert build_messages(ask("hello"))[:-1] == messages[:-1]  # a stable prefix the server can cache
    corrected = ModelRequest(timeline=START + "[00:01.0] user: when is it", user_text="where is it", elapsed=2, wall=0)
    assert str(build_messages(corrected)[-1]["content"]).endswith("\n[00:02.0] (reply to: where is it)")


def tool_chunk(index: int, name: str, arguments: str, finish: str | None = None) -> str:
    call = {"index": index, "id": f"t{index}", "type": "function", "function": {"name": name, "arguments": arguments}}
    choice = {"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": finish}
    return json.dumps({"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m", "choices": [choice]})


CALCULATOR = ToolSpec(
    name="calculator",
    description="Evaluate arithmetic exactly.",
    parameters={"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]},
)


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        (
            [tool_chunk(0, "calculator", '{"expres'), tool_chunk(0, "", 'sion": "2+2"}', "tool_calls")],
            [ToolCall("calculator", {"expression": "2+2"})],
        ),
        (
            [chunk('call: calculator {"expression": ', None), chunk('"3*3"}', "stop")],
            [ToolCall("calculator", {"expression": "3*3"})],
        ),
        ([chunk("answer: It is", None), chunk(" 9.", "stop")], ["It is", " 9."]),
        ([tool_chunk(0, "delete_everything", "{}", "tool_calls")], []),
    ],
    ids=["native", "as-text", "answer", "unoffered-tool"],
)
def test_tool_calls_come_natively_or_as_text_and_only_for_offered_tools(
    events: list[str], expected: list[str | ToolCall]
) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if b"content-length" in line)
        sent.append(json.loads(await reader.readexactly(length)))
        body = "".join(f"data: {event}\n\n" for event in [*events, "[DONE]"])
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n")
        writer.write(body.encode())
        await writer.drain()
        writer.close()

    sent: list[dict[str, Any]] = []

    async def main() -> list[str | ToolCall]:
        async with await asyncio.start_server(answer, "127.0.0.1", 0) as canned:
            port = canned.sockets[0].getsockname()[1]
            model = OpenAICompatibleModel(base_url=f"http://127.0.0.1:{port}/v1", model="m", clock=SystemClock())
            task = ModelRequest(timeline=START, user_text="what is 2+2", elapsed=1.0, wall=0.0, tools=(CALCULATOR,))
            try:
                return await everything(model, task)
            finally:
                await model.aclose()

    assert asyncio.run(main()) == expected
    assert sent[0]["tools"][0]["function"]["name"] == "calculator"
    assert sent[0]["messages"][-1]["content"].startswith("Task: what is 2+2\nTools:\ncalculator")
