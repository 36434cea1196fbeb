"""A :class:`~microturn.Toolbox` of typed Python functions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from microturn._core._tools import Progress, ToolError, ToolSpec
from microturn._tools._tool import Tool, as_tool
from microturn.errors import ConfigError

__all__ = ["ToolRegistry"]


class ToolRegistry:
    """Tools by name. Immutable once built, so any number of calls may run at once.

    Every call validates its arguments against the tool's schema and reports any failure as a
    :class:`ToolError` whose message is safe to show the user.
    """

    def __init__(self, tools: Iterable[Tool[..., Any] | Callable[..., Any]] = ()) -> None:
        by_name: dict[str, Tool[..., Any]] = {}
        for function in tools:
            found = as_tool(function)
            if found.name in by_name:
                raise ConfigError(f"two tools are named {found.name!r}; give one of them another name")
            by_name[found.name] = found
        self._tools = by_name

    @property
    def specs(self) -> list[ToolSpec]:
        """What the interaction layer knows about each tool, in registration order."""
        return [found.spec for found in self._tools.values()]

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def __or__(self, other: ToolRegistry) -> ToolRegistry:
        """Both registries' tools in one (names must not clash)."""
        return ToolRegistry([*self._tools.values(), *other._tools.values()])

    async def call(self, tool: str, arguments: dict[str, Any], *, progress: Progress | None = None) -> str:
        found = self._tools.get(tool)
        if found is None:
            available = ", ".join(sorted(self._tools)) or "none"
            raise ToolError(f"no tool named {tool!r}; available tools: {available}", transient=False)
        return await found.run(arguments, progress=progress)
