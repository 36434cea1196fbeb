"""Any OpenAI-compatible chat server as the model: OpenAI, vLLM, Ollama, llama.cpp's server, Tinker.

The request carries the whole session, never an isolated query (its messages are built in
``_openai_messages``). A reply is one line of the transcript: it ends at the model's first line break,
and the HTTP stream is closed there, as it is when the caller stops iterating (barge-in), so the server
stops decoding. Where the server returns log-probabilities, the model also reads how likely the user's
turn is over (``_openai_logprobs``); and it completes chat messages of a caller's own (the claim monitor's).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from microturn._core._clock import Clock
from microturn._core._events import ModelReading
from microturn._models._base import ModelRequest, ToolCall
from microturn._models._budget import MIN_KEEP_TOKENS, MIN_STEP_TOKENS, TAIL_TOKENS, Budget
from microturn._models._embedded import conversation_prompt
from microturn._models._openai_logprobs import (
    BUSY,
    END_OF_TURN_TIMEOUT,
    TOO_SLOW,
    TOP_LOGPROBS,
    end_probability,
)
from microturn._models._openai_messages import FIXED, SYSTEM, WORKER_FIXED, WORKER_SYSTEM, build_messages
from microturn._models._tool_text import WorkerLine
from microturn.errors import ModelError

if TYPE_CHECKING:
    from openai import AsyncOpenAI
    from openai.types.chat import ChatCompletionMessageParam

# The prompt's names are re-exported: the conformance suite and bench/ttfr.py show what this model is sent.
__all__ = ["SYSTEM", "WORKER_SYSTEM", "OpenAICompatibleModel", "build_messages"]

T = TypeVar("T")

_NO_KEY = "unused"
"""Sent when no key is configured, so the SDK never falls back to OPENAI_API_KEY and sends it elsewhere."""

_NOTHING = (
    "closed the reply stream without sending anything (llama_cpp.server does this when the prompt does not fit "
    "its context window: give it a larger --n_ctx)"
)
_CUT_SHORT = (
    "ended the reply stream before the reply finished (llama_cpp.server cuts a stream short when another "
    "request arrives, unless started with --interrupt_requests False)"
)
_EMPTY = (
    "gave an empty reply; if it is llama_cpp.server serving a model whose GGUF has no chat template, "
    "start it with --chat_format (for Gemma: --chat_format gemma)"
)


@dataclass(frozen=True, slots=True)
class _LoopState:
    loop: asyncio.AbstractEventLoop
    client: AsyncOpenAI
    turn: asyncio.Lock


class OpenAICompatibleModel:
    """Chat completions, streamed, from ``base_url`` (up to and including ``/v1``).

    One request at a time per model (a second waits), as with the embedded model; a server shared
    with other clients may still cut a stream short, which is reported as a transient ModelError.
    Connections are kept alive between replies (no new TLS handshake per turn): ``aclose()`` them.
    """

    name: ClassVar[str] = "openai"
    end_of_turn_source: ClassVar[ModelReading] = "server"
    """Its end-of-turn reading is a server's top log-probabilities (``end_of_turn``), not the embedded head's."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        clock: Clock,
        max_tokens: int = 64,
        context_tokens: int = 4096,
        timeout: float = 30.0,
        temperature: float = 0.0,
    ) -> None:
        """``context_tokens`` is the server's context window (prompt and reply); prompts are fitted to it by an
        estimate of their tokens that errs on the safe side (see ``estimate_tokens``)."""
        self._base_url = base_url.rstrip("/")
        self._model = model
        self._budget = Budget(context_tokens, max_tokens)
        self._budget.check(f"the model {model!r} at {self._base_url}", *FIXED, least=MIN_KEEP_TOKENS + TAIL_TOKENS)
        self._budget.check(f"the model {model!r} at {self._base_url}", *WORKER_FIXED, least=2 * MIN_STEP_TOKENS)
        self._api_key = api_key
        self._clock = clock
        self._max_tokens = max_tokens
        self._timeout = timeout
        self._temperature = temperature
        self._state: _LoopState | None = None
        self._logprobs: bool | None = None  # whether the server returns log-probabilities (None: not asked yet)
        self._late = 0  # end-of-turn readings in a row that came too late

    def __repr__(self) -> str:
        return f"OpenAICompatibleModel(base_url={self._base_url!r}, model={self._model!r})"  # never the key

    async def stream(self, request: ModelRequest) -> AsyncIterator[str | ToolCall]:
        if not request.tools:
            async for text in self._line(request, {}):
                yield text
            return
        native: dict[int, list[str]] = {}
        reader = WorkerLine(request.tools)
        async for text in self._line(request, native):
            if said := reader.feed(text):
                yield said
        call = _native_call(native, request)
        if call is None:
            call_or_rest = reader.end()
            if call_or_rest:
                yield call_or_rest
        else:
            yield call

    async def _line(self, request: ModelRequest, native: dict[int, list[str]]) -> AsyncIterator[str]:
        """The reply's first line as it streams; native tool calls are gathered into ``native`` by index."""
        state = self._loop_state()
        async with state.turn:
            deadline = self._clock.now() + self._timeout  # from the request's start, not from the queue's
            chunks = await self._within(
                deadline,
                state.client.chat.completions.create(
                    model=self._model,
                    messages=build_messages(request, self._budget),
                    max_tokens=self._max_tokens,
                    temperature=self._temperature,
                    stream=True,
                    **_options(request),
                ),
            )
            try:
                received = said = finished = False
                while (chunk := await self._within(deadline, anext(chunks, None))) is not None:
                    received = True
                    if not chunk.choices:
                        continue
                    choice = chunk.choices[0]
                    finished = finished or choice.finish_reason is not None
                    for delta in choice.delta.tool_calls or ():
                        name_and_arguments = native.setdefault(delta.index, ["", ""])
                        if delta.function is not None:
                            name_and_arguments[0] += delta.function.name or ""
                            name_and_arguments[1] += delta.function.arguments or ""
                    text = choice.delta.content or ""
                    if not said:
                        text = text.lstrip()  # a reply starting with a line break is not an empty reply
                    line, newline, _ = text.partition("\n")
                    if line:
                        said = True
                        yield line
                    if newline:
                        return  # one line: the rest would be the model playing both sides
                if not received:
                    raise ModelError(f"{self._where()} {_NOTHING}", transient=False)
                if not finished:
                    raise ModelError(f"{self._where()} {_CUT_SHORT}", transient=True)
                if not said and not native:
                    raise ModelError(f"{self._where()} {_EMPTY}", transient=False)
            finally:
                await chunks.close()  # cancelled, cut or done: the server stops decoding at once

    async def end_of_turn(self, request: ModelRequest) -> float | None:
        """The probability that the user's line is over after their words so far, or None when the server cannot
        tell: from what its log-probabilities say of the line's end, calibrated onto the embedded model's scale
        (``_openai_logprobs``).

        ``request.timeline`` should end in the user's words, as it does while they talk. The first call finds
        out whether the server returns log-probabilities; if it does not, no call asks it again, nor once
        ``TOO_SLOW`` calls in a row took longer than ``END_OF_TURN_TIMEOUT`` (waiting for a reply under way
        included): a reading that late is of no use, and it holds up the reply. Never raises: a failure is
        None, and the policy's rules decide.
        """
        if self._logprobs is False:
            return None
        try:
            import openai

            state = self._loop_state()
            async with self._clock.timeout_at(self._clock.now() + END_OF_TURN_TIMEOUT), state.turn:
                completion = await state.client.completions.create(
                    model=self._model,
                    prompt=conversation_prompt(request, self._budget),
                    max_tokens=1,
                    temperature=0.0,
                    logprobs=TOP_LOGPROBS,
                )
        except ImportError:
            self._logprobs = False  # no SDK: never
            return None
        except openai.APIStatusError as exc:
            if self._logprobs is None and exc.status_code not in BUSY:
                self._logprobs = False  # the server answered that it cannot (no /completions, no logprobs)
            return None
        except TimeoutError:
            self._late += 1
            if self._late >= TOO_SLOW:
                self._logprobs = False
            return None
        except (openai.OpenAIError, ModelError):
            return None  # unreachable now: perhaps next time
        self._late = 0
        probability = end_probability(completion)
        if self._logprobs is None:
            self._logprobs = probability is not None
        return probability

    async def complete(self, messages: Sequence[tuple[str, str]], *, max_tokens: int, stop: Sequence[str] = ()) -> str:
        """One chat completion of the caller's own ``messages`` (role, content), whole, ending before any of
        ``stop``: for a judgement that brings its own instructions, such as the claim monitor's. Failures are
        ModelErrors, as a reply's are."""
        state = self._loop_state()
        async with state.turn:
            deadline = self._clock.now() + self._timeout
            completion = await self._within(
                deadline,
                state.client.chat.completions.create(
                    model=self._model,
                    messages=[
                        cast("ChatCompletionMessageParam", {"role": role, "content": content})
                        for role, content in messages
                    ],
                    max_tokens=max_tokens,
                    temperature=self._temperature,
                    **_stopping(stop),
                ),
            )
        return (completion.choices[0].message.content or "") if completion.choices else ""

    async def aclose(self) -> None:
        """Close the kept-alive HTTP connections; call it before the event loop that used the model ends."""
        state, self._state = self._state, None
        if state is not None and state.loop is asyncio.get_running_loop():
            await state.client.close()

    def _where(self) -> str:
        return f"the model server at {self._base_url} (model {self._model!r})"

    def _loop_state(self) -> _LoopState:
        """The HTTP client and the turn lock belong to one event loop; a model may outlive a loop."""
        loop = asyncio.get_running_loop()
        if self._state is None or self._state.loop is not loop:
            try:
                from openai import AsyncOpenAI
            except ImportError:
                raise ModelError(
                    "the OpenAI SDK is not installed; pip install 'openai>=1.50,<4'", transient=False
                ) from None
            client = AsyncOpenAI(
                base_url=self._base_url,
                api_key=self._api_key or _NO_KEY,
                max_retries=0,  # the caller decides whether a transient failure is worth a retry
                timeout=None,  # the deadline comes from the session clock
            )
            self._state = _LoopState(loop, client, asyncio.Lock())
        return self._state

    async def _within(self, deadline: float, step: Awaitable[T]) -> T:
        """One network wait, bounded by the request's deadline; failures become ModelError.

        Each wait has its own timeout scope, never one around a ``yield``: a scope spanning a yield
        would cancel the consumer while it does something else.
        """
        import openai

        try:
            async with self._clock.timeout_at(deadline):
                return await step
        except TimeoutError:
            raise ModelError(f"{self._where()} did not finish within {self._timeout:g} s", transient=True) from None
        except openai.APIConnectionError as exc:  # includes APITimeoutError
            raise ModelError(f"cannot reach {self._where()}: {self._scrub(exc)}", transient=True) from None
        except openai.APIStatusError as exc:
            raise _status_error(exc.status_code, self._where(), self._scrub(exc)) from None
        except openai.OpenAIError as exc:
            raise ModelError(f"{self._where()} failed: {self._scrub(exc)}", transient=False) from None

    def _scrub(self, exc: BaseException) -> str:
        """The error's text (and its cause's), with the API key masked should a server echo it."""
        cause = exc.__cause__
        text = f"{exc} ({cause})" if cause is not None and str(cause) else str(exc)
        return text.replace(self._api_key, "***") if self._api_key else text


def _options(request: ModelRequest) -> dict[str, Any]:
    """Stop strings and tools, sent only when the request has them (some servers reject empty lists)."""
    options = _stopping(request.stop)
    if request.tools:
        options["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": spec.name,
                    "description": spec.description,
                    "parameters": spec.parameters or {"type": "object", "properties": {}},
                },
            }
            for spec in request.tools
        ]
    return options


def _stopping(stop: Sequence[str]) -> dict[str, Any]:
    """Stop strings, sent only when there are some (some servers reject empty lists)."""
    return {"stop": list(stop)} if stop else {}


def _native_call(native: dict[int, list[str]], request: ModelRequest) -> ToolCall | None:
    """The first native tool call, if it names an offered tool; arguments that are not a JSON object are dropped."""
    if not native:
        return None
    name, arguments = native[min(native)]
    if all(spec.name != name for spec in request.tools):
        return None
    try:
        parsed = json.loads(arguments) if arguments.strip() else {}
    except json.JSONDecodeError:
        parsed = {}
    return ToolCall(name, parsed if isinstance(parsed, dict) else {})


def _status_error(status: int, where: str, detail: str) -> ModelError:
    if status in {401, 403}:
        return ModelError(
            f"{where} refused the API key (HTTP {status}); check MICROTURN_OPENAI_API_KEY", transient=False
        )
    if status == 404:
        hint = "check the base URL (it usually ends in /v1) and the model name"
        return ModelError(f"{where} answered HTTP 404 ({detail}); {hint}", transient=False)
    transient = status >= 500 or status in {408, 409, 429}
    return ModelError(f"{where} answered HTTP {status}: {detail}", transient=transient)
