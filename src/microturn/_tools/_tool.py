"""A typed Python function as a tool: the ``@tool`` decorator and what one call does.

A tool may be a plain function (keep it quick: it runs on the event loop), a coroutine function, or an
async generator that streams partial results: each item it yields goes to ``progress`` as it comes,
and the last one is the result (yield the joined text last if the parts add up to the answer).
"""

from __future__ import annotations

import contextlib
import inspect
import re
from collections.abc import AsyncGenerator, Callable, Iterable
from typing import Any, Generic, ParamSpec, TypeVar, overload

import msgspec

from microturn._core._tools import Progress, Risk, ToolError, ToolSpec
from microturn._tools._schema import Parameters
from microturn.errors import ConfigError

__all__ = ["Tool", "as_tool", "tool"]

P = ParamSpec("P")
R = TypeVar("R")

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what OpenAI-compatible servers accept
_MESSAGE_LIMIT = 500


class Tool(Generic[P, R]):
    """A function plus what the agent knows about it (:attr:`spec`); still callable as the function."""

    __slots__ = ("_function", "_parameters", "_streams", "spec")

    _function: Callable[P, R]
    spec: ToolSpec

    def __init__(
        self,
        function: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        scopes: Iterable[str] = (),
        risk: Risk = Risk.LOW,
        trigger: str | None = None,
    ) -> None:
        if isinstance(function, Tool):  # re-declared: start again from the plain function
            function = function._function
        name = name or str(getattr(function, "__name__", ""))
        if not _NAME.match(name):
            raise ConfigError(f"tool name {name!r} must be 1-64 letters, digits, '_' or '-'")
        if trigger is not None:
            try:
                re.compile(trigger)
            except re.error as exc:
                raise ConfigError(f"tool {name!r}: its trigger is not a regular expression: {exc}") from None
        scopes = tuple(scopes)
        if not all(isinstance(scope, str) and scope for scope in scopes):
            raise ConfigError(f"tool {name!r}: scopes must be non-empty strings, got {scopes!r}")
        self._function = function
        self._streams = inspect.isasyncgenfunction(function)
        self._parameters = Parameters(name, function)
        self.spec = ToolSpec(
            name=name,
            description=_first_paragraph(function) if description is None else description,
            trigger=trigger,
            scopes=scopes,
            risk=risk,
            parameters=self._parameters.schema,
        )

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def _untyped(self) -> Callable[..., Any]:
        return self._function  # arguments validated against the schema, not known to the type checker

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Tool({self.name!r})"

    async def run(self, arguments: object, *, progress: Progress | None = None) -> str:
        """Validate ``arguments``, call the function, return its result as text (ToolError if it fails)."""
        values = self._parameters.validate(arguments)
        if self._streams:
            return await self._stream(values, progress)
        try:
            result = self._untyped(**values)
            if inspect.isawaitable(result):
                result = await result
        except ToolError:
            raise
        except Exception as exc:
            raise _failure(self.name, exc) from None
        return self._as_text(result)

    async def _stream(self, values: dict[str, Any], progress: Progress | None) -> str:
        items: AsyncGenerator[Any, None] = self._untyped(**values)
        last = ""
        async with contextlib.aclosing(items):
            while True:
                try:
                    item = await anext(items)
                except StopAsyncIteration:
                    return last
                except ToolError:
                    raise
                except Exception as exc:
                    raise _failure(self.name, exc) from None
                last = self._as_text(item)
                if progress is not None:  # outside the try: a failing listener is not the tool's fault
                    await progress(last)

    def _as_text(self, result: object) -> str:
        if isinstance(result, str):
            return result
        try:
            return msgspec.json.encode(result).decode()
        except (TypeError, msgspec.EncodeError):
            raise ToolError(
                f"tool {self.name!r} returned a {type(result).__name__}, which cannot be written as JSON",
                transient=False,
            ) from None


@overload
def tool(function: Callable[P, R], /) -> Tool[P, R]: ...


@overload
def tool(
    function: None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    scopes: Iterable[str] = (),
    risk: Risk = Risk.LOW,
    trigger: str | None = None,
) -> Callable[[Callable[P, R]], Tool[P, R]]: ...


def tool(
    function: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    scopes: Iterable[str] = (),
    risk: Risk = Risk.LOW,
    trigger: str | None = None,
) -> Tool[P, R] | Callable[[Callable[P, R]], Tool[P, R]]:
    """Make a typed function a tool; use bare (``@tool``) or with metadata (``@tool(scopes=...)``).

    ``description`` defaults to the first paragraph of the docstring. Describe a parameter to the
    model with ``Annotated[str, msgspec.Meta(description=...)]``; constraints there are enforced too.
    Type hints must resolve from the function's module (no types local to another function).
    """

    def decorate(function: Callable[P, R]) -> Tool[P, R]:
        return Tool(function, name=name, description=description, scopes=scopes, risk=risk, trigger=trigger)

    if function is not None:
        return decorate(function)
    return decorate


def as_tool(function: Tool[..., Any] | Callable[..., Any]) -> Tool[..., Any]:
    """A decorated function as it is; a plain one as a tool with default metadata."""
    if isinstance(function, Tool):
        return function
    return Tool(function)


def _first_paragraph(function: Callable[..., Any]) -> str:
    doc = inspect.getdoc(function) or ""
    return " ".join(doc.split("\n\n", 1)[0].split())


def _failure(tool: str, exc: Exception) -> ToolError:
    """The exception's type and message only: no traceback, and bounded in case it quotes a lot."""
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if len(detail) > _MESSAGE_LIMIT:
        detail = detail[:_MESSAGE_LIMIT] + "…"
    return ToolError(f"tool {tool!r} failed: {detail}", transient=isinstance(exc, TimeoutError | ConnectionError))
