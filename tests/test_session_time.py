"""The loop's time: the moment each pass runs at (``_moments.py``) and the micro-turn ticks (``_ticks.py``)."""

from __future__ import annotations

import pytest

from microturn import VirtualClock
from microturn._session._moments import Moments
from microturn._session._ticks import LoopStats, Ticks
from microturn.errors import SessionStalled

TICK = 0.2


def started(clock: VirtualClock) -> Moments:
    moments = Moments(clock, "s")
    moments.start()
    return moments


def test_session_time_counts_from_the_start_in_microseconds() -> None:
    clock = VirtualClock(start=100.0)
    moments = Moments(clock, "s")
    assert moments.now() == 0.0  # not started yet
    moments.start()
    clock.jump(1.23456789)
    assert moments.now() == 1.234568


def test_a_pass_woken_late_runs_at_its_deadline_and_one_woken_by_input_at_the_clock() -> None:
    clock = VirtualClock()
    moments = started(clock)
    clock.jump(0.5)
    assert moments.next(0.2) == 0.2  # however late the clock woke the loop, the deadline's own time
    assert moments.next(0.9) == 0.5  # woken before the deadline (by input): the clock's time
    assert moments.next(0.1) == 0.5  # never back in time


def test_a_nudged_pass_runs_at_the_moment_that_caused_it() -> None:
    clock = VirtualClock()
    moments = started(clock)
    clock.jump(0.3)
    assert moments.next(1.0) == 0.3
    clock.jump(0.4)
    moments.nudge()
    assert moments.wake.is_set()
    assert moments.next(1.0) == 0.3  # the session's own work: the same moment again
    assert not moments.wake.is_set()  # each pass starts listening afresh
    assert moments.next(1.0) == 0.7


def test_a_loop_that_keeps_passing_at_one_moment_is_stopped() -> None:
    moments = started(VirtualClock())
    for _ in range(100_001):
        moments.next(0.0)  # a burst at one moment is fine
    with pytest.raises(SessionStalled, match=r"stalled at 0\.000 s"):
        moments.next(0.0)


def test_a_tick_is_due_at_its_time_and_a_late_pass_takes_the_missed_ones_as_one() -> None:
    clock = VirtualClock()
    stats = LoopStats()
    ticks = Ticks(TICK, stats, started(clock).now)
    assert ticks.next_due == 0.2
    assert not ticks.due(0.1)
    clock.jump(0.25)
    assert ticks.due(0.2)
    assert ticks.next_due == 0.4
    assert not ticks.due(0.2)  # taken: never twice at one moment
    clock.jump(0.8)
    assert ticks.due(1.0)  # one micro-turn for the ticks at 0.4 .. 1.0
    assert stats.missed_ticks == 3
    assert ticks.next_due == 1.2
    assert list(stats.tick_lags) == [pytest.approx(0.05), pytest.approx(0.65)]  # by the clock, from the first due
