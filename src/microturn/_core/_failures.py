"""An exception a component raised, made into something the session can record and the user can hear.

Every part that runs outside the loop's own logic (models, tools, MCP servers, speech engines, the
background agent) may raise anything. The session never lets that end it: the exception becomes a
:class:`ComponentFailed` event. These helpers write its text once for everyone: one line, bounded in
length, secrets redacted, so an error message can never smuggle a credential or a page of traceback
into the log or into what the agent says.
"""

from __future__ import annotations

from microturn._core._events import ComponentFailed
from microturn._core._secrets import scrub
from microturn._core._tools import ToolServerError
from microturn.errors import AdapterError

__all__ = ["MAX_ERROR", "describe", "failed", "plain", "tool_failed"]

MAX_ERROR = 240
"""Characters of an error message kept in the log, and in what the user hears."""

_SCANNED = 4 * MAX_ERROR  # scrub before cutting (a cut secret would no longer look like one), but not megabytes


def _bounded(text: str) -> str:
    text = scrub(" ".join(text[:_SCANNED].split()))
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"


def describe(error: BaseException) -> str:
    """``Type: message`` for the log: one line, bounded, secrets redacted."""
    message = str(error)
    return _bounded(f"{type(error).__name__}: {message}" if message.strip() else type(error).__name__)


def plain(error: BaseException) -> str:
    """The message alone for the user (``failed unexpectedly`` when there is none): bounded, redacted."""
    message = str(error)
    return _bounded(message) if message.strip() else "it failed unexpectedly"


def failed(component: str, error: Exception, *, name: str = "") -> ComponentFailed:
    """The event for ``error`` raised by ``component``; only an AdapterError can say it is worth a retry."""
    transient = error.transient if isinstance(error, AdapterError) else False
    return ComponentFailed(component=component, error=describe(error), name=name, transient=transient)


def tool_failed(tool: str, error: Exception) -> tuple[ComponentFailed, str]:
    """The event for a tool call that raised, and its error result's text (for the user and the model).

    A ToolError's message is written for the user; anything else is a fault in the tool, said plainly.
    """
    component = "mcp" if isinstance(error, ToolServerError) else "tool"
    said = str(error) if isinstance(error, AdapterError) else f"the tool {tool} failed: {plain(error)}"
    return failed(component, error, name=tool), said
