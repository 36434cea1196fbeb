"""docs/guide.md cannot rot: every ```python block in it compiles, and the blocks marked ```python test run.

The marked blocks run in order in one namespace, as a reader who pastes them into one file would run them:
each defines what the next ones use, and their ``assert`` lines are the guide's claims. They use the
scripted model and run in virtual time (``run_agent``, ``VirtualClock``), in a temporary directory, so the
whole guide runs in about a second. A block that defines ``test_*`` functions (the guide's own pytest
examples) has them called right after it, as pytest with microturn's plugin would. Code is compiled with
the guide's line numbers, so a failure points at its line in docs/guide.md. No block may import a private
module, and every relative link of the guide must lead somewhere.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from types import CodeType
from typing import Any

import pytest

from microturn import VirtualClock

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "guide.md"

_FENCE = re.compile(r"^```python(?P<test> test)?\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)
_ANY_FENCE = re.compile(r"^ *```.*?^ *```$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class Block:
    """One ```python block of the guide: its code, the guide line it starts on, and whether it runs."""

    code: str
    line: int
    runs: bool

    def compiled(self) -> CodeType:
        """The code as the guide has it, line numbers included (blank lines stand in for the text above it)."""
        return compile("\n" * (self.line - 1) + self.code, str(GUIDE), "exec")


def _blocks() -> list[Block]:
    text = GUIDE.read_text(encoding="utf-8")
    return [
        Block(
            code=found["code"],
            line=text.count("\n", 0, found.start("code")) + 1,
            runs=found["test"] is not None,
        )
        for found in _FENCE.finditer(text)
    ]


BLOCKS = _blocks()


def test_the_guide_has_code_and_runs_most_of_it() -> None:
    assert len(BLOCKS) >= 15, "the guide lost its examples (or the fence pattern no longer finds them)"
    assert sum(block.runs for block in BLOCKS) >= 12, "most of the guide's examples should run"


@pytest.mark.parametrize("block", BLOCKS, ids=[f"line-{block.line}" for block in BLOCKS])
def test_each_block_compiles_and_uses_only_the_public_api(block: Block) -> None:
    block.compiled()
    private = re.findall(r"\bmicroturn(?:\.\w+)*\._\w+", block.code)
    assert not private, f"docs/guide.md:{block.line} reaches into private modules: {private}"


def test_the_runnable_blocks_run_in_order_in_one_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "guide"}
    for block in BLOCKS:
        if not block.runs:
            continue
        before = dict(namespace)
        exec(block.compiled(), namespace)
        for name, value in list(namespace.items()):
            if name.startswith("test_") and callable(value) and value is not before.get(name):
                _call_test(value)


def _call_test(test: Any) -> None:
    """Call a test the guide defined, as pytest with microturn's plugin would."""
    if not inspect.iscoroutinefunction(test):
        test()
        return
    clock = VirtualClock()
    wants_clock = "clock" in inspect.signature(test).parameters
    clock.run(test(clock) if wants_clock else test())


def test_the_guides_links_lead_somewhere() -> None:
    text = _ANY_FENCE.sub("", GUIDE.read_text(encoding="utf-8"))  # prose only: a "# comment" is no heading
    anchors = {_anchor(heading) for heading in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        if path:
            assert (GUIDE.parent / path).exists(), f"docs/guide.md links to {target}, which does not exist"
        else:
            assert anchor in anchors, f"docs/guide.md links to #{anchor}, which is no heading of it"


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
