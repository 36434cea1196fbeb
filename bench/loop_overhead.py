"""CPU per micro-turn and sessions per core: the microturn loop vs. a bare asyncio ticker.

Two measurements, each side by side with its baseline:

1. CPU per session-tick, in virtual time: N sessions with the ScriptedModel, each asked a question
   every 10 s (a different one each time: the learned decisions' sentence embeddings are cached per
   text), run for a virtual minute on one event loop; process CPU time / (sessions x ticks). The
   full-duplex policy with each set of decisions: the rules, and the learned ones (a sentence
   embedding and small heads read at each input and each turn's end). Baseline: N bare tasks that
   only wake every tick (the floor any asyncio runtime pays). Interleaved rounds, medians.
2. Sessions per core in real time: N sessions at 200 ms ticks on one core, started a tick apart
   in phase; after a 1 s warm-up, the p99 tick lag over a few seconds of steady state. The largest
   N (ramped) whose p99 lag stays under 20 ms. Run with Python's default garbage collector, and
   with ``gc.freeze()`` after start-up as long-running hosts do (full collections then do not
   rescan the sessions' long-lived objects). Same for the baseline.

    python bench/loop_overhead.py [--quick] [--json out/bench/loop_overhead.json]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from microturn import (
    EndSession,
    Event,
    FloorState,
    FullDuplexPolicy,
    Modality,
    Session,
    SessionConfig,
    UserInput,
    UserSubmit,
)
from microturn._bus import open_bus
from microturn._core._clock import Clock, SystemClock, VirtualClock

TICK = 0.2
WARMUP = 1.0
LAG_LIMIT = 0.020
QUESTION = "what is {} times 7"
KINDS = {"microturn-rules": "rules", "microturn-learned": "learned", "bare-asyncio": None}
"""What runs: the session loop with the full-duplex policy and these decisions, or a bare ticker (None)."""


class PeriodicAsker:
    """A Source: asks a question every ``period`` seconds, starting at ``offset``."""

    def __init__(self, period: float, offset: float) -> None:
        self._next = offset
        self._period = period

    @property
    def name(self) -> str:
        return "bench"

    def next_awake(self, state: FloorState) -> float | None:
        return self._next

    def poll(self, now: float, state: FloorState) -> list[Event | bytes]:
        self._next += self._period
        return [UserInput(text=QUESTION.format(round(now * 10)), modality=Modality.TYPED, t=now), UserSubmit(t=now)]


class Population:
    """N sessions (or bare tickers) on one loop; ``lags()`` are per-ticker tick-lag lists so far."""

    def __init__(self, kind: str, count: int, clock: Clock) -> None:
        self.kind = kind
        self.count = count
        self.clock = clock
        self.sessions: list[Session] = []
        self._bare_lags: list[list[float]] = [[] for _ in range(count)]
        self._stop = asyncio.Event()

    async def run(self, group: asyncio.TaskGroup, *, stagger: bool) -> None:
        bus = open_bus("memory")
        for index in range(self.count):
            if stagger:  # spread phases over one tick, as independent users would be
                await self.clock.sleep_until(self.clock.now() + TICK / self.count)
            decisions = KINDS[self.kind]
            if decisions is not None:
                session = Session(
                    bus=bus,
                    clock=self.clock,
                    policy=FullDuplexPolicy(decisions=decisions),
                    config=SessionConfig(tick=TICK),
                    session_id=f"s{index}",
                    sources=[PeriodicAsker(period=10.0, offset=(index % 50) * 0.2 + 0.1)],
                )
                self.sessions.append(session)
                group.create_task(session.run())
            else:
                group.create_task(self._bare(self._bare_lags[index]))

    def lags(self) -> list[list[float]]:
        if KINDS[self.kind] is not None:
            return [list(session.stats.tick_lags) for session in self.sessions]
        return [list(lags) for lags in self._bare_lags]

    def ticks(self) -> int:
        return sum(len(lags) for lags in self.lags())

    async def stop(self) -> None:
        self._stop.set()
        for session in self.sessions:
            await session.inject(EndSession(reason="bench over"))

    async def _bare(self, lags: list[float]) -> None:
        start, k = self.clock.now(), 1
        while not self._stop.is_set():
            due = start + k * TICK
            await self.clock.sleep_until(due)
            lags.append(self.clock.now() - due)
            k = max(k + 1, int((self.clock.now() - start) / TICK) + 1)


def cpu_per_tick(kind: str, count: int, seconds: float) -> float:
    """CPU seconds per session-tick over ``seconds`` of virtual time."""
    clock = VirtualClock()
    population = Population(kind, count, clock)

    async def main() -> None:
        async with asyncio.TaskGroup() as group:
            await population.run(group, stagger=False)
            await clock.sleep_until(clock.now() + seconds)
            await population.stop()

    started = time.process_time()
    clock.run(main())
    return (time.process_time() - started) / population.ticks()


def steady_p99_lag(kind: str, count: int, seconds: float, *, freeze_gc: bool) -> float:
    """p99 tick lag in real time over ``seconds`` of steady state."""
    clock = SystemClock()
    population = Population(kind, count, clock)

    async def main() -> list[float]:
        async with asyncio.TaskGroup() as group:
            await population.run(group, stagger=True)
            await clock.sleep_until(clock.now() + WARMUP)
            if freeze_gc:
                gc.freeze()
            before = [len(lags) for lags in population.lags()]
            await clock.sleep_until(clock.now() + seconds)
            window = [lag for n, lags in zip(before, population.lags(), strict=True) for lag in lags[n:]]
            await population.stop()
        return window

    try:
        lags = sorted(asyncio.run(main()))
    finally:
        gc.unfreeze()
    return lags[int(0.99 * (len(lags) - 1))] if lags else float("inf")


def capacity(measure: Callable[[int], float], counts: list[int]) -> tuple[int, dict[int, float]]:
    """The largest count (ramping up) whose p99 lag stays under the limit."""
    best, seen = 0, {}
    for count in counts:
        seen[count] = measure(count)
        if seen[count] >= LAG_LIMIT:
            break
        best = count
    return best, seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and a shorter ramp (smoke test)")
    parser.add_argument("--json", type=Path, default=Path("out/bench/loop_overhead.json"))
    args = parser.parse_args()

    kinds = list(KINDS)
    sessions, virtual_seconds, rounds = (100, 20.0, 1) if args.quick else (500, 60.0, 5)
    cpu: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(rounds):  # interleaved: a noisy moment hits both sides alike
        for kind in kinds:
            cpu[kind].append(cpu_per_tick(kind, sessions, virtual_seconds) * 1000)
    cpu_ms = {kind: statistics.median(values) for kind, values in cpu.items()}

    counts = [250, 500, 1000] if args.quick else [1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000]
    window = 2.0 if args.quick else 4.0
    cap: dict[str, dict[str, tuple[int, dict[int, float]]]] = {kind: {} for kind in kinds}
    for gc_mode in ("default", "frozen"):
        for kind in kinds:
            cap[kind][gc_mode] = capacity(
                lambda n, kind=kind, gc_mode=gc_mode: steady_p99_lag(  # type: ignore[misc]
                    kind, n, window, freeze_gc=gc_mode == "frozen"
                ),
                counts,
            )

    print(
        f"loop overhead: CPU over {sessions} sessions x {virtual_seconds:.0f} virtual s, median of {rounds}; "
        f"capacity = most sessions with p99 tick lag < {LAG_LIMIT * 1000:.0f} ms at {TICK * 1000:.0f} ms "
        f"ticks on one core ({window:.0f} s steady state)"
    )
    print(f"{'':18}{'CPU ms/session-tick':>21}{'sessions (gc default)':>23}{'sessions (gc frozen)':>22}")
    for kind in kinds:
        print(f"{kind:18}{cpu_ms[kind]:>21.4f}{cap[kind]['default'][0]:>23}{cap[kind]['frozen'][0]:>22}")
    report = {
        "benchmark": "loop_overhead",
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "tick_s": TICK,
        "cpu_ms_per_session_tick": {kind: {"median": cpu_ms[kind], "runs": cpu[kind]} for kind in kinds},
        "sessions_per_core": {
            kind: {
                gc_mode: {"max_sessions": best, "p99_lag_s_by_sessions": seen}
                for gc_mode, (best, seen) in cap[kind].items()
            }
            for kind in kinds
        },
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"json: {args.json}")


if __name__ == "__main__":
    main()
