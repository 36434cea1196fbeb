"""Measuring a policy on the development set: every family, its headline numbers beside issue 13's targets."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from microturn._core._clock import Stopwatch
from microturn._eval._devset._approval import ApprovalResult, measure_approvals, summarise_approvals
from microturn._eval._devset._cases import Devset
from microturn._eval._devset._intent import IntentResult, measure_intents, summarise_intents
from microturn._eval._devset._narrative import NarrativeResult, measure_narratives, summarise_narratives
from microturn._eval._devset._overlap import OverlapResult, measure_overlaps, summarise_overlaps
from microturn._eval._devset._pause import PauseResult, measure_pauses, summarise_pauses
from microturn._eval._devset._readers import Readers
from microturn._eval._devset._sessions import PolicyFactory
from microturn._eval._devset._signals import Readings
from microturn._eval._devset._stats import share

__all__ = ["TARGETS", "DevsetReport", "run_devset"]

TARGETS: dict[str, str] = {
    "pause_any_speech": "<= 0.10",
    "end_latency_median": "<= 0.300 s (spoken)",
    "kept_going": ">= 0.90",
    "barge_in_prompt": ">= 0.98",
    "narrative_listened": ">= 0.80",
    "intent_accuracy": ">= 0.90",
    "approval_false_yes": "0",
}
"""Issue 13's targets for the headline numbers ("done when"), by the headline's name."""


@dataclass(frozen=True, slots=True)
class DevsetReport:
    """Every case of a split measured under one policy; ``intent``/``approval`` are None without readers."""

    split: str
    policy: str
    pause: list[PauseResult]
    overlap: list[OverlapResult]
    narrative: list[NarrativeResult]
    intent: list[IntentResult] | None
    approval: list[ApprovalResult] | None
    wall_seconds: float
    model_signal: str = "none"
    """Whether the model read the end of the user's turn (``recorded``: the embedded model's readings, replayed)
    in the pause and narrative families, or not (``none``)."""

    def headline(self) -> dict[str, float | int | None]:
        """The numbers issue 13 sets targets for (``TARGETS``), plus the ones that go with them."""
        spoken, _, pauses = summarise_pauses(self.pause)
        overlaps = summarise_overlaps(self.overlap)
        narratives = summarise_narratives(self.narrative)[-1]
        numbers: dict[str, float | int | None] = {
            "pause_any_speech": share(pauses.spoke, pauses.continues),
            "pause_any_speech_spoken": share(spoken.spoke, spoken.continues),
            "pause_takeover": share(pauses.takeovers, pauses.continues),
            # spoken: a typed turn ends with Enter, and typing that stops without it waits TYPED on purpose
            "end_latency_median": spoken.latency_median,
            "end_latency_p90": spoken.latency_p90,
            "end_latency_median_all": pauses.latency_median,
            "end_no_reply_in_3s": share(pauses.slow, pauses.ends),
            "kept_going": share(overlaps.kept_going, overlaps.acknowledgements),
            "barge_in_prompt": share(overlaps.prompt_stops, overlaps.barge_ins),
            "narrative_listened": share(narratives.listened, narratives.cases),
        }
        if self.intent is not None:
            intents = summarise_intents(self.intent)
            numbers["intent_accuracy"] = share(intents.right, intents.cases)
            numbers["timer_seconds"] = share(intents.timer_seconds_right, intents.timers_read)
        if self.approval is not None:
            approvals = summarise_approvals(self.approval)
            numbers["approval_accuracy"] = share(approvals.right, approvals.cases)
            numbers["approval_false_yes"] = approvals.false_yes
        return numbers

    def to_json(self) -> dict[str, Any]:
        """Everything: the headline, each family's summary and every case's result (``devset.json``)."""
        families: dict[str, Any] = {
            "pause": {"rows": summarise_pauses(self.pause), "cases": self.pause},
            "overlap": {"summary": summarise_overlaps(self.overlap), "cases": self.overlap},
            "narrative": {"rows": summarise_narratives(self.narrative), "cases": self.narrative},
        }
        if self.intent is not None:
            families["intent"] = {"summary": summarise_intents(self.intent), "cases": self.intent}
        if self.approval is not None:
            families["approval"] = {"summary": summarise_approvals(self.approval), "cases": self.approval}
        return {
            "split": self.split,
            "policy": self.policy,
            "model_signal": self.model_signal,
            "wall_seconds": round(self.wall_seconds, 3),
            "headline": self.headline(),
            "targets": TARGETS,
            "families": _plain(families),
        }


def run_devset(
    devset: Devset,
    *,
    policy: PolicyFactory,
    name: str,
    readers: Readers | None,
    split: str,
    readings: Readings | None = None,
) -> DevsetReport:
    """Measure ``policy`` (a fresh one per case, named ``name`` in the report) on every case of ``devset``;
    the intent and approval families with ``readers``, or not at all without; the pauses and stories with the
    embedded model's end-of-turn ``readings`` replayed, or with no model signal without."""
    stopwatch = Stopwatch()
    pause = measure_pauses(devset.pause, policy, readings)
    overlap = measure_overlaps(devset.overlap, policy)
    narrative = measure_narratives(devset.narrative, policy, readings)
    intent = None if readers is None else measure_intents(devset.intent, readers.intent)
    approval = None if readers is None else measure_approvals(devset.approval, readers.approval)
    signal = "none" if readings is None else "recorded"
    elapsed = stopwatch.elapsed()
    return DevsetReport(split, name, pause, overlap, narrative, intent, approval, elapsed, model_signal=signal)


def _plain(value: Any) -> Any:
    """Dataclasses, lists and dicts as plain JSON values."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return value
