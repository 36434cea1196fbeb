"""The numbers README.md and docs/decisions.md give for the rules and the learned decisions, measured again.

Every figure the docs state is asserted here exactly (the sessions run in virtual time, so a run always gives
the same numbers): a change that moves one fails until the docs say the new number.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from microturn._eval import run_compare
from microturn._eval._devset import READERS, DevsetReport, decision_readers, load_devset, run_devset
from microturn._policies import make_policy

ROOT = Path(__file__).resolve().parent.parent


def measured(decisions: str) -> DevsetReport:
    options = {} if decisions == "rules" else {"decisions": decisions}
    return run_devset(
        load_devset(ROOT / "eval" / "devset", "dev"),
        policy=lambda: make_policy("full-duplex", options),
        name=decisions,
        readers=READERS["full-duplex"] if decisions == "rules" else decision_readers(decisions),
        split="dev",
    )


@pytest.fixture(scope="module")
def rules() -> dict[str, float | int | None]:
    return measured("rules").headline()


@pytest.fixture(scope="module")
def learned() -> dict[str, float | int | None]:
    return measured("learned").headline()


def share(hits: int, total: int) -> float:
    return round(hits / total, 4)


def test_the_rules_dev_numbers_the_docs_give(rules: dict[str, float | int | None]) -> None:
    assert rules["pause_any_speech_spoken"] == share(20, 26)
    assert rules["pause_any_speech"] == share(20, 33)
    assert rules["kept_going"] == share(7, 22)
    assert rules["barge_in_prompt"] == share(10, 14)
    assert rules["narrative_listened"] == 0
    assert rules["intent_accuracy"] == share(29, 56)
    assert rules["approval_accuracy"] == share(17, 25)
    assert rules["approval_false_yes"] == 0


def test_the_learned_dev_numbers_the_docs_give(learned: dict[str, float | int | None]) -> None:
    assert learned["pause_any_speech_spoken"] == share(13, 26)
    assert learned["pause_any_speech"] == share(13, 33)
    assert learned["end_latency_median"] == pytest.approx(0.1)
    assert learned["kept_going"] == share(21, 22)
    assert learned["barge_in_prompt"] == share(13, 14)
    assert learned["narrative_listened"] == share(12, 21)
    assert learned["intent_accuracy"] == share(47, 56)
    assert learned["approval_accuracy"] == share(21, 25)
    assert learned["approval_false_yes"] == 0  # fail closed: never a yes that was not one


def test_the_held_out_and_original_scenarios_under_each_decision_set() -> None:
    scenarios = ROOT / "scenarios"
    held_out = run_compare([scenarios / "generalise"], ["full-duplex-learned", "full-duplex"])
    assert [sum(r.passed for r in run.results) for run in held_out.runs] == [32, 16]
    assert all(len(run.results) == 43 for run in held_out.runs)
    original = run_compare([scenarios / "core", scenarios / "duplex"], ["full-duplex-learned"])
    assert sum(r.passed for r in original.runs[0].results) == 97
