"""The interaction case sets (eval/devset/, eval/trainset/) stay valid: schema, labels, the fixed split, no leaks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DEVSET = Path(__file__).parent.parent / "eval" / "devset"


def test_the_development_set_is_valid_and_large_enough() -> None:
    done = subprocess.run(
        [sys.executable, str(DEVSET / "check.py")], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert int(done.stdout.split("total cases:")[1].split()[0]) >= 500


def test_the_training_set_is_valid_and_never_repeats_a_dev_case() -> None:
    check = DEVSET.parent / "trainset" / "check.py"
    done = subprocess.run([sys.executable, str(check)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 clash(es)" in done.stdout
    assert int(done.stdout.split("total training cases:")[1].split()[0]) >= 2000


def test_the_job_context_set_is_valid_and_repeats_no_dev_case_or_held_out_phrase() -> None:
    """``eval/jobcontext`` (a running job's task and a turn): its own check passes, and no turn repeats a development
    case's words or a held-out scenario's (``scenarios/generalise``) of four words or more, as its README says."""
    _valid_and_repeating_no_held_out_phrase(DEVSET.parent / "jobcontext")


def test_the_category_set_is_valid_and_repeats_no_dev_case_or_held_out_phrase() -> None:
    """``eval/categories`` (a kind of thing a cue listens for, and a sentence): the same."""
    _valid_and_repeating_no_held_out_phrase(DEVSET.parent / "categories")


def _valid_and_repeating_no_held_out_phrase(directory: Path) -> None:
    import json
    import re

    done = subprocess.run(
        [sys.executable, str(directory / "check.py")], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr

    def plain(text: str) -> str:
        return " ".join(re.sub(r"[^a-z ]", " ", text.lower()).split())

    def cases(path: Path) -> list[dict[str, str]]:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    held_out = [
        plain(str(c.get(field, "")))
        for f in DEVSET.glob("*.jsonl")
        for c in cases(f)
        if c["id"].endswith("-dev")
        for field in ("text", "before", "user", "answer")
    ]
    for path in (DEVSET.parent.parent / "scenarios" / "generalise").glob("*.yaml"):
        held_out += [plain(said) for said in re.findall(r'(?:say|type): "([^"]+)"', path.read_text(encoding="utf-8"))]
    assert len(held_out) > 100
    texts = [plain(case["text"]) for case in cases(directory / "cases.jsonl")]
    repeated = [(text, phrase) for text in texts for phrase in held_out if len(phrase.split()) >= 4 and phrase in text]
    assert not repeated
