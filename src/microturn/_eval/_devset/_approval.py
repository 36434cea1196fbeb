"""Approval answers: is the user's answer to "May I …? Please say yes or no." read as they meant it?

Each case's ``answer`` goes through the policy's approval reader (``_readers.py``). Reading a no or an
unclear answer as a yes runs a risky tool nobody approved, so those are counted apart: there must be none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from microturn._eval._devset._cases import ApprovalCase

__all__ = ["LABELS", "ApprovalResult", "ApprovalRow", "ApprovalSummary", "measure_approvals", "summarise_approvals"]

LABELS = ("yes", "no", "unclear")


@dataclass(frozen=True, slots=True)
class ApprovalResult:
    id: str
    label: str
    read: str


@dataclass(frozen=True, slots=True)
class ApprovalRow:
    label: str
    cases: int
    read_yes: int
    read_no: int
    read_unclear: int


@dataclass(frozen=True, slots=True)
class ApprovalSummary:
    rows: list[ApprovalRow]
    cases: int
    right: int
    false_yes: int
    """Answers that were not a yes, read as one (must be 0)."""


def measure_approvals(cases: Sequence[ApprovalCase], read: Callable[[str, str], str]) -> list[ApprovalResult]:
    return [ApprovalResult(id=case.id, label=case.label, read=read(case.question, case.answer)) for case in cases]


def summarise_approvals(results: Sequence[ApprovalResult]) -> ApprovalSummary:
    rows = []
    for label in LABELS:
        reads = [r.read for r in results if r.label == label]
        rows.append(
            ApprovalRow(
                label=label,
                cases=len(reads),
                read_yes=reads.count("yes"),
                read_no=reads.count("no"),
                read_unclear=reads.count("unclear"),
            )
        )
    return ApprovalSummary(
        rows=rows,
        cases=len(results),
        right=sum(r.read == r.label for r in results),
        false_yes=sum(r.read == "yes" and r.label != "yes" for r in results),
    )
