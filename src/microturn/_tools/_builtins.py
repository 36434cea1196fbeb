"""The built-in tools in one registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from microturn._core._clock import Clock
from microturn._tools._calculator import calculator_tools
from microturn._tools._registry import ToolRegistry
from microturn._tools._sandbox._runner import SandboxLimits, python_tools
from microturn._tools._tool import Tool
from microturn._tools._workspace import workspace_tools
from microturn._tools._world_clock import clock_tools

__all__ = ["BUILTIN_SCOPES", "builtin_tools"]

BUILTIN_SCOPES = ("code:run", "files:read")
"""Every scope a built-in tool needs (run_python; search_files and read_file): what ``--grant`` can name."""


def builtin_tools(*, clock: Clock, workspace: Path | None, sandbox: SandboxLimits | None = None) -> ToolRegistry:
    """calculator, current_time, convert_time, run_python; search_files and read_file given a workspace.

    Time (the clock tools' answers and the sandbox's timeout) comes from ``clock``.
    """
    tools: list[Tool[..., Any]] = [*calculator_tools(), *clock_tools(clock), *python_tools(clock, sandbox)]
    if workspace is not None:
        tools += workspace_tools(workspace)
    return ToolRegistry(tools)
