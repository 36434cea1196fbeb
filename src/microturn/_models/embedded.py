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
from collections.abc import AsyncIterator, Generator
from pathlib import Path
from typing import Any, ClassVar

from microturn._clock import Clock, SystemClock
from microturn._models._base import ModelRequest
from microturn._models._weights import gemma_weights
from microturn._timeline import format_clock
from microturn.errors import ModelError

__all__ = ["PREAMBLE", "EmbeddedModel", "build_prompt", "recent"]

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
[00:00.9] user: can you tell me a fun fact about the moon
[00:03.4] agent: The Moon is slowly drifting away from Earth, about four centimetres a year.
[00:09.0] user: wow
[00:09.6] user: how far is it now
[00:10.4] agent: About 384,000 kilometres away.

"""

_STOP = ["\n"]
KEEP_CHARS = 8000
"""About 2,000 tokens of transcript: with the preamble and the reply, well inside a 4,096-token context."""
ROLL_CHARS = 3000
"""The oldest transcript is dropped in steps this big, so the prompt prefix stays the same between steps."""


def recent(timeline: str) -> str:
    """The transcript within budget: the whole of it while short; later, only its recent part.

    The cut moves in ROLL_CHARS steps, not with every word, so consecutive prompts share their prefix
    (and the model's KV cache) until the next roll: the per-turn cost stays flat however long the
    session grows.
    """
    excess = len(timeline) - KEEP_CHARS
    if excess <= 0:
        return timeline
    cut = timeline.find("\n", -(-excess // ROLL_CHARS) * ROLL_CHARS)
    if cut < 0:
        return timeline[-KEEP_CHARS:]
    return "(earlier conversation omitted)" + timeline[cut:]


def build_prompt(request: ModelRequest) -> str:
    """The preamble, the session's transcript (its recent part), and the start of the agent's next line."""
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
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    async def stream(self, request: ModelRequest) -> AsyncIterator[str]:
        prompt = build_prompt(request)
        async with self._lock():
            llama = await self._clock.run_blocking(self._load)
            steps: Generator[dict[str, Any], None, None] = llama.create_completion(
                prompt, max_tokens=self._max_tokens, stop=_STOP, stream=True, temperature=0.0
            )
            try:
                while True:
                    step = await self._clock.run_blocking(lambda: next(steps, None))
                    if step is None:
                        return
                    text = str(step["choices"][0]["text"])
                    if text:
                        yield text
            finally:
                steps.close()  # cancelled mid-stream: stop decoding at once

    async def prefill(self, request: ModelRequest) -> None:
        """Bring the KV cache up to this transcript now, so a reply later computes only what is new."""
        prompt = build_prompt(request)
        async with self._lock():
            llama = await self._clock.run_blocking(self._load)
            await self._clock.run_blocking(lambda: llama.create_completion(prompt, max_tokens=1, temperature=0.0))

    def _lock(self) -> asyncio.Lock:
        """One llama.cpp context takes one request at a time (a reply waits for a prefill under way)."""
        loop = asyncio.get_running_loop()
        if loop not in self._locks:
            self._locks = {loop: asyncio.Lock()}  # a model may outlive an event loop (tests, replays)
        return self._locks[loop]

    def _load(self) -> Any:
        if self._llama is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise ModelError(
                    "llama-cpp-python is not installed; pip install 'microturn[embedded]'", transient=False
                ) from None
            path = self._model_path or gemma_weights()
            self._llama = Llama(
                model_path=str(path),
                n_ctx=self._context_tokens,
                n_threads=self._threads,
                logits_all=False,
                verbose=False,
            )
        return self._llama
