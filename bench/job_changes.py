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

Then **which job** a change is about, with two running: each of the split's cancellations and revisions beside
each of ``OTHERS`` other jobs of the split, in both orders (so the latest job is the right one half the time),
handed to the job watcher (``Weaver.turn_ended``) as the learned intent reads it; right when the case's own job
is the one changed. The baselines: the latest job, and the jobs the turn's words name, else the latest (the
watcher's choice when the reading aims at none); ``aimed_at`` (``AIM_MARGIN``) with ``--split train`` also with
other margins.

``--split dev`` (the default) reads the dev cases with the shipped heads, once, after every choice was made;
``--split train`` reads the training cases out of fold: five folds by job, each with a job-change head (and its
encoder adapters) fitted on the other four (~20 minutes on two cores), for each weight of the job-change head
against the intent head in ``WEIGHTS`` and, at the shipped weight, each least probability of a job change in
``SURES`` (``JOB_WEIGHT`` and ``SURE_CHANGE`` were chosen by it: the most right, and of those within a point, the
fewest jobs lost).

    python bench/job_changes.py [--split dev|train] [--json out/bench/job_changes.json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

from microturn._core._actions import Record
from microturn._core._events import CancelJob, JobRequested
from microturn._policies._full_duplex._decisions import IntentContext, IntentReading, RulesIntent, Slot
from microturn._policies._full_duplex._decisions._learned._examples import JOBS, REPOSITORY, Example
from microturn._policies._full_duplex._decisions._learned._fit import fit_job_change
from microturn._policies._full_duplex._decisions._learned._intent import JOB_WEIGHT, SURE_CHANGE, LearnedIntent
from microturn._policies._full_duplex._decisions._learned._job_change import AIM_MARGIN, aimed_at
from microturn._policies._full_duplex._weaving import Weaver
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


def out_of_fold(cases: list[Example]) -> dict[tuple[float, float], list[str]]:
    """Each training case read by a job-change head fitted on the other folds' jobs, weighed against the intent
    head by each of ``SETTINGS``."""
    jobs = sorted({case["job"] for case in cases})
    fold = {job: index % FOLDS for index, job in enumerate(jobs)}
    got = {setting: [""] * len(cases) for setting in SETTINGS}
    for part in range(FOLDS):
        head: Head = fit_job_change([case for case in cases if fold[case["job"]] != part])
        for setting in SETTINGS:
            intent = LearnedIntent(jobs=head, job_weight=setting[0], sure_change=setting[1])
            for index, case in enumerate(cases):
                if fold[case["job"]] == part:
                    got[setting][index] = readings([case], intent, with_jobs=True)[0]
        print(f"  fold {part + 1}/{FOLDS}", flush=True)
    return got


WEIGHTS = (0.3, 0.5, 0.7, 1.0)
"""The weights of the job-change head tried out of fold (``JOB_WEIGHT``)."""
SURES = (0.5, 0.6, 0.7, 0.8)
"""The least probabilities of a job change tried at the shipped weight (``SURE_CHANGE``)."""
SETTINGS = tuple(dict.fromkeys([(w, SURE_CHANGE) for w in WEIGHTS] + [(JOB_WEIGHT, sure) for sure in SURES]))
"""The (weight, least probability) pairs read out of fold."""
OTHERS = 3
"""How many other jobs each change is set beside."""
MARGINS = (0.0, 0.02, 0.05, 0.1)
"""The margins tried on the training split (``AIM_MARGIN``)."""


def changed(reading: IntentReading, text: str, tasks: tuple[str, str]) -> str:
    """The task of the job the watcher changes, given the two running (oldest first) and the turn's reading."""
    weaver = Weaver(pause=0.6, summary_words=30)
    for index, task in enumerate(tasks):
        weaver.track(JobRequested(job=str(index), task=task, t=float(index)))
    actions = weaver.turn_ended(reading, text, 5.0)
    first = next(a.event for a in actions if isinstance(a, Record) and isinstance(a.event, CancelJob))
    return tasks[int(first.job)]


def which_job(cases: list[Example], margins: tuple[float, ...]) -> list[dict[str, Any]]:
    """How often the change lands on its own job, with another running (see the module's docstring)."""
    jobs = sorted({case["job"] for case in cases})
    pairs: list[tuple[Example, tuple[str, str]]] = []
    for case in cases:
        if case["label"] not in ("cancel_job", "revise_job"):
            continue
        for step in range(1, OTHERS + 1):
            other = jobs[(jobs.index(case["job"]) + step) % len(jobs)]
            if other != case["job"]:
                pairs += [(case, (case["job"], other)), (case, (other, case["job"]))]
    slots: dict[str, Slot] = {"job": "revise", "jobs": "latest"}

    def right(name: str, pick: Callable[[str, tuple[str, str]], str]) -> dict[str, Any]:
        hits = sum(pick(case["text"], tasks) == case["job"] for case, tasks in pairs)
        return {"chooser": name, "pairs": len(pairs), "right": hits}

    def aiming(margin: float) -> Callable[[str, tuple[str, str]], str]:
        def pick(text: str, tasks: tuple[str, str]) -> str:
            target = aimed_at(text, tasks, margin)
            return changed(IntentReading("revise_job", {**slots, "target": target}), text, tasks)

        return pick

    return [
        right("the latest job", lambda text, tasks: tasks[-1]),
        right(
            "the jobs the words name, else the latest",
            lambda t, tasks: changed(IntentReading("revise_job", slots), t, tasks),
        ),
        *(right(f"aimed_at, margin {m}{' (shipped)' if m == AIM_MARGIN else ''}", aiming(m)) for m in margins),
    ]


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
            score(
                f"against the job, weight {JOB_WEIGHT}, sure {SURE_CHANGE}",
                readings(cases, learned, with_jobs=True),
                cases,
            )
        )
    else:
        with tempfile.TemporaryDirectory() as cache, mock.patch.dict(os.environ, {"MICROTURN_CACHE": cache}):
            # the folds' adapted encoders stay out of the model cache
            for (weight, sure), got in out_of_fold(cases).items():
                shipped = " (shipped)" if (weight, sure) == (JOB_WEIGHT, SURE_CHANGE) else ""
                rows.append(score(f"against the job, weight {weight}, sure {sure}{shipped}", got, cases))
    print(f"\n{arguments.split} split, {len(cases)} turns against a running job")
    print(f"{'reader':<46} {'right':>12} {'jobs lost':>10} {'missed':>7}")
    for row in rows:
        right = f"{row['right']}/{row['cases']} ({row['right'] / row['cases']:.0%})"
        print(f"{row['reader']:<46} {right:>12} {row['jobs_lost']:>10} {row['changes_missed']:>7}")
        print(f"    {row['confusions']}")
    aims = which_job(cases, MARGINS if arguments.split == "train" else (AIM_MARGIN,))
    print(f"\nwhich job a change is about, with another running ({aims[0]['pairs']} pairs)")
    for row in aims:
        print(f"{row['chooser']:<46} {row['right'] / row['pairs']:>12.1%}")
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(json.dumps({"split": arguments.split, "rows": rows, "which_job": aims}, indent=1))


if __name__ == "__main__":
    main()
