"""The session's time, and the moment each pass of the loop runs at.

Session time is seconds since the session started, rounded to the microsecond. Each pass runs at one
*moment*, as a replay in virtual time would run it: woken by its own work (a model's output reached
the speaker: :meth:`Moments.nudge`), the loop goes on at the same moment; woken by a deadline, at the
deadline, however late the clock is (one pass per deadline missed, in order); woken by input, at the
clock's time, which the input then takes. A live session thus records only moments a replay also
reaches: deadlines, and the times its input came in.
"""

from __future__ import annotations

import asyncio

from microturn._core._clock import Clock
from microturn.errors import SessionStalled

__all__ = ["EPSILON", "Moments"]

EPSILON = 1e-9  # times closer than this are the same time (they are sums of floats)
_MAX_PASSES_AT_ONE_MOMENT = 100_000  # far more than any real burst: past it, something spins


class Moments:
    """When session ``session`` is, and when its loop wakes: at a deadline, or when ``wake`` is set."""

    def __init__(self, clock: Clock, session: str) -> None:
        self.wake = asyncio.Event()
        self.moment = 0.0  # the session time of the current pass: everything it records is stamped with it
        self._clock = clock
        self._session = session
        self._start: float | None = None
        self._nudged = False  # the session's own work woke the loop: the next pass is at the same moment
        self._same, self._previous = 0, -1.0  # passes in a row at one moment, and that moment

    def start(self) -> None:
        """The session starts now: session time 0."""
        self._start = self._clock.now()

    def now(self) -> float:
        """Session time: seconds since the session started, rounded to the microsecond."""
        if self._start is None:
            return 0.0
        return round(self._clock.now() - self._start, 6)

    def nudge(self) -> None:
        """Wake the loop for work of the session's own, to run at the moment that caused it."""
        self._nudged = True
        self.wake.set()

    def next(self, deadline: float) -> float:
        """Begin a pass woken by ``deadline`` (the one it slept until), or earlier: the moment it runs at.

        Raises SessionStalled when the loop keeps passing at one moment: something spins.
        """
        self.wake.clear()
        if self._nudged:
            self._nudged = False
        else:
            self.moment = round(max(self.moment, min(self.now(), deadline)), 6)
        self._same = self._same + 1 if self.moment == self._previous else 0
        self._previous = self.moment
        if self._same > _MAX_PASSES_AT_ONE_MOMENT:
            raise SessionStalled(self._session, self.moment, self._same)
        return self.moment

    async def sleep_until(self, deadline: float) -> None:
        """Sleep until session time ``deadline``, or until something wakes the loop."""
        await self._clock.wait_until(self.wake, (self._start or 0.0) + deadline)
