"""MCP shapes to microturn shapes: a listed tool to a ToolSpec, a tool result to text.

Duck-typed on the SDK's models (imported for type checking only), so importing this module never
imports ``mcp``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from microturn._core._tools import Risk, ToolSpec

if TYPE_CHECKING:
    from mcp.types import CallToolResult, ContentBlock, Tool

__all__ = ["describe_progress", "result_text", "tool_spec"]


def tool_spec(tool: Tool, *, server: str, scopes: tuple[str, ...], risk: Risk) -> ToolSpec:
    """The spec of ``tool``, named ``<server>.<tool>`` so tools of different servers never clash."""
    return ToolSpec(
        name=f"{server}.{tool.name}",
        description=tool.description or tool.title or "",
        scopes=scopes,
        risk=risk,
        parameters=dict(tool.input_schema),
    )


def result_text(result: CallToolResult) -> str:
    """The text of a tool result: its text parts joined, other parts summarised (``[image]``)."""
    if not result.content and result.structured_content is not None:
        return json.dumps(result.structured_content, ensure_ascii=False)
    return "\n".join(_part_text(part) for part in result.content)


def _part_text(part: ContentBlock) -> str:
    if part.type == "text":
        return part.text
    if part.type == "image":
        return "[image]"
    if part.type == "audio":
        return "[audio]"
    if part.type == "resource_link":
        return f"[link: {part.name} {part.uri}]"
    # An embedded resource: its text if it has some, else a mention of it.
    text = getattr(part.resource, "text", None)
    return text if isinstance(text, str) else f"[resource: {part.resource.uri}]"


def describe_progress(progress: float, total: float | None, message: str | None) -> str:
    """One progress notification as text: ``"checked the timetable (3/5)"``."""
    amount = f"{progress:g}/{total:g}" if total is not None else f"{progress:g}"
    return f"{message} ({amount})" if message else amount
