"""Interaction policies, chosen by name."""

from __future__ import annotations

from typing import Any

from microturn._policies._base import MicroTurn, Policy
from microturn._policies.full_duplex import FullDuplexPolicy
from microturn._policies.turn_based import TurnBasedPolicy
from microturn.errors import ConfigError

__all__ = ["POLICIES", "FullDuplexPolicy", "MicroTurn", "Policy", "TurnBasedPolicy", "make_policy"]

POLICIES: dict[str, type[Policy]] = {
    FullDuplexPolicy.name: FullDuplexPolicy,
    TurnBasedPolicy.name: TurnBasedPolicy,
}


def make_policy(name: str, options: dict[str, Any] | None = None) -> Policy:
    try:
        factory = POLICIES[name]
    except KeyError:
        known = ", ".join(sorted(POLICIES))
        raise ConfigError(f"unknown policy {name!r}; choose one of: {known}") from None
    try:
        return factory(**(options or {}))
    except TypeError as exc:
        raise ConfigError(f"invalid options for policy {name!r}: {exc}") from None
