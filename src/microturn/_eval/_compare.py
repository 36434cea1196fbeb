"""Runs the same scenarios under several policies and sets their pass rates and metrics side by side.

The first policy is the *candidate*: the comparison passes only if every scenario passes under it.
The others are baselines, expected to fail the families they were not built for. A scenario whose own
``config`` names a policy is *pinned*: it runs once, under that policy, and is reported on its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from microturn._eval._metrics import Summary, merge, summarise
from microturn._eval._runner import (
    LogWriter,
    ScenarioResult,
    format_failures,
    load_all,
    load_failure,
    run_scenario,
)
from microturn._policies import POLICIES
from microturn.errors import ConfigError, MicroturnError

__all__ = ["Comparison", "PolicyRun", "format_comparison", "run_compare"]


@dataclass
class PolicyRun:
    policy: str
    results: list[ScenarioResult]
    summary: Summary

    def families(self) -> dict[str, tuple[int, int]]:
        return _families(self.results)


@dataclass
class Comparison:
    runs: list[PolicyRun]
    """One per policy asked for, in order; the first is the candidate."""
    pinned: list[ScenarioResult]

    @property
    def passed(self) -> bool:
        """Every scenario passed under the candidate, and every pinned scenario passed."""
        results = [*self.runs[0].results, *self.pinned]
        return bool(results) and all(result.passed for result in results)

    def to_json(self) -> dict[str, object]:
        return {
            "candidate": self.runs[0].policy,
            "passed": self.passed,
            "runs": [
                {
                    "policy": run.policy,
                    "families": _families_json(run.results),
                    "summary": asdict(run.summary),
                    "results": [asdict(result) for result in run.results],
                }
                for run in self.runs
            ],
            "pinned": {
                "families": _families_json(self.pinned),
                "results": [asdict(result) for result in self.pinned],
            },
        }


def run_compare(
    paths: list[Path], policies: list[str], out_dir: Path | None = None, *, model: str | None = None
) -> Comparison:
    """Run the scenarios under ``paths`` under each policy; write logs and ``compare.json`` to ``out_dir``."""
    if not policies:
        raise ConfigError("name at least one policy to compare")
    unknown = [name for name in policies if name not in POLICIES]
    if unknown:
        raise ConfigError(f"unknown policy {unknown[0]!r}; choose among: {', '.join(sorted(POLICIES))}")
    logs = LogWriter(out_dir)
    runs: list[list[ScenarioResult]] = [[] for _ in policies]  # a policy named twice runs twice
    pinned: list[ScenarioResult] = []
    for path, scenario in load_all(paths):
        if isinstance(scenario, MicroturnError):
            for policy, results in zip(policies, runs, strict=True):
                results.append(load_failure(path, scenario, policy))
        elif "policy" in scenario.config:
            result, log = run_scenario(scenario, model=model, path=str(path))
            logs.write(result, log, path=path)
            pinned.append(result)
        else:
            for policy, results in zip(policies, runs, strict=True):
                result, log = run_scenario(scenario, policy=policy, model=model, path=str(path))
                logs.write(result, log, path=path)
                results.append(result)
    comparison = Comparison(
        runs=[PolicyRun(policy, results, _summary(results)) for policy, results in zip(policies, runs, strict=True)],
        pinned=pinned,
    )
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "compare.json").write_text(json.dumps(comparison.to_json(), indent=2) + "\n")
    return comparison


def _summary(results: list[ScenarioResult]) -> Summary:
    return summarise(merge(result.metrics for result in results if result.metrics is not None))


def _families(results: list[ScenarioResult]) -> dict[str, tuple[int, int]]:
    """Per family: (passed, run)."""
    counts: dict[str, tuple[int, int]] = {}
    for result in results:
        passed, total = counts.get(result.family, (0, 0))
        counts[result.family] = (passed + result.passed, total + 1)
    return counts


def _families_json(results: list[ScenarioResult]) -> dict[str, dict[str, int]]:
    return {
        family: {"passed": passed, "failed": total - passed}
        for family, (passed, total) in sorted(_families(results).items())
    }


# --- the printed report ----------------------------------------------------------------------------------

_Row = tuple[str, Callable[[Summary], float | int | None], str]

_METRICS: list[_Row] = [
    # label, value, shown as: "ms" (seconds in milliseconds), "n" (a count), "" (two decimals)
    ("pause take-over rate (lower is better)", lambda s: s.pause_takeover, ""),
    ("pause any-speech rate (lower is better)", lambda s: s.pause_any_speech, ""),
    ("turn take-over rate", lambda s: s.turn_takeover, ""),
    ("turn latency median ms", lambda s: s.turn_latency_median, "ms"),
    ("turn latency p90 ms", lambda s: s.turn_latency_p90, "ms"),
    ("interruption stop latency median ms", lambda s: s.stop_latency_median, "ms"),
    ("interruptions not stopped", lambda s: s.not_stopped if s.interruption_n else None, "n"),
    ("interruption take-over rate", lambda s: s.interruption_takeover, ""),
    ("backchannels per s of user speech", lambda s: s.backchannels_per_second, ""),
    (
        "backchannels over user input",
        lambda s: s.backchannels_overlapping if s.backchannel_scenarios else None,
        "n",
    ),
    ("cue precision", lambda s: s.cue_precision, ""),
    ("cue recall", lambda s: s.cue_recall, ""),
    ("cue latency median ms", lambda s: s.cue_latency_median, "ms"),
    ("timed onset error mean ms", lambda s: s.timer_error_mean, "ms"),
    ("timed onset error max ms", lambda s: s.timer_error_max, "ms"),
    ("timed onsets missed", lambda s: s.timer_misses if s.timer_n else None, "n"),
    ("weave delay median ms", lambda s: s.weave_delay_median, "ms"),
    ("weave overlap s", lambda s: s.weave_overlap if s.weave_n else None, ""),
    ("weaves delivered twice", lambda s: s.weave_doubled if s.weave_n else None, "n"),
    ("weaves not delivered", lambda s: s.weave_undelivered if s.weave_n else None, "n"),
    ("anchors whose step never ran", lambda s: s.missing_anchors, "n"),
]


def format_comparison(comparison: Comparison) -> str:
    policies = [run.policy for run in comparison.runs]
    everything = [*comparison.pinned, *(r for run in comparison.runs for r in run.results)]
    families = sorted({r.family for r in everything})
    columns = [run.families() for run in comparison.runs] + [_families(comparison.pinned)]
    rows = [["family", *policies, "pinned"]]
    for family in [*families, "all"]:
        rows.append([family, *(_passed_cell(column, family) for column in columns)])
    lines = _table(rows)
    lines.append("")
    rows = [["metric", *policies]]
    for label, value, unit in _METRICS:
        rows.append([label, *(_format(value(run.summary), unit) for run in comparison.runs)])
    lines.extend(_table(rows))
    failures = [r for r in [*comparison.runs[0].results, *comparison.pinned] if not r.passed]
    if failures:
        lines.append("")
        lines.append(f"failed under the candidate ({policies[0]}) or pinned:")
        lines.extend(format_failures(failures))
    lines.append("")
    verdict = "passed" if comparison.passed else "FAILED"
    lines.append(f"candidate {policies[0]}: {verdict}")
    return "\n".join(lines)


def _passed_cell(counts: dict[str, tuple[int, int]], family: str) -> str:
    if family == "all":
        passed, total = sum(p for p, _ in counts.values()), sum(t for _, t in counts.values())
    else:
        passed, total = counts.get(family, (0, 0))
    return f"{passed}/{total}" if total else "-"


def _format(value: float | int | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value * 1000:.0f}"
    if unit == "n":
        return str(value)
    return f"{value:.2f}"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines
