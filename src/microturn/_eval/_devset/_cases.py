"""The development set's cases (eval/devset/, described in its README.md), read into typed structs.

One JSONL file per family; each line is one case. A line that is not valid JSON, has a key too many or
too few, a wrong type, a label outside the family's set, or an id that does not end in its split is an
error naming the file and the line: a typo must never silently drop or change a case. (The set's own
``check.py`` checks more: the split rule, duplicates, counts; this reads what the harness needs.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

import msgspec

from microturn.errors import ScenarioError

__all__ = [
    "ApprovalCase",
    "Case",
    "ContextTurn",
    "Devset",
    "IntentCase",
    "IntentLabel",
    "NarrativeCase",
    "OverlapCase",
    "PauseCase",
    "Split",
    "load_devset",
]

Split = Literal["train", "dev", "all"]


class Case(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What every case has: an id ``<family>-<NNNN>-<split>`` and its family (the file's name)."""

    id: str
    family: str

    @property
    def split(self) -> str:
        """``train`` or ``dev``: the last part of the id."""
        return self.id.rsplit("-", 1)[-1]


class ContextTurn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A turn before the pause case's own words, oldest first."""

    speaker: Literal["user", "agent"]
    text: str


class PauseCase(Case, frozen=True):
    """Did the user's turn end at this pause? ``after`` is what they said next (empty: it did end)."""

    modality: Literal["spoken", "typed"]
    context: tuple[ContextTurn, ...]
    before: str
    pause: float
    after: str
    label: Literal["continue", "end"]


class OverlapCase(Case, frozen=True):
    """What the user meant by saying ``user`` while the agent was saying ``agent_saying``."""

    agent_saying: str
    user: str
    label: Literal["backchannel", "reaction", "side", "noise", "barge_in"]


class NarrativeCase(Case, frozen=True):
    """A story told in sentences with ``pauses`` between them; whether the last sentence asks something."""

    modality: Literal["spoken"]
    sentences: tuple[str, ...]
    pauses: tuple[float, ...]
    asks_at_end: bool


IntentLabel = Literal[
    "timer",
    "cancel_timer",
    "cue",
    "cancel_cue",
    "live_start",
    "live_stop",
    "delegate",
    "progress",
    "cancel_job",
    "none",
]
"""What an intent case may ask for: the intent family's labels, in the order its report lists them."""


class IntentCase(Case, frozen=True):
    """What a whole user turn asks for, and its slots (``seconds`` for a timer)."""

    text: str
    label: IntentLabel
    slots: dict[str, object]


class ApprovalCase(Case, frozen=True):
    """The user's ``answer`` to the agent's yes/no ``question``."""

    question: str
    answer: str
    label: Literal["yes", "no", "unclear"]


C = TypeVar("C", bound=Case)


@dataclass(frozen=True, slots=True)
class Devset:
    """The cases of one split (or all), family by family, in file order."""

    pause: list[PauseCase]
    overlap: list[OverlapCase]
    narrative: list[NarrativeCase]
    intent: list[IntentCase]
    approval: list[ApprovalCase]


def load_devset(directory: Path, split: Split = "dev") -> Devset:
    """The cases of ``split`` in the set at ``directory``; ScenarioError names the file and line of a bad case."""
    return Devset(
        pause=_load(directory, "pause", PauseCase, split),
        overlap=_load(directory, "overlap", OverlapCase, split),
        narrative=_load(directory, "narrative", NarrativeCase, split),
        intent=_load(directory, "intent", IntentCase, split),
        approval=_load(directory, "approval", ApprovalCase, split),
    )


def _load(directory: Path, family: str, kind: type[C], split: Split) -> list[C]:
    path = directory / f"{family}.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read the {family} cases: {exc}", path=str(path)) from None
    decoder = msgspec.json.Decoder(kind)
    cases: list[C] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            case = decoder.decode(line)
        except msgspec.DecodeError as exc:  # ValidationError is one: a wrong key, type or label
            raise ScenarioError(f"line {number}: not a valid {family} case: {exc}", path=str(path)) from None
        if case.family != family or case.split not in ("train", "dev"):
            raise ScenarioError(
                f"line {number}: {case.id!r} is not a {family} case with an id ending in -train or -dev",
                path=str(path),
            )
        if split in ("all", case.split):
            cases.append(case)
    return cases
