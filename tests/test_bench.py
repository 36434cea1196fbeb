"""The benchmarks stay runnable: a tiny, virtual-time run of each measurement's machinery."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import loop_overhead


def test_cpu_per_tick_counts_the_ticks_of_both_sides() -> None:
    ours = loop_overhead.cpu_per_tick("microturn", 3, 2.0)
    bare = loop_overhead.cpu_per_tick("bare-asyncio", 3, 2.0)
    assert bare > 0
    assert 0 < ours < 0.01  # seconds of CPU per session-tick: far below a millisecond


def test_capacity_stops_at_the_first_count_over_the_limit() -> None:
    lags = {1: 0.001, 2: 0.019, 3: 0.025, 4: 0.001}
    best, seen = loop_overhead.capacity(lambda n: lags[n], [1, 2, 3, 4])
    assert best == 2
    assert list(seen) == [1, 2, 3]
