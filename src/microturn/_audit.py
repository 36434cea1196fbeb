"""The audit trail of tool use: every call, who asked for it, whether it was approved, what came back.

Everything is already in the session's append-only log (arguments redacted before they are
recorded); this reads it back as one row per call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from microturn._events import ApprovalDecided, ApprovalRequested, Event, ToolCalled, ToolResult

__all__ = ["AuditRow", "audit"]


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
            rows[event.call] = AuditRow(event.call, event.tool, event.arguments, event.t, event.source)
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
                row.result = event.output
                row.finished_at = event.t
        else:
            continue
        row.events.append(event.seq)
    return list(rows.values())
