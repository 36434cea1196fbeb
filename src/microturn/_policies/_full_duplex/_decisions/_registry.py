"""The policy's decisions, chosen by name: ``FullDuplexPolicy(decisions="rules")`` or ``decisions="learned"``.

A name, not an object, so that a session's log records which decisions it ran with and a replay rebuilds
them: an implementation of your own gets a name with :func:`register_decisions`, in the recording process
and the replaying one (as a policy does with ``register_policy``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from microturn._policies._full_duplex._decisions._interfaces import Intent, Member, Overlap, TurnEnd, Waits
from microturn._policies._full_duplex._decisions._rules_intent import RulesIntent
from microturn._policies._full_duplex._decisions._rules_member import RulesMember
from microturn._policies._full_duplex._decisions._rules_overlap import RulesOverlap
from microturn._policies._full_duplex._decisions._rules_turn_end import RulesTurnEnd
from microturn.errors import ConfigError, UnknownComponent

__all__ = [
    "DECISIONS",
    "DEFAULT_DECISIONS",
    "LEARNED",
    "RULES",
    "Decisions",
    "learned",
    "make_decisions",
    "register_decisions",
    "rules",
]


@dataclass(frozen=True, slots=True)
class Decisions:
    """One implementation of each judgement, used together by one policy."""

    turn_end: TurnEnd
    overlap: Overlap
    intent: Intent
    member: Member = field(default_factory=RulesMember)
    """What a cue on a kind of thing ("a colour") hears as one; the rules hear the kind's own name only."""


def rules(waits: Waits) -> Decisions:
    """The hand-written rules: word lists, patterns and fixed waits (the baseline; docs/decisions.md)."""
    return Decisions(turn_end=RulesTurnEnd(waits), overlap=RulesOverlap(), intent=RulesIntent(), member=RulesMember())


def learned(waits: Waits) -> Decisions:
    """Heads fitted on labelled examples over sentence embeddings (``_learned/``); they need the ``embedded`` extra
    (numpy, onnxruntime and the embedding model), loaded only when these decisions are built."""
    from microturn._sentences._encoder import INSTALL

    try:
        from microturn._policies._full_duplex._decisions._learned import learned_decisions

        return learned_decisions(waits)  # it loads the model and the heads, importing what they need
    except ImportError as error:
        raise ConfigError(f"the learned decisions need {error.name or 'numpy'}: {INSTALL}") from None


RULES = "rules"
"""The hand-written baseline's name, and the decisions a log that names none was recorded with (every log before
new logs always named them)."""
LEARNED = "learned"
"""The heads fitted on labelled examples (``_learned/``)."""
DEFAULT_DECISIONS = LEARNED
"""The decisions ``FullDuplexPolicy()`` runs, and so the policy name ``full-duplex`` (``full-duplex-rules`` and
``full-duplex-learned`` name one set whatever the default). Every new log names the decisions it ran with, so
changing this changes no recorded session."""

DECISIONS: dict[str, Callable[[Waits], Decisions]] = {RULES: rules, LEARNED: learned}


def register_decisions(name: str, factory: Callable[[Waits], Decisions]) -> None:
    """Make ``name`` decisions the policy knows: ``factory(waits)`` builds them, given the policy's silences."""
    DECISIONS[name] = factory


def make_decisions(name: str, waits: Waits) -> Decisions:
    try:
        factory = DECISIONS[name]
    except KeyError:
        raise UnknownComponent(
            "decision set", name, sorted(DECISIONS), register="microturn._policies.register_decisions"
        ) from None
    return factory(waits)
