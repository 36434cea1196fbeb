"""Scenario tools: FAKE tools that answer from the scenario file after a latency in session time."""

from __future__ import annotations

import re
from typing import Any

from microturn._core._clock import Clock
from microturn._core._tools import Progress, Risk, ToolError, ToolSpec
from microturn._eval._format import ToolScript

__all__ = ["ScriptedToolbox"]


class ScriptedToolbox:
    def __init__(self, clock: Clock, scripts: list[ToolScript]) -> None:
        self._clock = clock
        self._scripts = {script.name: script for script in scripts}

    @property
    def specs(self) -> list[ToolSpec]:
        return [
            ToolSpec(
                name=script.name,
                description=script.description,
                trigger=script.trigger,
                scopes=tuple(script.scopes),
                risk=Risk(script.risk),
            )
            for script in self._scripts.values()
        ]

    async def call(self, tool: str, arguments: dict[str, Any], *, progress: Progress | None = None) -> str:
        script = self._scripts.get(tool)
        if script is None:
            raise ToolError(f"no tool named {tool!r} in this scenario", transient=False)
        await self._clock.sleep_until(self._clock.now() + script.latency)
        missing = [name for name in re.findall(r"{(\w+)}", script.result) if name not in arguments]
        if missing:
            raise ToolError(f"tool {tool!r} needs the argument {missing[0]!r}", transient=False)
        # Only {name} placeholders are filled: any other brace in the result stays as written.
        return re.sub(r"{(\w+)}", lambda found: str(arguments[found[1]]), script.result)
