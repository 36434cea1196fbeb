"""The embedded default model: Gemma 3 270M (Q4_K_M) through llama.cpp, offline, on the CPU.

It is a small *base* model, so it is prompted few-shot with a transcript in the same format as the
session timeline, and asked for the agent's next line. The session's timeline is append-only, so
each prompt extends the last one: llama-cpp-python reuses the longest prefix already in its KV
cache, and ``prefill`` keeps that cache following the conversation while the user is still talking,
so when the turn ends only the last words remain to compute.

Every model step runs through the session clock's ``run_blocking``: in real time on a worker thread;
in virtual time it is charged, as measured, to the virtual clock.
"""

from __future__ import annotations

import asyncio
import atexit
from collections.abc import AsyncIterator, Generator
from pathlib import Path
from typing import Any, ClassVar

from microturn._clock import Clock, SystemClock
from microturn._models._base import ModelRequest, ToolCall
from microturn._models._budget import recent
from microturn._models._tool_text import WorkerLine, describe_tools, render_steps
from microturn._models._weights import gemma_weights
from microturn._timeline import format_clock
from microturn.errors import ModelError

__all__ = ["PREAMBLE", "WORKER_PREAMBLE", "EmbeddedModel", "build_prompt"]

PREAMBLE = """\
Below are transcripts of spoken conversations between a person (user) and a friendly, helpful voice \
assistant (agent). Times are minutes:seconds since the start. Lines in parentheses say what happened; \
they are not speech. The agent answers briefly, in one short sentence.

[00:00.0] session started
[00:01.2] user: hi there
[00:02.0] agent: Hello! How can I help?
[00:04.5] user: what's the capital of spain
[00:05.1] agent: The capital of Spain is Madrid.
[00:08.0] (silence 2.1 s)
[00:08.0] user: thanks a lot [enter]
[00:08.9] agent: You're welcome.

[00:00.0] session started
[00:01.0] user: is the pharmacy on elm street still open
[00:02.5] (found: The pharmacy on Elm Street closes at 9 pm today.)
[00:02.5] agent: Yes, it's open until 9 tonight.
[00:06.0] user: and is it open on sunday
[00:07.0] (found: The pharmacy on Elm Street is closed on Sundays.)
[00:07.6] agent: No, it's closed on Sundays.

[00:00.0] session started
[00:00.9] user: can you tell me a fun fact about the moon
[00:03.4] agent: The Moon is slowly drifting away from Earth, about four centimetres a year.
[00:09.0] user: wow
[00:09.6] user: how far is it now
[00:10.4] agent: About 384,000 kilometres away.

"""

WORKER_PREAMBLE = """\
Below are the notes of a careful assistant doing tasks. For each task it may use one of the listed tools \
by writing "call:" with the tool's name and its arguments as JSON; it then reads the result. Once it knows \
the answer, it writes "answer:" and the answer in one short sentence.

Task: what is 17 times 23
Tools:
calculator {"expression": "Arithmetic such as '(2 + 3) * 4'"} — Evaluate arithmetic exactly.
current_time {"zone": "An IANA time zone such as Europe/Paris"} — The date and time now in a time zone.
call: calculator {"expression": "17 * 23"}
result: «391»
answer: 17 times 23 is 391.

Task: what time is it in tokyo
Tools:
calculator {"expression": "Arithmetic such as '(2 + 3) * 4'"} — Evaluate arithmetic exactly.
current_time {"zone": "An IANA time zone such as Europe/Paris"} — The date and time now in a time zone.
call: current_time {"zone": "Asia/Tokyo"}
result: «Thursday 2026-01-01 18:00 JST»
answer: It is six in the evening in Tokyo.

Task: say hello to the team
Tools:
calculator {"expression": "Arithmetic such as '(2 + 3) * 4'"} — Evaluate arithmetic exactly.
answer: I have no tool for that, but hello to the team!

"""

_STOP = ["\n"]


def build_prompt(request: ModelRequest) -> str:
    """The preamble, the session's transcript (its recent part), and the start of the agent's next line.

    With tools offered (the background role), the worker preamble instead, the task, the tools and
    the calls made so far; the model goes on with a ``call:`` or an ``answer:`` line.
    """
    if request.tools:
        task = " ".join(request.user_text.split())
        lines = [
            f"{WORKER_PREAMBLE}Task: {task}",
            "Tools:",
            describe_tools(request.tools),
            *render_steps(request.steps),
        ]
        lines += [f"(found: {fact})" for fact in request.facts]
        return "\n".join(lines) + "\n"
    lines = [PREAMBLE + recent(request.timeline.rstrip("\n"))]
    for fact in request.facts:
        lines.append(f"[{format_clock(request.elapsed)}] (found: {fact})")
    if request.instruction:
        lines.append(f"[{format_clock(request.elapsed)}] (the agent must now: {request.instruction})")
    lines.append(f"[{format_clock(request.elapsed)}] agent:")
    return "\n".join(lines)


class EmbeddedModel:
    name: ClassVar[str] = "embedded"

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        model_path: Path | None = None,
        context_tokens: int = 4096,
        threads: int = 2,
        max_tokens: int = 48,
    ) -> None:
        self._clock = clock or SystemClock()
        self._model_path = model_path
        self._context_tokens = context_tokens
        self._threads = threads
        self._max_tokens = max_tokens
        self._llama: Any = None

    async def stream(self, request: ModelRequest) -> AsyncIterator[str | ToolCall]:
        if request.tools:
            async for item in self._worker_line(request):
                yield item
            return
        async for text in self._complete(build_prompt(request), request.stop):
            yield text

    async def _worker_line(self, request: ModelRequest) -> AsyncIterator[str | ToolCall]:
        reader = WorkerLine(request.tools)
        async for text in self._complete(build_prompt(request), request.stop):
            if said := reader.feed(text):
                yield said
        if last := reader.end():
            yield last

    async def _complete(self, prompt: str, stop: tuple[str, ...]) -> AsyncIterator[str]:
        """The completion of ``prompt`` up to the end of its line, token by token.

        Each decode step runs on the clock's worker; when the caller stops listening (barge-in), the
        step in flight is let finish (a generator cannot be closed while it runs) and decoding stops there.
        """
        async with self._lock():
            llama = await self._clock.run_blocking(self._load)
            steps: Generator[dict[str, Any], None, None] = llama.create_completion(
                prompt, max_tokens=self._max_tokens, stop=[*_STOP, *stop], stream=True, temperature=0.0
            )
            step: asyncio.Future[dict[str, Any] | None] | None = None
            try:
                while True:
                    step = asyncio.ensure_future(self._clock.run_blocking(lambda: next(steps, None)))
                    chunk = await asyncio.shield(step)
                    if chunk is None:
                        return
                    text = str(chunk["choices"][0]["text"])
                    if text:
                        yield text
            finally:
                if step is not None and not step.done():
                    await asyncio.wait([step])  # cancelled mid-step: the step finishes, then nothing more
                steps.close()

    async def prefill(self, request: ModelRequest) -> None:
        """Bring the KV cache up to this transcript now, so a reply later computes only what is new."""
        prompt = build_prompt(request)
        async with self._lock():
            llama = await self._clock.run_blocking(self._load)
            await self._clock.run_blocking(lambda: llama.create_completion(prompt, max_tokens=1, temperature=0.0))

    def _lock(self) -> asyncio.Lock:
        """One llama.cpp context takes one request at a time (a reply waits for a prefill under way)."""
        return _lock_for(self._key())

    def _key(self) -> tuple[Path | None, int, int]:
        return (self._model_path, self._context_tokens, self._threads)

    def _load(self) -> Any:
        if self._llama is None:
            self._llama = _shared_llama(self._key())
        return self._llama


_Key = tuple[Path | None, int, int]
_LOADED: dict[_Key, Any] = {}
_LOCKS: dict[_Key, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = {}


def _lock_for(key: _Key) -> asyncio.Lock:
    """The lock of the llama.cpp instance for ``key`` on the running loop (a model may outlive a loop)."""
    loop = asyncio.get_running_loop()
    held = _LOCKS.get(key)
    if held is None or held[0] is not loop:
        held = _LOCKS[key] = (loop, asyncio.Lock())
    return held[1]


def _shared_llama(key: _Key) -> Any:
    """One llama.cpp instance per weights and settings in a process, shared by every model using them.

    Loading takes about a second and the weights' memory once: an eval of many scenarios, or the
    interaction and background roles both on the embedded model, share it (and its lock, so they
    take turns).
    """
    if key not in _LOADED:
        try:
            import llama_cpp
        except ImportError:
            raise ModelError(
                "llama-cpp-python is not installed; pip install 'microturn[embedded]'", transient=False
            ) from None
        _check_build(llama_cpp.llama_print_system_info().decode(errors="replace"), llama_cpp.__version__)
        path, context_tokens, threads = key
        if not _LOADED:
            atexit.register(_close_all)  # before the interpreter tears down what llama.cpp's finaliser needs
        _LOADED[key] = llama_cpp.Llama(
            model_path=str(path or gemma_weights()),
            n_ctx=context_tokens,
            n_threads=threads,
            logits_all=False,
            verbose=False,
        )
    return _LOADED[key]


def _check_build(system_info: str, version: str) -> None:
    """Refuse a llama.cpp built with its AMX kernels: on this model's Q4_K weights they crash the process.

    A segfault cannot be caught and would end the conversation, so this says what to do instead.
    """
    if "AMX_INT8 = 1" in system_info:
        flags = "-mno-amx-tile -mno-amx-int8"
        raise ModelError(
            "this llama-cpp-python was built with llama.cpp's AMX kernels, which crash on the embedded model's "
            f"weights; rebuild it without them: CMAKE_ARGS=\"-DCMAKE_C_FLAGS='{flags}' -DCMAKE_CXX_FLAGS='{flags}'\" "
            f"pip install --force-reinstall --no-cache-dir --no-deps llama-cpp-python=={version} "
            "(./dev builds it that way)",
            transient=False,
        )


def _close_all() -> None:
    while _LOADED:
        _LOADED.popitem()[1].close()
