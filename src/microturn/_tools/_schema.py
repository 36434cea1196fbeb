"""A function's signature as a JSON schema, and arguments checked against it.

The type hints become a msgspec Struct (defaults included); msgspec then both writes the JSON schema
the model sees and validates the arguments it sends, so the two can never disagree.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from microturn._core._tools import ToolError
from microturn.errors import ConfigError

__all__ = ["Parameters"]

_ACCEPTED_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


class Parameters:
    """The named parameters of one tool function."""

    def __init__(self, tool: str, function: Callable[..., Any]) -> None:
        self._tool = tool
        fields = _fields(tool, function)
        self._names = tuple(field[0] for field in fields)
        self._required = tuple(field[0] for field in fields if len(field) == 2)
        try:
            self._struct = msgspec.defstruct(f"{tool}_arguments", fields, kw_only=True, forbid_unknown_fields=True)
            self.schema = _inline(msgspec.json.schema(self._struct))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"tool {tool!r}: its parameters cannot be described as JSON: {exc}") from None

    def validate(self, arguments: object) -> dict[str, Any]:
        """The keyword arguments to call the function with, defaults filled in; ToolError if invalid."""
        if not isinstance(arguments, Mapping):
            raise self._invalid(f"arguments must be an object, got {type(arguments).__name__}")
        for name in arguments:
            if name not in self._names:
                takes = ", ".join(self._names) if self._names else "no arguments"
                raise self._invalid(f"unknown argument {name!r}; it takes: {takes}")
        for name in self._required:
            if name not in arguments:
                raise self._invalid(f"missing argument {name!r}")
        try:
            converted = msgspec.convert(dict(arguments), self._struct, strict=True)
        except msgspec.ValidationError as exc:
            raise self._invalid(_problem(str(exc))) from None
        return {name: getattr(converted, name) for name in self._names}

    def _invalid(self, problem: str) -> ToolError:
        return ToolError(f"tool {self._tool!r}: {problem}", transient=False)


def _fields(tool: str, function: Callable[..., Any]) -> list[tuple[str, Any] | tuple[str, Any, Any]]:
    try:
        hints = typing.get_type_hints(function, include_extras=True)
    except NameError as exc:
        raise ConfigError(f"tool {tool!r}: a type hint does not resolve ({exc}); define it at module level") from None
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind not in _ACCEPTED_KINDS:
            raise ConfigError(
                f"tool {tool!r}: parameter {parameter.name!r} must be passable by name "
                "(no *args, **kwargs or positional-only parameters)"
            )
        hint = hints.get(parameter.name, Any)
        if parameter.default is inspect.Parameter.empty:
            fields.append((parameter.name, hint))
        else:
            fields.append((parameter.name, hint, parameter.default))
    return fields


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """msgspec refers to the Struct through ``$defs``; a tool's parameters are that object itself."""
    definitions = dict(schema["$defs"])
    name = schema["$ref"].rsplit("/", 1)[-1]
    inlined = dict(definitions.pop(name))
    inlined.pop("title", None)
    if definitions:  # enums and nested structs stay referenced, from the top level now
        inlined["$defs"] = definitions
    return inlined


def _problem(message: str) -> str:
    """Turn msgspec's "Expected `int`, got `str` - at `$.count`" into "argument 'count': expected ..."."""
    problem, separator, where = message.rpartition(" - at `$.")
    if not separator:
        return message[:1].lower() + message[1:]
    return f"argument {where.rstrip('`')!r}: {problem[:1].lower()}{problem[1:]}"
