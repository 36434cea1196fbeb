"""CPU per micro-turn and sessions per core: the microturn loop vs. a bare asyncio ticker.

Two measurements, each run side by side with its baseline, interleaved, repeated; medians reported:

1. CPU per session-tick, in virtual time: N sessions with the ScriptedModel, each asked a question
   every 10 s, run for a virtual minute on one event loop; process CPU time / (sessions x ticks).
   Baseline: N bare tasks that only wake every tick (the floor any asyncio runtime pays).
2. Sessions per core in real time: N sessions at 200 ms ticks for a few wall seconds on one core;
   the largest N whose p99 tick lag stays under 20 ms (ramped). Same for the baseline.

    python bench/loop_overhead.py [--quick] [--json out/bench/loop_overhead.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from microturn import Event, FloorState, Modality, Session, SessionConfig, SystemClock, UserInput, UserSubmit
from microturn._bus import open_bus
from microturn._clock import Clock, VirtualClock
from microturn.errors import MicroturnError

TICK = 0.2
QUESTION = "what is 12 times 7"


class PeriodicAsker:
    """A Source: asks a question every ``period`` seconds, starting at ``offset``."""

    def __init__(self, period: float, offset: float, until: float) -> None:
        self._next = offset
        self._period = period
        self._until = until

    @property
    def name(self) -> str:
        return "bench"

    def next_awake(self, state: FloorState) -> float | None:
        return self._next if self._next < self._until else None

    def poll(self, now: float, state: FloorState) -> list[Event | bytes]:
        self._next += self._period
        return [UserInput(text=QUESTION, modality=Modality.TYPED, t=now), UserSubmit(t=now)]


async def _stop_after(
    sessions: list[Session], tasks: list[asyncio.Task[None]], clock: Clock, seconds: float
) -> None:
    from microturn import EndSession

    await clock.sleep_until(clock.now() + seconds)
    for session in sessions:
        await session.inject(EndSession(reason="bench over"))
    await asyncio.gather(*tasks)


async def run_sessions(count: int, seconds: float, clock: Clock, *, stagger: bool) -> list[Session]:
    bus = open_bus("memory")
    config = SessionConfig(tick=TICK)
    sessions: list[Session] = []
    tasks: list[asyncio.Task[None]] = []
    for index in range(count):
        if stagger:  # spread session phases over one tick, as independent users would be
            await clock.sleep_until(clock.now() + TICK / count)
        session = Session(
            bus=bus,
            clock=clock,
            config=config,
            session_id=f"s{index}",
            sources=[PeriodicAsker(period=10.0, offset=(index % 50) * 0.2 + 0.1, until=seconds)],
        )
        sessions.append(session)
        tasks.append(asyncio.create_task(session.run()))
    await _stop_after(sessions, tasks, clock, seconds)
    return sessions


async def run_bare(count: int, seconds: float, clock: Clock, *, stagger: bool) -> list[list[float]]:
    """Baseline: tasks that wake every tick and record their lag, doing nothing else."""
    lags: list[list[float]] = [[] for _ in range(count)]

    async def ticker(lag: list[float]) -> None:
        start = clock.now()
        k = 1
        while clock.now() - start < seconds:
            due = start + k * TICK
            await clock.sleep_until(due)
            lag.append(clock.now() - due)
            k = max(k + 1, int((clock.now() - start) / TICK) + 1)

    tasks = []
    for index in range(count):
        if stagger:
            await clock.sleep_until(clock.now() + TICK / count)
        tasks.append(asyncio.create_task(ticker(lags[index])))
    await asyncio.gather(*tasks)
    return lags


def cpu_per_tick(kind: str, count: int, seconds: float) -> float:
    clock = VirtualClock()
    start = time.process_time()
    if kind == "microturn":
        sessions = clock.run(run_sessions(count, seconds, clock, stagger=False))
        ticks = sum(session.stats.ticks for session in sessions)
    else:
        lags = clock.run(run_bare(count, seconds, clock, stagger=False))
        ticks = sum(len(lag) for lag in lags)
    return (time.process_time() - start) / ticks


def p99_lag(kind: str, count: int, seconds: float) -> float:
    clock = SystemClock()

    async def main() -> list[float]:
        if kind == "microturn":
            sessions = await run_sessions(count, seconds, clock, stagger=True)
            return [lag for session in sessions for lag in list(session.stats.tick_lags)[2:]]
        return [lag for lags in await run_bare(count, seconds, clock, stagger=True) for lag in lags[2:]]

    lags = sorted(asyncio.run(main()))
    return lags[int(0.99 * (len(lags) - 1))] if lags else float("inf")


def interleave(kinds: list[str], rounds: int, measure: Callable[[str], float]) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(rounds):
        for kind in kinds:
            results[kind].append(measure(kind))
    return results


def capacity(kind: str, counts: list[int], seconds: float, limit: float) -> tuple[int, dict[int, float]]:
    best = 0
    seen: dict[int, float] = {}
    for count in counts:
        lag = p99_lag(kind, count, seconds)
        seen[count] = lag
        if lag >= limit:
            break
        best = count
    return best, seen


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds and a shorter ramp (smoke test)")
    parser.add_argument("--json", type=Path, default=Path("out/bench/loop_overhead.json"))
    args = parser.parse_args()

    kinds = ["microturn", "bare-asyncio"]
    sessions, virtual_seconds, rounds = (100, 20.0, 1) if args.quick else (500, 60.0, 5)
    cpu = interleave(kinds, rounds, lambda kind: cpu_per_tick(kind, sessions, virtual_seconds))
    cpu_ms = {kind: statistics.median(values) * 1000 for kind, values in cpu.items()}

    counts = [250, 500, 1000] if args.quick else [500, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000]
    wall_seconds = 2.0 if args.quick else 4.0
    cap: dict[str, tuple[int, dict[int, float]]] = {}
    for kind in kinds:  # each ramp is one run per count; kinds alternate
        cap[kind] = capacity(kind, counts, wall_seconds, limit=0.020)

    print(
        f"loop overhead — {sessions} sessions x {virtual_seconds:.0f} virtual s, tick {TICK * 1000:.0f} ms, "
        f"median of {rounds}; capacity: p99 tick lag < 20 ms over {wall_seconds:.0f} s, one core"
    )
    print(f"{'':14}{'CPU ms / session-tick':>24}{'sessions per core':>20}")
    for kind in kinds:
        print(f"{kind:14}{cpu_ms[kind]:>24.4f}{cap[kind][0]:>20}")
    print(
        f"{'ratio':14}{cpu_ms['microturn'] / cpu_ms['bare-asyncio']:>23.1f}x"
        f"{cap['microturn'][0] / max(1, cap['bare-asyncio'][0]):>19.2f}x"
    )
    report = {
        "benchmark": "loop_overhead",
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "tick_s": TICK,
        "cpu_ms_per_session_tick": {
            kind: {"median": cpu_ms[kind], "runs": [v * 1000 for v in cpu[kind]]} for kind in kinds
        },
        "sessions_per_core": {
            kind: {"max_sessions_p99_lag_under_20ms": cap[kind][0], "p99_lag_s_by_sessions": cap[kind][1]}
            for kind in kinds
        },
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"json: {args.json}")


if __name__ == "__main__":
    try:
        main()
    except MicroturnError as exc:
        raise SystemExit(f"loop_overhead: {exc}") from None
