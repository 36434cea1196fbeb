"""The one place in microturn that tells time.

Runtime code asks a :class:`Clock` for ``now()``, sleeps with ``sleep_until()`` and bounds waits with
``timeout_at()``; nothing else reads a clock (a test enforces it). The clock's time is the event loop's
time, so asyncio's own timers and the clock agree.

:class:`VirtualClock` is the deterministic twin: it is the time source of its own event loop, and
whenever that loop has nothing ready to run it jumps straight to the next timer (autojump), so an
hour of conversation runs in milliseconds and the same inputs always give the same outputs.
"""

from __future__ import annotations

import asyncio
import selectors
import time
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, TypeVar, runtime_checkable

__all__ = ["CatchUpClock", "Clock", "Stopwatch", "SystemClock", "VirtualClock"]

T = TypeVar("T")

# A fixed wall-clock origin for virtual time: 2026-01-01T09:00:00Z. Virtual sessions are reproducible,
# so their wall time must not depend on when they run.
VIRTUAL_WALL_EPOCH = 1_767_258_000.0


@runtime_checkable
class Clock(Protocol):
    """Monotonic seconds plus a wall-clock reading, on the running event loop's timeline."""

    def now(self) -> float:
        """Monotonic seconds; only differences are meaningful."""
        ...

    def wall(self) -> float:
        """Seconds since the Unix epoch, for telling the user what time it is."""
        ...

    async def sleep_until(self, deadline: float) -> None:
        """Return once ``now() >= deadline``."""
        ...

    def timeout_at(self, deadline: float) -> AbstractAsyncContextManager[Any]:
        """Cancel the enclosed block at ``deadline``; it then raises ``TimeoutError``."""
        ...

    async def wait_until(self, event: asyncio.Event, deadline: float) -> None:
        """Return when ``event`` is set or at ``deadline``, whichever comes first (no cancellation)."""
        ...

    async def run_blocking(self, function: Callable[[], T]) -> T:
        """Run CPU-bound work (a model step) and return its result once it is done, on this clock's time."""
        ...


class _LoopClock:
    """Shared behaviour: sleeping and timeouts ride on the event loop's timers."""

    async def sleep_until(self, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, deadline - loop.time()))

    def timeout_at(self, deadline: float) -> AbstractAsyncContextManager[Any]:
        return asyncio.timeout_at(deadline)

    async def wait_until(self, event: asyncio.Event, deadline: float) -> None:
        if event.is_set():
            return
        # Setting the event at the deadline is much cheaper than a cancelling timeout on a hot path.
        handle = asyncio.get_running_loop().call_at(deadline, event.set)
        try:
            await event.wait()
        finally:
            handle.cancel()


class SystemClock(_LoopClock):
    """Real time: the event loop's monotonic clock and the system's wall clock."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def run_blocking(self, function: Callable[[], T]) -> T:
        return await asyncio.to_thread(function)

    def wall(self) -> float:
        return time.time()


class VirtualClock(_LoopClock):
    """Virtual time that only moves when told to (``jump``) or when the loop is idle (autojump).

    Run code on it with :meth:`run`, or create its loop with :meth:`new_event_loop` (for example as
    ``asyncio.Runner(loop_factory=clock.new_event_loop)``). Real I/O still works: the loop polls it
    without blocking before each jump.
    """

    def __init__(self, *, start: float = 0.0, wall_epoch: float = VIRTUAL_WALL_EPOCH) -> None:
        self._now = start
        self._start = start
        self._wall_epoch = wall_epoch
        self.jumps = 0

    def now(self) -> float:
        return self._now

    def wall(self) -> float:
        return self._wall_epoch + (self._now - self._start)

    def jump(self, seconds: float) -> None:
        """Move time forward by ``seconds``; timers now due fire on the loop's next pass."""
        if seconds < 0:
            raise ValueError(f"time only moves forward; cannot jump by {seconds} s")
        self._now += seconds
        self.jumps += 1

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        return _VirtualEventLoop(self)

    async def run_blocking(self, function: Callable[[], T]) -> T:
        """Run the work at once, then charge the real time it took to virtual time.

        A thread would let the clock jump over the work; instead the caller resumes exactly as much
        virtual time later as the work really took, while everything else keeps its own schedule.
        """
        started = time.perf_counter()
        result = function()
        await self.sleep_until(self._now + (time.perf_counter() - started))
        return result

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        """Run ``main`` to completion on a fresh event loop driven by this clock."""
        with asyncio.Runner(loop_factory=self.new_event_loop) as runner:
            return runner.run(main)


class CatchUpClock(VirtualClock):
    """Virtual time until :meth:`go_live`, then real time from where virtual time stood.

    A resumed chat rebuilds its session by replaying the old log in virtual time (as fast as the
    work allows), then goes on with the user in real time; session time carries on rather than
    starting over, and the same event loop keeps running throughout.
    """

    def __init__(self, *, start: float = 0.0, wall_epoch: float = VIRTUAL_WALL_EPOCH) -> None:
        super().__init__(start=start, wall_epoch=wall_epoch)
        self._live_since: float | None = None  # time.monotonic() when it went live

    @property
    def live(self) -> bool:
        return self._live_since is not None

    def go_live(self) -> None:
        """From now on, follow real time (and the real wall clock); it never jumps again."""
        if self._live_since is None:
            self._live_since = time.monotonic()

    def now(self) -> float:
        if self._live_since is None:
            return self._now
        return self._now + (time.monotonic() - self._live_since)

    def wall(self) -> float:
        return time.time() if self.live else super().wall()

    def jump(self, seconds: float) -> None:
        if self.live:
            raise RuntimeError("a live clock follows real time: it cannot jump")
        super().jump(seconds)

    async def run_blocking(self, function: Callable[[], T]) -> T:
        if self.live:
            return await asyncio.to_thread(function)
        return await super().run_blocking(function)


class _JumpingSelector(selectors.BaseSelector):
    """Polls real I/O without blocking; when nothing is ready, jumps the clock to the next timer."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self._inner = selectors.DefaultSelector()

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if isinstance(self._clock, CatchUpClock) and self._clock.live:
            return self._inner.select(timeout)  # real time now: wait for real
        ready = self._inner.select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            # No timer pending: only outside I/O (a thread, a pipe) can wake us. Block for it.
            return self._inner.select(None)
        self._clock.jump(timeout)
        return []

    def close(self) -> None:
        self._inner.close()

    def get_map(self) -> Any:
        return self._inner.get_map()


class _VirtualEventLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: VirtualClock) -> None:
        self._virtual_clock = clock
        super().__init__(_JumpingSelector(clock))

    def time(self) -> float:
        return self._virtual_clock.now()


class Stopwatch:
    """Real elapsed time, for reports about how long a run took (never for session behaviour)."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self._start


def run_with_clock(clock: Clock, main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``main()`` on the right event loop for ``clock``: virtual time or the system loop."""
    if isinstance(clock, VirtualClock):
        return clock.run(main())
    return asyncio.run(main())
