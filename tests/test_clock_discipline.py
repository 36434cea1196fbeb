"""The rule "no runtime code tells time except the clock", checked on the source with ``ast``.

Only ``src/microturn/_core/_clock.py`` may read a clock or sleep. Everywhere else, time comes from the
injected Clock; a direct ``time.monotonic()``, ``asyncio.sleep()``, ``loop.time()`` or
``datetime.now()`` would make virtual-time runs and replays lie.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import microturn

PACKAGE = Path(microturn.__file__).parent
ALLOWED = {PACKAGE / "_core" / "_clock.py"}

TIME_FUNCTIONS = frozenset({"time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns", "sleep"})
DATETIME_READERS = frozenset({"now", "utcnow", "today"})
DATETIME_CLASSES = frozenset({"datetime", "date"})


class _TimeReaders(ast.NodeVisitor):
    """Collects every place a module reads a clock or sleeps, whatever the import form."""

    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []
        self._time_modules: set[str] = set()
        self._asyncio_modules: set[str] = set()
        self._datetime_modules: set[str] = set()
        self._datetime_classes: set[str] = set()

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name
            if alias.name == "time":
                self._time_modules.add(bound)
            elif alias.name == "asyncio":
                self._asyncio_modules.add(bound)
            elif alias.name == "datetime":
                self._datetime_modules.add(bound)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if node.module == "time" and (alias.name in TIME_FUNCTIONS or alias.name == "*"):
                self._report(node, f"from time import {alias.name}")
            elif node.module == "asyncio" and alias.name in {"sleep", "*"}:
                self._report(node, f"from asyncio import {alias.name}")
            elif node.module == "datetime" and alias.name in DATETIME_CLASSES:
                self._datetime_classes.add(alias.asname or alias.name)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        owner = node.value
        if isinstance(owner, ast.Name):
            if owner.id in self._time_modules and node.attr in TIME_FUNCTIONS:
                self._report(node, f"time.{node.attr}")
            elif owner.id in self._asyncio_modules and node.attr == "sleep":
                self._report(node, "asyncio.sleep")
        if node.attr in DATETIME_READERS and self._is_datetime_class(owner):
            self._report(node, f"datetime {node.attr}()")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        if (
            isinstance(function, ast.Attribute)
            and function.attr == "time"
            and not node.args
            and not node.keywords
            and not (isinstance(function.value, ast.Name) and function.value.id in self._time_modules)
        ):
            self._report(node, "loop.time()")
        self.generic_visit(node)

    def _is_datetime_class(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self._datetime_classes
        return (
            isinstance(node, ast.Attribute)
            and node.attr in DATETIME_CLASSES
            and isinstance(node.value, ast.Name)
            and node.value.id in self._datetime_modules
        )

    def _report(self, node: ast.stmt | ast.expr, what: str) -> None:
        self.found.append((node.lineno, what))


def time_readers(source: str) -> list[tuple[int, str]]:
    """(line, what) for every clock read or sleep in ``source``."""
    visitor = _TimeReaders()
    visitor.visit(ast.parse(source))
    return sorted(visitor.found)


def runtime_modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if path not in ALLOWED)


def test_no_runtime_module_tells_time_except_the_clock() -> None:
    violations = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
        for path in runtime_modules()
        for line, what in time_readers(path.read_text(encoding="utf-8"))
    ]
    assert violations == [], "ask the session's Clock instead:\n" + "\n".join(violations)


def test_the_scan_covers_the_runtime() -> None:
    scanned = {path.relative_to(PACKAGE).as_posix() for path in runtime_modules()}
    assert {"_session/_loop.py", "_bus/_memory.py", "_core/_floor.py", "_core/_timeline.py"} <= scanned
    assert "_core/_clock.py" not in scanned
    # The clock itself does read time: were the checker blind, this would be empty.
    assert time_readers((PACKAGE / "_core" / "_clock.py").read_text(encoding="utf-8")) != []


def test_the_checker_catches_every_form() -> None:
    snippet = textwrap.dedent(
        """\
        import time
        import time as t
        import asyncio
        import asyncio as aio
        import datetime
        import datetime as dt
        from time import monotonic
        from time import perf_counter as pc, sleep
        from asyncio import sleep as nap
        from datetime import datetime as DateTime, date
        time.time()
        t.monotonic()
        time.perf_counter_ns()
        time.sleep(1)
        await asyncio.sleep(0.2)
        await aio.sleep(0.2)
        asyncio.get_running_loop().time()
        self._loop.time()
        datetime.datetime.now()
        dt.datetime.utcnow()
        DateTime.now(tz=None)
        date.today()
        dt.date.today()
        getter = time.monotonic
        factory = dt.datetime.now
        """
    )
    found = time_readers(snippet)
    flagged_lines = [line for line, _ in found]
    assert flagged_lines == [7, 8, 8, 9, *range(11, 26)]
    assert (17, "loop.time()") in found
    assert (19, "datetime now()") in found


def test_the_checker_allows_what_runtime_code_does_use() -> None:
    snippet = textwrap.dedent(
        """\
        import asyncio
        import datetime as dt
        from time import struct_time
        now = self._clock.now()
        await self._clock.sleep_until(now + 1)
        wall = dt.datetime.fromtimestamp(self._clock.wall(), tz=dt.UTC)
        state.now = event.time
        loop = asyncio.get_running_loop()
        await asyncio.wait_for(job, None)
        sleep()
        when = slot.time(3)
        """
    )
    assert time_readers(snippet) == []
