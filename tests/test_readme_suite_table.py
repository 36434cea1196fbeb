"""The README's interactivity-suite tables, measured again: each row is rendered from a fresh run of
``scenarios/duplex`` under the default policy and the turn-based baseline, and must appear in README.md as it is.

The scenarios run in virtual time with the scripted model, so a run always gives the same numbers: a change that
moves one fails here until the README says the new number.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from microturn._eval import run_compare
from microturn._eval._compare import Comparison
from microturn._eval._metrics._summary import Summary

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ["full-duplex", "turn-based"]
FAMILIES = {
    "pause": "pause: mid-sentence pause",
    "turn-end": "turn-end",
    "barge-in": "barge-in",
    "not-a-turn": "not-a-turn: backchannel, side talk, noise",
    "monologue": "monologue with backchannels",
    "cue": "cue trigger",
    "timed": "timed speech and elapsed time",
    "correction": "proactive correction",
    "weave": "weave: result while the user speaks",
    "stale": "stale: topic change or self-correction",
    "simultaneous": "simultaneous output",
    "think": "think while listening / speak while thinking",
    "background": "background jobs, approvals, scopes",
}
"""The README's label of each family, in its order."""


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return run_compare([ROOT / "scenarios" / "duplex"], POLICIES)


@pytest.fixture(scope="module")
def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_family_table(comparison: Comparison, readme: str) -> None:
    counts = [run.families() for run in comparison.runs]
    assert sorted(counts[0]) == sorted(FAMILIES), "a family was added or renamed: give it a README row"
    for family, label in FAMILIES.items():
        total = counts[0][family][1]
        assert f"| {label} ({total}) | {counts[0][family][0]} | {counts[1][family][0]} |" in readme
    totals = [sum(passed for passed, _ in count.values()) for count in counts]
    run = sum(total for _, total in counts[0].values())
    assert f"| **all {run}** | **{totals[0]}** | **{totals[1]}** |" in readme
    pinned = comparison.pinned
    names = (
        "slow-speaker-long-pauses",
        "unrelated-remark",
        "during-mid-sentence-pause",
        "result-while-user-speaks",
        "two-results",
    )
    assert [(r.name, r.policy, r.passed) for r in pinned] == [(name, "full-duplex-rules", True) for name in names]
    assert "are pinned to the rules' decisions (run\nonce under them, it passes; not counted above)" in readme


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:.0f}"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _cues(s: Summary) -> str:
    return f"{_rate(s.cue_precision)} / {_rate(s.cue_recall)} / {_ms(s.cue_latency_median)}"


Cell = Callable[[Summary], str]
ROWS: list[tuple[str, Cell, Cell]] = [
    ("pause take-over rate (lower is better)", lambda s: _rate(s.pause_takeover), lambda s: _rate(s.pause_takeover)),
    (
        "pause any-speech rate: any word but a backchannel in the pause (lower is better)",
        lambda s: _rate(s.pause_any_speech),
        lambda s: _rate(s.pause_any_speech),
    ),
    (
        "turn-taking latency, median / p90",
        lambda s: f"{_ms(s.turn_latency_median)} / {_ms(s.turn_latency_p90)} ms",
        lambda s: f"{_ms(s.turn_latency_median)} / {_ms(s.turn_latency_p90)} ms",
    ),
    (
        "barge-in stop latency, median",
        lambda s: f"{_ms(s.stop_latency_median)} ms (same loop pass)",
        lambda s: f"{_ms(s.stop_latency_median)} ms",
    ),
    (
        "backchannels per second of user speech",
        lambda s: _rate(s.backchannels_per_second),
        lambda s: _rate(s.backchannels_per_second),
    ),
    (
        "cue precision / recall / latency",
        lambda s: f"{_cues(s)} ms",
        _cues,
    ),
    (
        "timed-speech onset error, mean / max",
        lambda s: f"{_ms(s.timer_error_mean)} / {_ms(s.timer_error_max)} ms",
        lambda s: f"{s.timer_misses} of {s.timer_n} missed",
    ),
    (
        "weave delay, median",
        lambda s: f"{s.weave_delay_median:.1f} s (waits for the user's pause)",
        lambda s: f"{s.weave_undelivered} of {s.weave_n} never woven",
    ),
    ("weave overlap with the user", lambda s: f"{s.weave_overlap:.2f} s", lambda s: f"{s.weave_overlap:.2f} s"),
]
"""Each metric row of the README: its label, and its cell for the default policy and for the baseline."""


@pytest.mark.parametrize(("label", "ours", "baseline"), ROWS, ids=[row[0] for row in ROWS])
def test_the_metric_table(comparison: Comparison, readme: str, label: str, ours: Cell, baseline: Cell) -> None:
    summaries = [run.summary for run in comparison.runs]
    row = f"| {label} | {ours(summaries[0])} | {baseline(summaries[1])} |"
    assert row in readme, f"README.md should have the row as measured: {row}"


def test_the_readme_counts_the_scenarios_eval_runs(readme: str) -> None:
    count = sum(1 for folder in ("core", "duplex") for _ in (ROOT / "scenarios" / folder).rglob("*.yaml"))
    command = "`time microturn eval scenarios/core scenarios/duplex`"  # the folders counted, not scenarios/
    assert f"All {count} scenarios run in about\n  15 seconds on this machine ({command}" in readme
