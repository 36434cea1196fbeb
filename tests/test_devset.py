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
