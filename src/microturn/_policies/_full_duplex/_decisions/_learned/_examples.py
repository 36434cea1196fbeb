"""The labelled examples the learned heads are fitted on, and the hash that ties a head to them.

A family's examples are every case of ``eval/trainset/<family>.jsonl`` and the ``-train`` cases of
``eval/devset/<family>.jsonl``; never a ``-dev`` case (those measure the heads: ``microturn devset``). The job
changes (``JOBS``) are the ``train`` cases of ``eval/jobcontext/cases.jsonl``, whose ``dev`` cases measure them
(``bench/job_changes.py``), and the words read against a kind of thing (``KINDS``) the ``train`` cases of
``eval/categories/cases.jsonl`` (``bench/category_cues.py``). The files live in the repository, not in an
installed package: fitting is a development step (``_fit.py``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from microturn.errors import ConfigError

__all__ = ["JOBS", "KINDS", "REPOSITORY", "Example", "examples", "examples_sha256"]

REPOSITORY = Path(__file__).resolve().parents[6]
"""The checkout this file is in (``src/microturn/_policies/_full_duplex/_decisions/_learned/``)."""

Example = dict[str, Any]
JOBS = "jobcontext"
"""The family of turns read against a running job's words: ``eval/jobcontext/``, split by job."""
KINDS = "categories"
"""The family of words read against a kind of thing: ``eval/categories/``, split by kind."""


def examples(family: str, root: Path = REPOSITORY) -> list[Example]:
    """The training examples of ``family`` (``intent``, ``overlap``, ``approval``, ``pause``, ``JOBS``,
    ``KINDS``), in file order: the training set's, then the development set's ``-train`` cases."""
    if family in (JOBS, KINDS):
        return [case for case in _read(root / "eval" / family / "cases.jsonl", dev=False) if case["split"] == "train"]
    return _read(root / "eval" / "trainset" / f"{family}.jsonl", dev=False) + _read(
        root / "eval" / "devset" / f"{family}.jsonl", dev=True
    )


def examples_sha256(cases: list[Example]) -> str:
    """The sha256 of ``cases`` as canonical JSON lines: a head stores it, and a test compares it to the files."""
    digest = hashlib.sha256()
    for case in cases:
        digest.update(json.dumps(case, sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _read(path: Path, *, dev: bool) -> list[Example]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ConfigError(f"the learned decisions are fitted in a checkout with eval/ ({error})") from None
    cases = [json.loads(line) for line in lines if line.strip()]
    return [case for case in cases if str(case["id"]).endswith("-train")] if dev else cases
