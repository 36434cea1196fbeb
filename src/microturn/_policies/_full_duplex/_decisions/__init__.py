"""The full-duplex policy's judgements of what the user says, behind interfaces: the end of their turn, speech
over the agent, what a turn asks for. Each has the hand-written rules as its baseline implementation; others
are registered by name (``register_decisions``) and chosen with ``FullDuplexPolicy(decisions=name)``; ``"learned"``
(``_learned/``) reads the words with heads fitted on labelled examples. ``DEFAULT_DECISIONS`` is the set a policy
built without a choice runs."""

from microturn._policies._full_duplex._decisions._interfaces import (
    NOTHING,
    Intent,
    IntentContext,
    IntentReading,
    Member,
    ModelReading,
    Overlap,
    OverlapContext,
    OverlapKind,
    Slot,
    TurnEnd,
    TurnEndContext,
    TurnEndEstimate,
    Waits,
)
from microturn._policies._full_duplex._decisions._registry import (
    DECISIONS,
    DEFAULT_DECISIONS,
    LEARNED,
    RULES,
    Decisions,
    learned,
    make_decisions,
    register_decisions,
    rules,
)
from microturn._policies._full_duplex._decisions._rules_intent import RulesIntent, read_request
from microturn._policies._full_duplex._decisions._rules_member import RulesMember
from microturn._policies._full_duplex._decisions._rules_overlap import RulesOverlap
from microturn._policies._full_duplex._decisions._rules_turn_end import RulesTurnEnd

__all__ = [
    "DECISIONS",
    "DEFAULT_DECISIONS",
    "LEARNED",
    "NOTHING",
    "RULES",
    "Decisions",
    "Intent",
    "IntentContext",
    "IntentReading",
    "Member",
    "ModelReading",
    "Overlap",
    "OverlapContext",
    "OverlapKind",
    "RulesIntent",
    "RulesMember",
    "RulesOverlap",
    "RulesTurnEnd",
    "Slot",
    "TurnEnd",
    "TurnEndContext",
    "TurnEndEstimate",
    "Waits",
    "learned",
    "make_decisions",
    "read_request",
    "register_decisions",
    "rules",
]
