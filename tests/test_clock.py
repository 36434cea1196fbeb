"""VirtualClock jumps through idle time deterministically; SystemClock follows real time."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest

from microturn import Clock, SystemClock, VirtualClock

HOUR = 3600.0


def test_an_hour_of_virtual_sleep_takes_no_real_time() -> None:
    clock = VirtualClock()

    async def main() -> float:
        await clock.sleep_until(HOUR)
        return clock.now()

    started = time.perf_counter()
    assert clock.run(main()) == HOUR
    assert time.perf_counter() - started < 1.0


async def test_sleep_until_lands_exactly_on_the_deadline(clock: VirtualClock) -> None:
    loop = asyncio.get_running_loop()
    await clock.sleep_until(2.5)
    assert clock.now() == 2.5
    assert loop.time() == clock.now()  # asyncio's timers and the clock share one timeline
    await clock.sleep_until(1.0)  # a deadline in the past returns at once
    assert clock.now() == 2.5


async def test_asyncio_timers_ride_the_virtual_clock(clock: VirtualClock) -> None:
    await asyncio.sleep(90.0)
    assert clock.now() == 90.0


def test_jump_moves_now_forward() -> None:
    clock = VirtualClock(start=10.0)
    assert clock.now() == 10.0
    clock.jump(2.5)
    clock.jump(0.0)
    assert clock.now() == 12.5
    assert clock.jumps == 2


def test_time_cannot_jump_backwards() -> None:
    clock = VirtualClock()
    with pytest.raises(ValueError, match="forward"):
        clock.jump(-0.001)
    assert clock.now() == 0.0


async def test_a_jump_makes_due_timers_fire(clock: VirtualClock) -> None:
    fired: list[float] = []
    asyncio.get_running_loop().call_at(5.0, lambda: fired.append(clock.now()))
    clock.jump(6.0)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert fired == [6.0]


async def test_timeout_at_raises_at_the_virtual_deadline(clock: VirtualClock) -> None:
    with pytest.raises(TimeoutError):
        async with clock.timeout_at(5.0):
            await clock.sleep_until(100.0)
    assert clock.now() == 5.0


async def test_timeout_at_lets_a_quick_block_finish(clock: VirtualClock) -> None:
    async with clock.timeout_at(5.0):
        await clock.sleep_until(4.0)
    assert clock.now() == 4.0
    await clock.sleep_until(10.0)  # the cancelled timeout does not fire later
    assert clock.now() == 10.0


async def test_wait_until_returns_at_the_deadline(clock: VirtualClock) -> None:
    event = asyncio.Event()
    await clock.wait_until(event, 3.0)
    assert clock.now() == 3.0


async def test_wait_until_returns_when_the_event_is_set(clock: VirtualClock) -> None:
    event = asyncio.Event()
    asyncio.get_running_loop().call_at(1.5, event.set)
    await clock.wait_until(event, 3.0)
    assert clock.now() == 1.5
    # The deadline's timer is gone: waiting again on a fresh event runs to the new deadline.
    await clock.wait_until(asyncio.Event(), 10.0)
    assert clock.now() == 10.0


async def test_wait_until_on_a_set_event_returns_at_once(clock: VirtualClock) -> None:
    event = asyncio.Event()
    event.set()
    await clock.wait_until(event, 3.0)
    assert clock.now() == 0.0


async def test_concurrent_sleepers_wake_in_deadline_order(clock: VirtualClock) -> None:
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, deadline: float) -> None:
        await clock.sleep_until(deadline)
        woke.append((name, clock.now()))

    async with asyncio.TaskGroup() as group:
        for name, deadline in [("c", 3.0), ("a", 1.0), ("d", 30.0), ("b", 2.0)]:
            group.create_task(sleeper(name, deadline))
    assert woke == [("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 30.0)]


def test_wall_starts_at_the_fixed_epoch() -> None:
    clock = VirtualClock(start=42.0)
    expected = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)
    assert dt.datetime.fromtimestamp(clock.wall(), tz=dt.UTC) == expected
    clock.jump(90.0)
    assert dt.datetime.fromtimestamp(clock.wall(), tz=dt.UTC) == expected + dt.timedelta(seconds=90)
    assert VirtualClock(wall_epoch=0.0).wall() == 0.0


def test_both_clocks_satisfy_the_protocol() -> None:
    assert isinstance(VirtualClock(), Clock)
    assert isinstance(SystemClock(), Clock)


def test_the_same_program_gives_the_same_times() -> None:
    def trace() -> list[float]:
        clock = VirtualClock()
        times: list[float] = []

        async def ticker(period: float) -> None:
            for _ in range(5):
                await asyncio.sleep(period)
                times.append(clock.now())

        async def main() -> None:
            async with asyncio.TaskGroup() as group:
                group.create_task(ticker(0.3))
                group.create_task(ticker(0.7))

        clock.run(main())
        return times

    assert trace() == trace()


def test_system_clock_is_monotonic_and_tells_real_wall_time() -> None:
    clock = SystemClock()

    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        before = loop.time()
        assert before <= clock.now() <= loop.time()  # the loop's clock, read through the Clock
        readings = []
        for _ in range(200):
            readings.append(clock.now())
            await asyncio.sleep(0)
        return readings

    readings = asyncio.run(main())
    assert readings == sorted(readings)
    assert readings[-1] > readings[0]
    assert abs(clock.wall() - time.time()) < 5.0
