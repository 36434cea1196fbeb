"""The interaction development set (eval/devset/): its cases, and a policy's decisions measured on them.

``microturn devset`` runs it. Each family has a measure that takes any policy (a factory: a fresh
policy per case) or, for the readings of a whole turn, any reader; ``docs/decisions.md`` has the
numbers of the full-duplex rules.
"""

from microturn._eval._devset._approval import ApprovalResult, measure_approvals, summarise_approvals
from microturn._eval._devset._cases import (
    ApprovalCase,
    ContextTurn,
    Devset,
    IntentCase,
    NarrativeCase,
    OverlapCase,
    PauseCase,
    Split,
    load_devset,
)
from microturn._eval._devset._intent import IntentResult, measure_intents, summarise_intents
from microturn._eval._devset._narrative import NarrativeResult, measure_narratives, summarise_narratives
from microturn._eval._devset._overlap import OverlapResult, measure_overlaps, summarise_overlaps
from microturn._eval._devset._pause import PauseResult, measure_pauses, summarise_pauses
from microturn._eval._devset._readers import (
    READERS,
    Readers,
    TurnReading,
    decision_readers,
    readers,
    rules_approval,
    rules_intent,
)
from microturn._eval._devset._run import TARGETS, DevsetReport, run_devset
from microturn._eval._devset._sessions import PolicyFactory
from microturn._eval._devset._tables import format_report

__all__ = [
    "READERS",
    "TARGETS",
    "ApprovalCase",
    "ApprovalResult",
    "ContextTurn",
    "Devset",
    "DevsetReport",
    "IntentCase",
    "IntentResult",
    "NarrativeCase",
    "NarrativeResult",
    "OverlapCase",
    "OverlapResult",
    "PauseCase",
    "PauseResult",
    "PolicyFactory",
    "Readers",
    "Split",
    "TurnReading",
    "decision_readers",
    "format_report",
    "load_devset",
    "measure_approvals",
    "measure_intents",
    "measure_narratives",
    "measure_overlaps",
    "measure_pauses",
    "readers",
    "rules_approval",
    "rules_intent",
    "run_devset",
    "summarise_approvals",
    "summarise_intents",
    "summarise_narratives",
    "summarise_overlaps",
    "summarise_pauses",
]
