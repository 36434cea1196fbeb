"""Which words a cue on a kind of thing ("say ding whenever I mention a colour") fires on: the rules (the kind's own
name), the shipped encoder's closeness of the word to the kind, and the learned member head (``_learned/_member.py``).

The cases are ``eval/categories/cases.jsonl`` (one later utterance, the kind the user named, and the words of it
that are members in that sentence; split by kind). Every word of every sentence is read as the cue reads it: when
it is heard, with the words before it. Measured over words (precision: of the words it fires on, how many are
members; recall: of the members, how many it fires on; F0.5, which counts a false "ding" twice a missed one) and
over sentences (false: a sentence with no member that it fires on; caught: a sentence with members that it fires
on at least once, on a member).

``--split dev`` (the default) reads the dev kinds, which no fit has seen, with the shipped head, once, after every
choice was made; the closeness's threshold is the train kinds' best F0.5. ``--split train`` reads the train kinds
out of fold: the encoder's adapters cross-fitted by kind (as ``fit_member`` does), then five folds by kind, each
with a head fitted on the others (~30 minutes on two cores), for each threshold of ``SURES`` (``SURE_MEMBER`` was
chosen by it: the best F0.5).

    python bench/category_cues.py [--split dev|train] [--json out/bench/category_cues.json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from microturn._policies._full_duplex._decisions import RulesMember
from microturn._policies._full_duplex._decisions._learned._examples import KINDS, REPOSITORY, Example
from microturn._policies._full_duplex._decisions._learned._fit import member_examples
from microturn._policies._full_duplex._decisions._learned._member import SURE_MEMBER, LearnedMember

CASES = REPOSITORY / "eval" / KINDS / "cases.jsonl"
FOLDS = 5
SURES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
CLOSENESS = tuple(round(0.2 + 0.05 * step, 2) for step in range(11))

Word = tuple[str, str, list[str], bool, int]
"""A word as the cue hears it: kind, word, the words before it, whether it is a member, and its case's index."""


def heard(cases: list[Example]) -> list[Word]:
    return [(*word, index) for index, case in enumerate(cases) for word in member_examples([case])]


def score(name: str, fired: Sequence[bool], heard_words: list[Word], cases: list[Example]) -> dict[str, Any]:
    members = [member for _, _, _, member, _ in heard_words]
    hits = sum(f and m for f, m in zip(fired, members, strict=True))
    shots = sum(fired)
    precision = hits / shots if shots else 1.0
    recall = hits / max(1, sum(members))
    f_half = 1.25 * precision * recall / (0.25 * precision + recall) if precision + recall else 0.0
    by_case: dict[int, list[tuple[bool, bool]]] = {}
    for (_, _, _, member, case), fire in zip(heard_words, fired, strict=True):
        by_case.setdefault(case, []).append((fire, member))
    empty = [pairs for index, pairs in by_case.items() if not cases[index]["members"]]
    full = [pairs for index, pairs in by_case.items() if cases[index]["members"]]
    return {
        "reader": name,
        "words": len(heard_words),
        "members": sum(members),
        "fired": shots,
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f0.5": round(f_half, 3),
        "false_sentences": f"{sum(any(f for f, _ in pairs) for pairs in empty)}/{len(empty)}",
        "caught_sentences": f"{sum(any(f and m for f, m in pairs) for pairs in full)}/{len(full)}",
    }


def closeness(heard_words: list[Word]) -> list[float]:
    """The shipped encoder's cosine between each word and its kind's name."""
    from microturn._sentences import sentence_encoder

    encoder = sentence_encoder()
    return [float(encoder.encode(word) @ encoder.encode(kind)) for kind, word, _, _, _ in heard_words]


def best(name: str, values: list[float], heard_words: list[Word], cases: list[Example], grid: Sequence[float]) -> float:
    rows = [score(f"{name} >= {t}", [v >= t for v in values], heard_words, cases) for t in grid]
    return float(grid[max(range(len(rows)), key=lambda i: rows[i]["f0.5"])])


def out_of_fold(cases: list[Example], heard_words: list[Word]) -> tuple[list[float], Any]:
    """Each train word's member probability from a head and adapters that never saw its kind, and the features the
    adapters read (cross-fitted by kind)."""
    from microturn._policies._full_duplex._decisions._learned._member import member_features, member_text
    from microturn._sentences._tune import CROSS_FIT, cross_fitted_rows

    texts = [member_text(kind, word, before) for kind, word, before, _, _ in heard_words]
    labels = ["member" if member else "other" for _, _, _, member, _ in heard_words]
    kinds = sorted({kind for kind, *_ in heard_words})
    parts = [kinds.index(kind) % CROSS_FIT for kind, *_ in heard_words]

    def read(encoder: Any, index: int) -> Any:
        kind, word, before, _, _ = heard_words[index]
        return member_features(kind, word, before, encoder=encoder)

    rows = cross_fitted_rows(texts, labels, read, parts=parts)
    return by_folds(rows, heard_words), rows


def folds_of(heard_words: list[Word]) -> list[int]:
    kinds = sorted({kind for kind, *_ in heard_words})
    return [kinds.index(kind) % FOLDS for kind, *_ in heard_words]


def by_folds(rows: Any, heard_words: list[Word]) -> list[float]:
    """Each word's member probability from a head fitted on ``rows`` of the other folds' kinds."""
    import numpy as np

    from microturn._sentences import fit_head

    labels = ["member" if member else "other" for _, _, _, member, _ in heard_words]
    folds = folds_of(heard_words)
    found = [0.0] * len(heard_words)
    for fold in range(FOLDS):
        train = [i for i, f in enumerate(folds) if f != fold]
        head = fit_head(rows[train], [labels[i] for i in train], examples_sha256="fold")
        for i in (i for i, f in enumerate(folds) if f == fold):
            found[i] = head.probabilities(np.asarray(rows[i]))["member"]
    return found


def stacked(learned: list[float], near: list[float], heard_words: list[Word]) -> list[float]:
    """The head's out-of-fold log-odds and the closeness weighed by a logistic regression fitted on the other
    folds (tried in session 14, not kept: docs/decisions.md)."""
    import numpy as np

    from microturn._sentences import fit_logistic

    p = np.clip(np.array(learned), 1e-4, 1 - 1e-4)
    x = np.column_stack([np.log(p / (1 - p)), np.array(near)])
    y = np.array([member for _, _, _, member, _ in heard_words], dtype=bool)
    folds = np.array(folds_of(heard_words))
    found = np.zeros(len(y))
    for fold in range(FOLDS):
        weights = fit_logistic(x[folds != fold], y[folds != fold], l2=1e-3)
        found[folds == fold] = 1 / (1 + np.exp(-(x[folds == fold] @ weights[:2] + weights[2])))
    return [float(value) for value in found]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("dev", "train"), default="dev")
    parser.add_argument("--json", type=Path, default=Path("out/bench/category_cues.json"))
    args = parser.parse_args(argv)
    os.environ.setdefault("MICROTURN_CACHE", tempfile.mkdtemp(prefix="category-cues-"))
    every = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    train = [case for case in every if case["split"] == "train"]
    cases = [case for case in every if case["split"] == args.split]
    heard_words = heard(cases)
    rules = RulesMember()
    rows = [
        score(
            "rules (the kind's name)", [rules.is_member(k, w, b) for k, w, b, _, _ in heard_words], heard_words, cases
        )
    ]
    near = closeness(heard_words)
    if args.split == "train":
        rows += [score(f"closeness >= {t}", [v >= t for v in near], heard_words, cases) for t in CLOSENESS]
        learned, features = out_of_fold(cases, heard_words)
        rows += [score(f"learned >= {t} (out of fold)", [p >= t for p in learned], heard_words, cases) for t in SURES]
        both = stacked(learned, near, heard_words)
        rows += [
            score(f"learned + closeness, stacked >= {t}", [p >= t for p in both], heard_words, cases) for t in SURES
        ]
        import numpy as np

        wider = by_folds(np.column_stack([features, near]).astype(np.float32), heard_words)
        rows += [
            score(f"learned, closeness a feature >= {t}", [p >= t for p in wider], heard_words, cases) for t in SURES
        ]
    else:
        train_words = heard(train)
        threshold = best("closeness", closeness(train_words), train_words, train, CLOSENESS)
        rows.append(
            score(f"closeness >= {threshold} (train's best)", [v >= threshold for v in near], heard_words, cases)
        )
        member = LearnedMember()
        learned = [member.probability(k, w, b) for k, w, b, _, _ in heard_words]
        rows.append(
            score(f"learned >= {SURE_MEMBER} (shipped)", [p >= SURE_MEMBER for p in learned], heard_words, cases)
        )
        rows += [
            score(f"learned >= {t}", [p >= t for p in learned], heard_words, cases) for t in SURES if t != SURE_MEMBER
        ]
    columns = ("reader", "precision", "recall", "f0.5", "fired", "false_sentences", "caught_sentences")
    print(
        f"{args.split}: {len(cases)} sentences, {len(heard_words)} words, {sum(m for *_, m, _ in heard_words)} members"
    )
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(str(row[column]) for column in columns))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"split": args.split, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
