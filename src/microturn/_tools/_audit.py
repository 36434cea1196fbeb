"""The audit trail of tool use: every call, who asked for it, whether it was approved, what came back.

Everything is already in the session's append-only log (secrets redacted before they are recorded);
this reads it back as one row per call, redacting again what it shows, for logs written before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from microturn._core._events import ApprovalDecided, ApprovalRequested, Event, ToolCalled, ToolResult
from microturn._core._secrets import scrub
from microturn._tools._permissions import redact

__all__ = ["AuditRow", "audit", "line"]


@dataclass
class AuditRow:
    call: str
    tool: str
    arguments: dict[str, Any]
    requested_at: float
    requested_by: str
    approval: str = "not needed"
    outcome: str = "no result"
    result: str = ""
    finished_at: float | None = None
    events: list[int] = field(default_factory=list)


def audit(events: Iterable[Event]) -> list[AuditRow]:
    """One row per tool call in the log, in the order the calls were made."""
    rows: dict[str, AuditRow] = {}
    for event in events:
        if isinstance(event, ToolCalled):
            rows[event.call] = AuditRow(event.call, event.tool, redact(event.arguments), event.t, event.source)
            row = rows[event.call]
        elif isinstance(event, ApprovalRequested | ApprovalDecided | ToolResult) and event.call in rows:
            row = rows[event.call]
            if isinstance(event, ApprovalRequested):
                row.approval = "asked"
            elif isinstance(event, ApprovalDecided):
                row.approval = ("approved" if event.granted else "refused") + (
                    f" ({event.reason})" if event.reason else ""
                )
            else:
                row.outcome = "error" if event.error else "ok"
                row.result = scrub(event.output)
                row.finished_at = event.t
        else:
            continue
        row.events.append(event.seq)
    return list(rows.values())


def line(row: AuditRow) -> str:
    """The row as one printable line: what a tool (or the model) wrote can neither start a row of its own
    nor send the auditor's terminal escape sequences."""
    result = _printable(row.result)
    result = result if len(result) <= 60 else result[:57] + "..."
    return _printable(
        f"{row.requested_at:8.2f}s  {row.call:<18} {row.tool:<20} {row.arguments}  by {row.requested_by}; "
        f"approval: {row.approval}; {row.outcome}: {result}"
    )


def _printable(text: str) -> str:
    """Line breaks, escapes and other control characters shown as Python writes them (``\\n``, ``\\x1b``)."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
