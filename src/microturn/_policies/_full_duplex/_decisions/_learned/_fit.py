"""Fit the learned heads on their examples and write them beside the code: the only way a head is made.

    python -m microturn._policies._full_duplex._decisions._learned._fit            # refit and write every head
    python -m microturn._policies._full_duplex._decisions._learned._fit intent     # only these

Each fitter reads its family's examples (``_examples.py``: the training set and the development set's
``-train`` cases, never a ``-dev`` one), computes every example's features and fits a head with
``fit_head``, which is deterministic: the same examples give the same weights (the intent's encoder adapter,
trained in JAX, up to its last bits: ``_sentences/_tune.py``), and each head stores the
sha256 of its examples, so a test catches a head that was not refitted after they changed. The turn end's
head (``_turn_end_fit.py``) is refitted with them (``FITTERS``). ``bench/decisions_cross_validation.py`` fits
these on folds of the examples: the numbers their thresholds were chosen by.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from microturn._policies._full_duplex._decisions._learned._examples import (
    JOBS,
    KINDS,
    Example,
    examples,
    examples_sha256,
)
from microturn._policies._full_duplex._decisions._learned._features import PUNCTUATION, features, intent_features, plain
from microturn._policies._full_duplex._decisions._learned._heads import (
    APPROVAL,
    INTENT,
    JOB_CHANGE,
    MEMBER,
    OVERLAP,
    OVERLAP_SO_FAR,
    path,
)
from microturn._policies._full_duplex._decisions._learned._job_change import job_change_features, paired
from microturn._policies._full_duplex._decisions._learned._member import member_features, member_text
from microturn._policies._full_duplex._decisions._learned._turn_end_fit import fit_turn_end

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from microturn._sentences import Head, SentenceEncoder

__all__ = [
    "FITTERS",
    "HEADS",
    "SO_FAR_WORDS",
    "fit",
    "fit_approval",
    "fit_intent",
    "fit_job_change",
    "fit_member",
    "fit_overlap",
    "fit_overlap_so_far",
    "main",
    "member_examples",
    "so_far",
]


def fit_intent(cases: list[Example] | None = None) -> Head:
    """The intent head, on ``cases`` (default: the intent examples), reading through the encoder tuned for it on
    the same cases (``_sentences/_tune.py``), **cross-fitted** (``cross_fitted``): each case's features come from
    an adapter trained on the other half of the cases, and the adapter the head ships with is trained on them all.
    Out of fold on the examples the cross-fitted head is as often right (90.7%) as one fitted on the full
    adapter's own embeddings and cancels and starts fewer jobs by mistake (22 and 7, against 28 and 11, in one run
    of both: docs/decisions.md)."""
    import dataclasses

    from microturn._sentences import fit_head
    from microturn._sentences._tune import cross_fitted

    cases = examples("intent") if cases is None else cases
    texts = [case["text"] for case in cases]
    labels = [case["label"] for case in cases]
    rows, adapter = cross_fitted(texts, labels, lambda encoder, index: intent_features(texts[index], encoder=encoder))
    return dataclasses.replace(fit_head(rows, labels, examples_sha256=examples_sha256(cases)), adapter=adapter)


def fit_job_change(cases: list[Example] | None = None) -> Head:
    """The job-change head (``_job_change.py``), on ``cases`` (default: the training split of ``eval/jobcontext``),
    reading each job's task and turn together through an encoder tuned for it, cross-fitted as ``fit_intent``."""
    import dataclasses

    from microturn._sentences import fit_head
    from microturn._sentences._tune import cross_fitted

    cases = examples(JOBS) if cases is None else cases
    texts = [paired(case["job"], case["text"]) for case in cases]
    labels = [case["label"] for case in cases]

    def read(encoder: SentenceEncoder, index: int) -> npt.NDArray[np.float32]:
        return job_change_features(cases[index]["job"], cases[index]["text"], encoder=encoder)

    rows, adapter = cross_fitted(texts, labels, read)
    return dataclasses.replace(fit_head(rows, labels, examples_sha256=examples_sha256(cases)), adapter=adapter)


def member_examples(cases: list[Example]) -> list[tuple[str, str, list[str], bool]]:
    """Every word of ``cases`` (``eval/categories``) read against its case's kind: (kind, word, the words before
    it, whether it is a member)."""
    from microturn._core._language import words

    found: list[tuple[str, str, list[str], bool]] = []
    for case in cases:
        said = [token for token in words(case["text"]) if token not in PUNCTUATION]
        found += [(case["category"], word, said[:at], word in case["members"]) for at, word in enumerate(said)]
    return found


def fit_member(cases: list[Example] | None = None) -> Head:
    """The member head (``_member.py``), on ``cases`` (default: the train kinds of ``eval/categories``), every
    word read against its kind through an encoder tuned for it, cross-fitted by kind (the adapter reading a
    kind's words never saw that kind: a user names kinds the set does not have)."""
    import dataclasses

    from microturn._sentences import fit_head
    from microturn._sentences._tune import CROSS_FIT, cross_fitted

    cases = examples(KINDS) if cases is None else cases
    words = member_examples(cases)
    texts = [member_text(kind, word, before) for kind, word, before, _ in words]
    labels = ["member" if member else "other" for *_, member in words]
    kinds = sorted({kind for kind, *_ in words})
    parts = [kinds.index(kind) % CROSS_FIT for kind, *_ in words]

    def read(encoder: SentenceEncoder, index: int) -> npt.NDArray[np.float32]:
        kind, word, before, _ = words[index]
        return member_features(kind, word, before, encoder=encoder)

    rows, adapter = cross_fitted(texts, labels, read, parts=parts)
    return dataclasses.replace(fit_head(rows, labels, examples_sha256=examples_sha256(cases)), adapter=adapter)


def fit_approval(cases: list[Example] | None = None) -> Head:
    cases = examples("approval") if cases is None else cases
    return _fit([case["answer"] for case in cases], [case["label"] for case in cases], cases)


def fit_overlap(cases: list[Example] | None = None) -> Head:
    cases = examples("overlap") if cases is None else cases
    return _fit([plain(case["user"]) for case in cases], [case["label"] for case in cases], cases)


def fit_overlap_so_far(cases: list[Example] | None = None) -> Head:
    """The first words of each example (``so_far``), labelled with what the whole was: P(the whole is a
    barge-in | its first words)."""
    cases = examples("overlap") if cases is None else cases
    texts: list[str] = []
    labels: list[str] = []
    for case in cases:
        prefixes = so_far(case["user"])
        texts += prefixes
        labels += [case["label"]] * len(prefixes)
    return _fit(texts, labels, cases)


SO_FAR_WORDS = 4
"""How many first words the so-far head learns from: by then the whole is usually clear, and longer examples
would otherwise outweigh the short ones."""


def so_far(text: str) -> list[str]:
    """``text`` as it comes, a word at a time, up to ``SO_FAR_WORDS``: "oh", "oh no", "oh no tomorrow's", ..."""
    said = plain(text).split()
    return [" ".join(said[:end]) for end in range(1, min(len(said), SO_FAR_WORDS) + 1)] or [text]


HEADS: dict[str, Callable[[list[Example] | None], Head]] = {
    INTENT: fit_intent,
    JOB_CHANGE: fit_job_change,
    MEMBER: fit_member,
    APPROVAL: fit_approval,
    OVERLAP: fit_overlap,
    OVERLAP_SO_FAR: fit_overlap_so_far,
}
"""The intent's and the overlap's heads, by name, and the function that fits each (on given examples, too)."""


def _write(name: str) -> None:
    HEADS[name](None).save(path(name))
    print(f"wrote {path(name)}")


FITTERS: dict[str, Callable[[], None]] = {
    **{name: functools.partial(_write, name) for name in HEADS},
    "turn-end": fit_turn_end,
}
"""Everything the command refits and writes, by name: these heads, and the turn end's (``_turn_end_fit.py``)."""


def fit(names: Sequence[str] = ()) -> None:
    """Refit ``names`` (all when empty) and write them beside the code."""
    for name in names or FITTERS:
        FITTERS[name]()


def main(argv: Sequence[str] | None = None) -> int:
    fit(list(sys.argv[1:] if argv is None else argv))
    return 0


def _fit(
    texts: list[str],
    labels: list[str],
    cases: list[Example],
    *,
    read: Callable[[str], npt.NDArray[np.float32]] = features,
) -> Head:
    import numpy as np

    from microturn._sentences import fit_head

    matrix: npt.NDArray[np.float32] = np.stack([read(text) for text in texts])
    return fit_head(matrix, labels, examples_sha256=examples_sha256(cases))


if __name__ == "__main__":
    raise SystemExit(main())
