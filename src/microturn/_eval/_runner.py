"""Runs scenarios in virtual time, checks their expectations, and reports a table and JSON."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from microturn._apps._render import render_timeline_html
from microturn._background import BackgroundLane, ScriptedAgent
from microturn._bus import open_bus
from microturn._core._clock import Stopwatch, VirtualClock
from microturn._core._codec import decode_log, encode_log
from microturn._eval._checks import CheckResult, RunRecord, evaluate
from microturn._eval._format import Scenario, load_scenario, scenario_paths
from microturn._eval._metrics import Metrics, measure
from microturn._eval._replay import replay_log
from microturn._eval._scenario_tools import ScriptedToolbox
from microturn._eval._script import ScriptSource
from microturn._session import Session
from microturn.errors import MicroturnError

__all__ = [
    "LogWriter",
    "ScenarioResult",
    "format_failures",
    "format_table",
    "load_all",
    "load_failure",
    "run_eval",
    "run_scenario",
]


@dataclass
class ScenarioResult:
    """What one scenario run gave: whether every expectation held, which failed and why, its metrics and log."""

    name: str
    family: str
    path: str
    policy: str
    passed: bool
    checks: list[CheckResult] = field(default_factory=list)
    events: int = 0
    virtual_seconds: float = 0.0
    wall_ms: float = 0.0
    error: str | None = None
    log_path: str | None = None
    timeline_path: str | None = None
    """The HTML timeline of a failed run, next to its log."""
    metrics: Metrics | None = None
    """Interactivity samples of the run (see _metrics.py); None if it did not run."""


def run_scenario(
    scenario: Scenario, *, policy: str | None = None, model: str | None = None, path: str = ""
) -> tuple[ScenarioResult, bytes]:
    """Run one scenario in virtual time; return its result and its session log.

    ``model`` replaces the scenario's model: a real one's compute time is charged to the virtual clock
    as measured, so latencies include it while everything else stays deterministic.
    """
    stopwatch = Stopwatch()
    config = scenario.session_config(policy=policy, model=model)
    result = ScenarioResult(name=scenario.name, family=scenario.family, path=path, policy=config.policy, passed=False)
    try:
        source = ScriptSource(scenario)
        clock = VirtualClock()

        async def main() -> bytes:
            bus = open_bus("memory")
            toolbox = ScriptedToolbox(clock, scenario.tools)
            session = Session(
                bus=bus,
                clock=clock,
                config=config,
                session_id=scenario.name,
                sources=[source],
                tools=toolbox,
                tool_specs=toolbox.specs,
            )
            lane = BackgroundLane(
                session,
                clock=clock,
                agent=ScriptedAgent(),
                tools=toolbox,
                tool_specs=toolbox.specs,
                scopes=config.scopes,
            )
            async with asyncio.TaskGroup() as group:
                group.create_task(session.run())
                if scenario.tools:  # a background agent needs tools; without, jobs are scripted results
                    group.create_task(lane.run())
            log = encode_log(await bus.read(session.id))
            await bus.aclose()
            return log

        log = clock.run(main())
    except (MicroturnError, ExceptionGroup) as exc:
        result.error = _message(exc)
        result.wall_ms = stopwatch.elapsed() * 1000
        return result, b""
    events = list(decode_log(log))
    record = RunRecord(events=events, log=log, marks=source.marks, silence_min=config.silence_min, replay=replay_log)
    result.checks = [evaluate(check, record) for check in scenario.expect]
    result.passed = all(check.passed for check in result.checks)
    result.metrics = measure(events, source.marks, scenario)
    result.events = len(events)
    result.virtual_seconds = events[-1].t if events else 0.0
    result.wall_ms = stopwatch.elapsed() * 1000
    return result, log


def _message(exc: BaseException) -> str:
    """The first MicroturnError inside (possibly nested) task-group exception groups."""
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    if not isinstance(exc, MicroturnError):
        raise exc
    return str(exc)


def load_all(paths: list[Path]) -> list[tuple[Path, Scenario | MicroturnError]]:
    """Every scenario file under ``paths``, loaded, or the error that stopped it loading."""
    loaded: list[tuple[Path, Scenario | MicroturnError]] = []
    for path in scenario_paths(paths):
        try:
            loaded.append((path, load_scenario(path)))
        except MicroturnError as exc:
            loaded.append((path, exc))
    return loaded


def load_failure(path: Path, error: MicroturnError, policy: str | None) -> ScenarioResult:
    return ScenarioResult(
        name=path.stem, family="?", path=str(path), policy=policy or "?", passed=False, error=str(error)
    )


class LogWriter:
    """Writes session logs to ``out_dir/logs/<policy>/<name>.jsonl``: one name per file and policy."""

    def __init__(self, out_dir: Path | None) -> None:
        self._out_dir = out_dir
        self._files: dict[tuple[str, str], Path] = {}

    def write(self, result: ScenarioResult, log: bytes, *, path: Path) -> None:
        if self._out_dir is None or not log:
            return
        name = result.name
        while self._files.setdefault((result.policy, name), path) != path:
            name += "~"  # two files may share a name in different folders
        log_file = self._out_dir / "logs" / result.policy / f"{name}.jsonl"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log_file.write_bytes(log)
        result.log_path = str(log_file)
        if not result.passed:  # a picture of what went wrong, next to the log
            page = log_file.with_suffix(".html")
            title = f"{result.name} — {result.policy} — FAILED"
            page.write_text(render_timeline_html(list(decode_log(log)), title=title), encoding="utf-8")
            result.timeline_path = str(page)


def run_eval(
    paths: list[Path], *, policy: str | None = None, model: str | None = None, out_dir: Path | None = None
) -> list[ScenarioResult]:
    """Run every scenario found under ``paths``; write logs and ``results.json`` to ``out_dir``."""
    results: list[ScenarioResult] = []
    logs = LogWriter(out_dir)
    for path, scenario in load_all(paths):
        if isinstance(scenario, MicroturnError):
            results.append(load_failure(path, scenario, policy))
            continue
        result, log = run_scenario(scenario, policy=policy, model=model, path=str(path))
        logs.write(result, log, path=path)
        results.append(result)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "results.json").write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return results


def format_table(results: list[ScenarioResult]) -> str:
    rows = [("scenario", "family", "policy", "result", "checks", "events", "wall ms")]
    for r in results:
        passed = sum(check.passed for check in r.checks)
        rows.append(
            (
                r.name,
                r.family,
                r.policy,
                "pass" if r.passed else ("ERROR" if r.error else "FAIL"),
                f"{passed}/{len(r.checks)}",
                str(r.events),
                f"{r.wall_ms:.0f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    failures = [r for r in results if not r.passed]
    lines.extend(format_failures(failures))
    lines.append("")
    lines.append(f"{len(results) - len(failures)} passed, {len(failures)} failed")
    return "\n".join(lines)


def format_failures(failures: list[ScenarioResult]) -> list[str]:
    """What went wrong in each failed scenario: the error or failed checks, and where its log is."""
    lines: list[str] = []
    for r in failures:
        lines.append("")
        lines.append(f"{r.name} ({r.path}):")
        if r.error:
            lines.append(f"  error: {r.error}")
        for check in r.checks:
            if not check.passed:
                lines.append(f"  FAILED {check.check}: {check.detail}")
        if r.log_path:
            lines.append(f"  log: {r.log_path}")
        if r.timeline_path:
            lines.append(f"  timeline: {r.timeline_path}")
    return lines
