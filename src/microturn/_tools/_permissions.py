"""Who may do what: tools act only within the session's granted scopes, high-risk ones only with a yes.

Pure functions, used by every path that runs a tool (the interaction loop and the background lane),
so the rule is written once.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from microturn._core._secrets import is_secret_name, scrub
from microturn._core._tools import Risk, ToolSpec

__all__ = ["Permission", "Verdict", "check", "redact", "specs_by_name"]


class Verdict(enum.Enum):
    ALLOW = "allow"
    ASK = "ask"  # the user must say yes in the conversation; silence or a timeout means no
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class Permission:
    verdict: Verdict
    reason: str = ""


def check(spec: ToolSpec, granted: Iterable[str]) -> Permission:
    """May this session call the tool: yes, only if the user agrees, or no (and why)."""
    scopes = frozenset(granted)
    missing = sorted(scope for scope in spec.scopes if scope not in scopes and "*" not in scopes)
    if missing:
        needed = ", ".join(missing)
        return Permission(
            Verdict.DENY,
            f"{spec.name} needs the scope {needed}, which this session was not granted",
        )
    if spec.risk is Risk.HIGH:
        return Permission(Verdict.ASK, f"{spec.name} acts on the world: it needs the user's yes")
    return Permission(Verdict.ALLOW)


def specs_by_name(toolbox: object, offered: Sequence[ToolSpec]) -> dict[str, ToolSpec]:
    """Each tool's spec for :func:`check`: as the toolbox that runs it describes it (MCP servers, built-ins),
    else as offered to the model. A list that omits or understates a tool cannot lower its risk or scopes."""
    described: Sequence[ToolSpec] = getattr(toolbox, "specs", ())
    return {spec.name: spec for spec in [*offered, *described]}


def redact(arguments: dict[str, Any]) -> dict[str, Any]:
    """The arguments for logs (no secrets in logs): secret-named ones replaced, secrets found in the rest too."""
    return {key: "[redacted]" if is_secret_name(key) else _redact_value(value) for key, value in arguments.items()}


def _redact_value(value: Any) -> Any:
    if isinstance(value, dict):
        return redact(value)
    if isinstance(value, list):
        return [_redact_value(item) for item in value]
    return scrub(value) if isinstance(value, str) else value
