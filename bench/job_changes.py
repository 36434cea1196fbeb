"""What a turn does to a running job, read with and without the job's words: the rules, the learned intent alone
(the job's words unknown), and the learned intent with the job-change head (``_learned/_job_change.py``).

The cases are ``eval/jobcontext/cases.jsonl`` (a running job's task and one user turn, labelled ``none``,
``revise_job``, ``cancel_job``, ``change_topic``, ``progress`` or ``delegate``; split by job). A reading is taken
as the policy takes it: a job change is the ``job`` slot the job watcher acts on (``cancel``, ``topic``,
``revise``), a negated reading changes nothing. Measured:

- right: the reading is the case's label;
- jobs lost by mistake: a turn that does not change the job (none, progress, a new job) read as cancelling,
  revising or leaving it: the user's work is dropped or redone;
- changes missed: a cancellation, revision or change of topic read as none of them.

``--split dev`` (the default) reads the dev cases with the shipped heads, once, after every choice was made;
``--split train`` reads the training cases out of fold: five folds by job, each with a job-change head (and its
encoder adapters) fitted on the other four (~10 minutes on two cores), for each weight of the job-change head
against the intent head in ``WEIGHTS`` (``JOB_WEIGHT`` was chosen by it).

    python bench/job_changes.py [--split dev|train] [--json out/bench/job_changes.json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any
from unittest import mock

from microturn._policies._full_duplex._decisions import IntentContext, IntentReading, RulesIntent
from microturn._policies._full_duplex._decisions._learned._examples import JOBS, REPOSITORY, Example
from microturn._policies._full_duplex._decisions._learned._fit import fit_job_change
from microturn._policies._full_duplex._decisions._learned._intent import JOB_WEIGHT, LearnedIntent
from microturn._sentences import Head

CASES = REPOSITORY / "eval" / JOBS / "cases.jsonl"
COSTLY = frozenset({"cancel_job", "revise_job", "change_topic"})
FOLDS = 5


def label(reading: IntentReading) -> str:
    """The case label a reading amounts to for the running job."""
    change = reading.slots.get("job")
    if reading.negated:
        return "none"
    if change == "topic":
        return "change_topic"
    if change == "revise" or reading.label == "revise_job":
        return "revise_job"
    if change == "cancel" or reading.label == "cancel_job":
        return "cancel_job"
    return reading.label if reading.label in ("progress", "delegate") else "none"


def score(name: str, got: list[str], cases: list[Example]) -> dict[str, Any]:
    pairs = list(zip(got, (case["label"] for case in cases), strict=True))
    return {
        "reader": name,
        "cases": len(cases),
        "right": sum(g == want for g, want in pairs),
        "jobs_lost": sum(g in COSTLY and want not in COSTLY for g, want in pairs),
        "changes_missed": sum(g not in COSTLY and want in COSTLY for g, want in pairs),
        "confusions": Counter(f"{want} -> {g}" for g, want in pairs if g != want).most_common(6),
    }


def readings(cases: list[Example], intent: Any, *, with_jobs: bool) -> list[str]:
    return [
        label(intent.read(case["text"], IntentContext(jobs_running=True, jobs=(case["job"],) if with_jobs else ())))
        for case in cases
    ]


def out_of_fold(cases: list[Example]) -> dict[float, list[str]]:
    """Each training case read by a job-change head fitted on the other folds' jobs, weighed against the intent
    head by each of ``WEIGHTS`` (``JOB_WEIGHT``)."""
    jobs = sorted({case["job"] for case in cases})
    fold = {job: index % FOLDS for index, job in enumerate(jobs)}
    got = {weight: [""] * len(cases) for weight in WEIGHTS}
    for part in range(FOLDS):
        head: Head = fit_job_change([case for case in cases if fold[case["job"]] != part])
        for weight in WEIGHTS:
            intent = LearnedIntent(jobs=head, job_weight=weight)
            for index, case in enumerate(cases):
                if fold[case["job"]] == part:
                    got[weight][index] = readings([case], intent, with_jobs=True)[0]
        print(f"  fold {part + 1}/{FOLDS}", flush=True)
    return got


WEIGHTS = (0.3, 0.5, 0.7, 1.0)
"""The weights of the job-change head tried out of fold (``JOB_WEIGHT``)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("dev", "train"), default="dev")
    parser.add_argument("--json", type=Path, default=Path("out/bench/job_changes.json"))
    arguments = parser.parse_args()
    lines = CASES.read_text(encoding="utf-8").splitlines()
    cases = [case for case in map(json.loads, lines) if case["split"] == arguments.split]
    learned = LearnedIntent()
    rows = [
        score("rules", readings(cases, RulesIntent(), with_jobs=False), cases),
        score("learned, the job's words unknown", readings(cases, learned, with_jobs=False), cases),
    ]
    if arguments.split == "dev":
        rows.append(
            score(f"learned, against the job, weight {JOB_WEIGHT}", readings(cases, learned, with_jobs=True), cases)
        )
    else:
        with tempfile.TemporaryDirectory() as cache, mock.patch.dict(os.environ, {"MICROTURN_CACHE": cache}):
            # the folds' adapted encoders stay out of the model cache
            for weight, got in out_of_fold(cases).items():
                shipped = " (shipped)" if weight == JOB_WEIGHT else ""
                rows.append(score(f"learned, against the job, weight {weight}{shipped}", got, cases))
    print(f"\n{arguments.split} split, {len(cases)} turns against a running job")
    print(f"{'reader':<46} {'right':>12} {'jobs lost':>10} {'missed':>7}")
    for row in rows:
        right = f"{row['right']}/{row['cases']} ({row['right'] / row['cases']:.0%})"
        print(f"{row['reader']:<46} {right:>12} {row['jobs_lost']:>10} {row['changes_missed']:>7}")
        print(f"    {row['confusions']}")
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(json.dumps({"split": arguments.split, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
