"""The interaction development set (eval/devset/) stays valid: schema, labels, the fixed train/dev split."""

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
