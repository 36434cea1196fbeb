"""Tools from typed Python functions, and the built-in ones.

Decorate a function with :func:`tool`, put it in a :class:`ToolRegistry` (a
:class:`~microturn.Toolbox`), and the agent sees its JSON schema and gets its arguments checked::

    @tool(scopes=("weather:read",), trigger=r"\\bweather in (?P<city>\\w+)")
    async def weather(city: str, unit: Unit = Unit.CELSIUS) -> str:
        \"\"\"Today's weather in a city.\"\"\"

    tools = ToolRegistry([weather]) | builtin_tools(clock=clock, workspace=Path("."))
"""

from __future__ import annotations

from microturn._tools._builtins import builtin_tools
from microturn._tools._calculator import calculator_tools
from microturn._tools._registry import ToolRegistry
from microturn._tools._sandbox._runner import SandboxLimits, python_tools, run_sandboxed
from microturn._tools._tool import Tool, tool
from microturn._tools._workspace import workspace_tools
from microturn._tools._world_clock import clock_tools

__all__ = [
    "SandboxLimits",
    "Tool",
    "ToolRegistry",
    "builtin_tools",
    "calculator_tools",
    "clock_tools",
    "python_tools",
    "run_sandboxed",
    "tool",
    "workspace_tools",
]
