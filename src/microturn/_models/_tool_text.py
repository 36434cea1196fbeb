"""Tool use written as text, for models and servers without native tool calling.

A model that may use tools writes one line: ``call: TOOL {"argument": "value"}`` to use a tool, or
``answer: ...`` to answer. Results come back as ``result:`` lines (``error:`` when the tool failed),
quoted as data. The embedded model is prompted with this few-shot; the OpenAI-compatible adapter
asks for it in its system message and also reads native ``tool_calls``, so the same request works
with any server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from microturn._core._timeline import quoted
from microturn._core._tools import ToolSpec
from microturn._models._base import ToolCall, ToolStep

__all__ = ["ANSWER", "CALL", "WorkerLine", "describe_tools", "parse_call", "render_steps"]

CALL = "call:"
ANSWER = "answer:"
_CALL_LINE = re.compile(r"^\s*call:\s*([A-Za-z_][\w.\-]*)\s*([{(].*)?$")


def describe_tools(tools: Sequence[ToolSpec]) -> str:
    """One line per tool: its name, its arguments (as a JSON object of their descriptions) and what it does."""
    lines = []
    for spec in tools:
        properties = spec.parameters.get("properties", {})
        arguments = {
            name: str(schema.get("description") or schema.get("type") or "") for name, schema in properties.items()
        }
        lines.append(f"{spec.name} {json.dumps(arguments)} — {spec.description or spec.name}")
    return "\n".join(lines)


def render_steps(steps: Sequence[ToolStep]) -> list[tuple[str, str]]:
    """Each call made so far and its result, as a pair of transcript lines; results are quoted data."""
    return [
        (
            f"{CALL} {step.call.tool} {json.dumps(step.call.arguments)}",
            f"{'error' if step.error else 'result'}: {quoted(step.output)}",
        )
        for step in steps
    ]


def parse_call(line: str, tools: Sequence[ToolSpec]) -> ToolCall | None:
    """The tool call a ``call:`` line asks for, if it names an offered tool; None otherwise.

    Arguments in parentheses (a small model's ``call: calculator(2+2)``) go to the tool's only required
    argument when it has exactly one; arguments that are not valid JSON (cut off, say) are dropped.
    """
    found = _CALL_LINE.match(line)
    if found is None:
        return None
    spec = next((spec for spec in tools if spec.name == found[1]), None)
    if spec is None:
        return None
    raw = (found[2] or "").strip()
    if raw.startswith("{"):
        try:
            arguments = json.loads(raw)
        except json.JSONDecodeError:
            arguments = None
        return ToolCall(spec.name, arguments if isinstance(arguments, dict) else {})
    inner = raw.strip("() ").strip("\"'")
    required = spec.parameters.get("required", [])
    if inner and len(required) == 1:
        return ToolCall(spec.name, {required[0]: inner})
    return ToolCall(spec.name, {})


class WorkerLine:
    """Reads a tool-using reply as it streams: a ``call:`` line is read whole, an answer passes straight on.

    A line that starts with an offered tool's name and its arguments (``run_python {"code": ...}``) is no
    answer: a small model copying the tool list. It is dropped, so raw tool syntax is never taken for words.
    """

    def __init__(self, tools: Sequence[ToolSpec]) -> None:
        self._tools = tools
        self._head: str | None = ""  # the line so far, until it shows whether it is a call or an answer
        names = "|".join(re.escape(spec.name) for spec in tools) or "(?!)"  # no tools: nothing is a listing
        self._listing = re.compile(rf"^(?:{names})\s*[{{(]")

    def feed(self, text: str) -> str:
        """The answer text to pass on now ("" while the line is still a call, or undecided)."""
        if self._head is None:
            return text
        self._head += text
        line = self._head.lstrip()
        if line.startswith(CALL) or self._listing.match(line) or self._undecided(line):
            return ""
        self._head = None
        return line.removeprefix(ANSWER).lstrip()

    def _undecided(self, line: str) -> bool:
        """The line so far could still become ``call:``, ``answer:`` or a tool's name with its arguments."""
        if CALL.startswith(line) or ANSWER.startswith(line):
            return True
        return any(
            spec.name.startswith(line) or (line.startswith(spec.name) and not line[len(spec.name) :].strip())
            for spec in self._tools
        )

    def end(self) -> ToolCall | str:
        """At the end of the reply: the call it made, or the rest of its answer ("" for none)."""
        if self._head is None:
            return ""
        line = self._head.strip()
        call = parse_call(line, self._tools)
        if call is not None:
            return call
        if line.startswith(CALL) or self._listing.match(line):
            return ""
        return line.removeprefix(ANSWER).strip()
