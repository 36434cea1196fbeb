"""The learned decisions' thresholds, chosen on their training examples by 5-fold cross-validation.

Each family's examples (``_learned/_examples.py``: ``eval/trainset`` and the development set's ``-train``
cases, never a ``-dev`` one) are split into 5 folds (an example's fold is its index mod 5); each fold is read by
heads fitted on the other four (``_learned/_fit.py``'s fitters), through the decisions' own code, and the
tables below show what each threshold would give. ``-dev`` cases are measured by ``microturn devset
--decisions learned``, once, after the choice.

- intent: accuracy (the devset harness's reading: a turn read as doing two things is wrong), and jobs cancelled
  and started by mistake, for ``SURE_CANCEL``, ``SURE_DELEGATE``, ``RULES_BELOW`` and ``JOB_GATE``; then each
  label's accuracy under the shipped thresholds;
- approval: accuracy and answers read as a yes that were not one, for ``SURE``;
- overlap: for ``BARGE_IN``, the share of barge-ins read as one and of backchannels and reactions, and of side
  talk, read as one; for ``STOP``, the share stopped by their first one to four words before they end; and for
  both, the share the agent stops for in the end (held at their first word, every spoken one is, then stopped by
  their first words or by the whole at the pause; the rest are released: talked through);
- turn-end: for each cost of delay (``delay_cost``, from the words alone and with the embedded model's
  probability), out of fold (folds by case, ``_turn_end_fit.cross_validated``), played back as the development set
  plays a case (``_turn_end_cv.py``): the share of spoken real ends answered within 300 ms, of spoken mid-turn
  pauses with any agent speech (and with a backchannel), of stories listened to (a backchannel, no reply) and
  replied to before their end; ``chosen`` marks the cost ``fit_turn_end`` chooses (``choose``). Above them, for
  the shipped choice of what is fitted on the later pauses (``LATER_FIT``), the AUC and the chosen cost's outcome on
  the first spoken pauses and on the later ones apart;
- turn-end-later: the same for each choice of what is fitted on the later pauses (``eval/trainset/pause2.jsonl``:
  nothing, the combinations, the head too).

It fits 20 heads and the turn end's folds, and encoder adapters: for the intent 15 (three per fold: ``fit_intent``
cross-fits its head), ~20 minutes of the intent's ~25 on two cores; for the turn end 18 (three per fold and three
for the shipped head), ~25 minutes, three times that for turn-end-later.

    python bench/decisions_cross_validation.py [intent] [approval] [overlap] [turn-end] [turn-end-later]
        [--json out/bench/cv.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

from end_of_turn import auc
from microturn._eval._devset import readers
from microturn._policies._full_duplex._decisions._learned._approval import read_answer
from microturn._policies._full_duplex._decisions._learned._examples import Example, examples
from microturn._policies._full_duplex._decisions._learned._features import features, plain
from microturn._policies._full_duplex._decisions._learned._fit import (
    fit_approval,
    fit_intent,
    fit_overlap,
    fit_overlap_so_far,
    so_far,
)
from microturn._policies._full_duplex._decisions._learned._heads import APPROVAL, head
from microturn._policies._full_duplex._decisions._learned._intent import LearnedIntent
from microturn._policies._full_duplex._decisions._learned._turn_end_cv import Outcome, outcome
from microturn._policies._full_duplex._decisions._learned._turn_end_fit import (
    LATER_FIT,
    LaterFit,
    TurnEndExample,
    candidates,
    choose,
    cross_validated,
    is_later,
)
from microturn._sentences import Head

FOLDS = 5
ACKNOWLEDGING = ("backchannel", "reaction")
_AS_READ = {"change_topic": "cancel_job"}
"""A training label as the devset harness's reading shows it: a change of topic drops the jobs, as a cancel."""


def held_out(cases: list[Example], fit: Callable[[list[Example] | None], Head]) -> list[tuple[Head, list[Example]]]:
    """For each fold: a head fitted without it, and its cases."""
    return [
        (fit([case for index, case in enumerate(cases) if index % FOLDS != fold]), cases[fold::FOLDS])
        for fold in range(FOLDS)
    ]


def intent_table() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as cache, mock.patch.dict(os.environ, {"MICROTURN_CACHE": cache}):
        return _intent_table()  # each fold's tuned encoder is used here only: kept out of the model cache


def _intent_table() -> list[dict[str, Any]]:
    folds = held_out(examples("intent"), fit_intent)
    rows = []
    grid = itertools.product((0.4, 0.5, 0.6), (0.4, 0.7), (0.0, 0.7, 0.8), (1.01, 0.1))
    for sure_cancel, sure_delegate, rules_below, job_gate in grid:
        right = cancelled = started = cases = 0
        for requests, held in folds:
            intent = LearnedIntent(
                requests,
                head(APPROVAL),
                sure_cancel=sure_cancel,
                sure_delegate=sure_delegate,
                rules_below=rules_below,
                job_gate=job_gate,
            )
            read = readers(intent).intent
            for case in held:
                label = read(case["text"]).label.split("+")
                expected = _AS_READ.get(case["label"], case["label"])
                right += label == [expected]
                cancelled += "cancel_job" in label and expected != "cancel_job"
                started += "delegate" in label and case["label"] != "delegate"
                cases += 1
        rows.append(
            {
                "SURE_CANCEL": sure_cancel,
                "SURE_DELEGATE": sure_delegate,
                "RULES_BELOW": rules_below,
                "JOB_GATE": job_gate,
                "accuracy": round(right / cases, 3),
                "jobs cancelled by mistake": cancelled,
                "jobs started by mistake": started,
            }
        )
    return rows + _per_label(folds)


def _per_label(folds: list[tuple[Head, list[Example]]]) -> list[dict[str, Any]]:
    """Each label's share read right under the shipped thresholds: where the heads and their examples fall short."""
    right: dict[str, int] = {}
    cases: dict[str, int] = {}
    for requests, held in folds:
        read = readers(LearnedIntent(requests, head(APPROVAL))).intent
        for case in held:
            label = case["label"]
            right[label] = right.get(label, 0) + (read(case["text"]).label == _AS_READ.get(label, label))
            cases[label] = cases.get(label, 0) + 1
    return [
        {"label": label, "cases": cases[label], "accuracy (shipped)": round(right[label] / cases[label], 3)}
        for label in sorted(cases)
    ]


def approval_table() -> list[dict[str, Any]]:
    folds = held_out(examples("approval"), fit_approval)
    rows = []
    for sure in (0.8, 0.85, 0.9, 0.95, 0.97):
        readings = [
            (read_answer(case["answer"], answers, sure=sure), case["label"]) for answers, held in folds for case in held
        ]
        rows.append(
            {
                "SURE": sure,
                "accuracy": round(sum(read == label for read, label in readings) / len(readings), 3),
                "false yes": sum(read == "yes" and label != "yes" for read, label in readings),
            }
        )
    return rows


def overlap_table() -> list[dict[str, Any]]:
    cases = examples("overlap")
    whole = [
        (case["label"], whole.probabilities(features(plain(case["user"])))["barge_in"])
        for whole, held in held_out(cases, fit_overlap)
        for case in held
    ]
    first_words = [
        (case["label"], [so_far.probabilities(features(words))["barge_in"] for words in _so_far(case)])
        for so_far, held in held_out(cases, fit_overlap_so_far)
        for case in held
    ]
    rows: list[dict[str, Any]] = []
    for threshold in (0.05, 0.07, 0.09, 0.11, 0.15, 0.2, 0.25):
        rows.append({"BARGE_IN": threshold, **_shares([(label, p >= threshold) for label, p in whole])})
    for threshold in (0.8, 0.9, 0.95, 0.97):
        rows.append({"STOP": threshold, **_shares([(label, max(ps) >= threshold) for label, ps in first_words])})
    for barge_in, stop in itertools.product((0.05, 0.07, 0.09, 0.11, 0.15), (0.9, 0.95)):
        stopped = [
            (label, p >= barge_in or max(ps) >= stop) for (label, p), (_, ps) in zip(whole, first_words, strict=True)
        ]
        rows.append({"held, then BARGE_IN": barge_in, "STOP": stop, **_shares(stopped)})
    return rows


def _so_far(case: Example) -> list[str]:
    return so_far(case["user"])


def _shares(verdicts: Sequence[tuple[str, bool]]) -> dict[str, float]:
    barge_ins = [yes for label, yes in verdicts if label == "barge_in"]
    acknowledgements = [yes for label, yes in verdicts if label in ACKNOWLEDGING]
    side = [yes for label, yes in verdicts if label == "side"]
    return {
        "barge-ins": round(sum(barge_ins) / len(barge_ins), 3),
        "backchannels and reactions": round(sum(acknowledgements) / len(acknowledgements), 3),
        "side talk": round(sum(side) / len(side), 3),
    }


def turn_end_table(choices: Sequence[LaterFit] = (LATER_FIT,)) -> list[dict[str, Any]]:
    """For each of ``choices`` of what is fitted on the later pauses: the AUC of the first and the later spoken
    pauses and the chosen cost's outcome on each; then every cost for the shipped choice (``LATER_FIT``)."""
    rows: list[dict[str, Any]] = []
    for later in choices:
        folds = cross_validated(later=later)
        for with_model in (False, True):
            probabilities = folds.with_model if with_model else folds.words
            outcomes = candidates(folds, probabilities)
            chosen = choose(outcomes)
            row: dict[str, Any] = {"later fit": later, "signal": _signal(with_model), "delay_cost": chosen.delay_cost}
            for group, keep in (("first", _first), ("later", is_later)):
                kept = [(e, p) for e, p in zip(folds.found, probabilities, strict=True) if keep(e) and not e.typed]
                row[f"{group} AUC"] = auc([p for e, p in kept if e.end], [p for e, p in kept if not e.end])
                played = outcome(folds.fit, chosen.delay_cost, [e for e, _ in kept], [p for _, p in kept])
                row[f"{group} fast ends"], row[f"{group} pauses any speech"] = played.fast, played.any_speech
            row["stories listened"], row["stories replied"] = chosen.listened, chosen.story_replies
            rows.append(row)
            if later == LATER_FIT:
                rows += [_cost_row(found, with_model=with_model, chosen=found == chosen) for found in outcomes]
    return rows


def _first(example: TurnEndExample) -> bool:
    """A pause case's first stretch of words (not a later pause, not a story)."""
    return example.case.startswith("pause") and not is_later(example)


def _signal(with_model: bool) -> str:
    return "words + model" if with_model else "words"


def _cost_row(found: Outcome, *, with_model: bool, chosen: bool) -> dict[str, Any]:
    return {
        "signal": _signal(with_model),
        "delay_cost": found.delay_cost,
        "fast ends": found.fast,
        "pauses any speech": found.any_speech,
        "pauses backchannelled": found.backchannelled,
        "stories listened": found.listened,
        "stories replied": found.story_replies,
        "chosen": chosen,
    }


TABLES: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "intent": intent_table,
    "approval": approval_table,
    "overlap": overlap_table,
    "turn-end": turn_end_table,
    "turn-end-later": lambda: turn_end_table(("measured", "combination", "head")),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("families", nargs="*", metavar="FAMILY", help=f"of {', '.join(TABLES)} (default: all)")
    parser.add_argument("--json", type=Path, help="also write the tables here")
    args = parser.parse_args(argv)
    unknown = [family for family in args.families if family not in TABLES]
    if unknown:
        parser.error(f"unknown family {unknown[0]!r}")
    tables = {family: TABLES[family]() for family in (args.families or TABLES)}
    for family, rows in tables.items():
        print(f"\n{family}:")
        for row in rows:
            print("  ".join(f"{key} {value}" for key, value in row.items()))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(tables, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
