"""Interaction policies, chosen by name.

A session's log records its policy by name (and options), and a replay rebuilds it from them: a policy
of your own gets a name with :func:`register_policy`, in the recording process and the replaying one. So do
the full-duplex policy's judges of the user's words (``FullDuplexPolicy(decisions=name)``), with
:func:`register_decisions`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from microturn._policies._base import MicroTurn, Policy
from microturn._policies._full_duplex import FullDuplexPolicy
from microturn._policies._full_duplex._decisions import register_decisions
from microturn._policies._turn_based import TurnBasedPolicy
from microturn.errors import ConfigError, UnknownComponent

__all__ = [
    "POLICIES",
    "FullDuplexPolicy",
    "MicroTurn",
    "Policy",
    "TurnBasedPolicy",
    "make_policy",
    "policy_options",
    "register_decisions",
    "register_policy",
]

LEARNED = "full-duplex-learned"
"""The full-duplex policy with the learned decisions (``FullDuplexPolicy(decisions="learned")``): a name for the
command line and ``microturn eval --compare``; its sessions record the policy as full-duplex with that option."""

POLICIES: dict[str, Callable[..., Policy]] = {
    FullDuplexPolicy.name: FullDuplexPolicy,
    LEARNED: functools.partial(FullDuplexPolicy, decisions="learned"),
    TurnBasedPolicy.name: TurnBasedPolicy,
}


def register_policy(name: str, factory: Callable[..., Policy]) -> None:
    """Make ``name`` a policy the config and ``make_policy`` know: ``factory(**options)`` builds one."""
    POLICIES[name] = factory


def policy_options(policy: Policy) -> dict[str, Any]:
    """The options ``policy`` was built with, for the log to record (none known: an empty dict)."""
    options: dict[str, Any] = dict(getattr(policy, "options", {}))
    return options


def make_policy(name: str, options: dict[str, Any] | None = None) -> Policy:
    try:
        factory = POLICIES[name]
    except KeyError:
        raise UnknownComponent("policy", name, sorted(POLICIES)) from None
    try:
        return factory(**(options or {}))
    except TypeError as exc:
        raise ConfigError(f"invalid options for policy {name!r}: {exc}") from None
