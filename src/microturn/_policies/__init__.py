"""Interaction policies, chosen by name.

A session's log records its policy by name (and options), and a replay rebuilds it from them: a policy
of your own gets a name with :func:`register_policy`, in the recording process and the replaying one. So do
the full-duplex policy's judges of the user's words (``FullDuplexPolicy(decisions=name)``), with
:func:`register_decisions`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from microturn._policies._base import MicroTurn, Policy
from microturn._policies._full_duplex import FullDuplexPolicy
from microturn._policies._full_duplex._decisions import LEARNED, RULES, register_decisions
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
    "recorded_options",
    "register_decisions",
    "register_policy",
    "session_policy",
]

FULL_DUPLEX_LEARNED = "full-duplex-learned"
"""The full-duplex policy with the learned decisions (``FullDuplexPolicy(decisions="learned")``), whatever the
default: a name for the command line and ``microturn eval --compare``; its sessions record the policy as
full-duplex with that option."""
FULL_DUPLEX_RULES = "full-duplex-rules"
"""The same with the rules (``FullDuplexPolicy(decisions="rules")``): the baseline to compare with."""

POLICIES: dict[str, Callable[..., Policy]] = {
    FullDuplexPolicy.name: FullDuplexPolicy,
    FULL_DUPLEX_LEARNED: functools.partial(FullDuplexPolicy, decisions=LEARNED),
    FULL_DUPLEX_RULES: functools.partial(FullDuplexPolicy, decisions=RULES),
    TurnBasedPolicy.name: TurnBasedPolicy,
}


def register_policy(name: str, factory: Callable[..., Policy]) -> None:
    """Make ``name`` a policy the config and ``make_policy`` know: ``factory(**options)`` builds one."""
    POLICIES[name] = factory


def policy_options(policy: Policy) -> dict[str, Any]:
    """The options ``policy`` was built with, for the log to record (none known: an empty dict)."""
    options: dict[str, Any] = dict(getattr(policy, "options", {}))
    return options


def make_policy(name: str, options: Mapping[str, Any] | None = None) -> Policy:
    try:
        factory = POLICIES[name]
    except KeyError:
        raise UnknownComponent("policy", name, sorted(POLICIES)) from None
    try:
        return factory(**(options or {}))
    except TypeError as exc:
        raise ConfigError(f"invalid options for policy {name!r}: {exc}") from None


def recorded_options(name: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options a session log recorded for policy ``name``, as that session ran: a full-duplex log that names
    no decisions ran with the rules (every log recorded before new logs always named them, whatever the default)."""
    if name == FullDuplexPolicy.name and "decisions" not in options:
        return {**options, "decisions": RULES}
    return dict(options)


def session_policy(name: str, options: Mapping[str, Any], *, recorded: bool) -> tuple[Policy, dict[str, Any]]:
    """A session's policy, built by the name and options of its config, and the options its log records.

    ``recorded``: the config is a log's (a replay, a resumed session): the policy that ran is rebuilt
    (``recorded_options``) and the options stay as recorded, byte for byte. Else it is a new session, whose log
    also names the decisions its policy chose when the config did not (the default), so that its replay,
    whatever the default then, runs with them.
    """
    if recorded:
        return make_policy(name, recorded_options(name, options)), dict(options)
    policy = make_policy(name, options)
    chosen = policy_options(policy)
    if "decisions" in chosen and "decisions" not in options:
        return policy, {**options, "decisions": chosen["decisions"]}
    return policy, dict(options)
