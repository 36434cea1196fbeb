"""The shared time axis: seconds to x pixels, and where its ticks go."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AxisTick", "Scale"]

_MINOR_PER_SECOND = 5  # one minor tick per 200 ms: the default micro-turn


@dataclass(frozen=True)
class AxisTick:
    t: float
    major: bool
    label: str


@dataclass(frozen=True)
class Scale:
    """``duration`` seconds drawn at ``px_per_second``; never narrower than ``min_width``."""

    duration: float
    px_per_second: float = 100.0
    min_width: float = 800.0
    margin: float = 16.0
    """Room at both ends, so a marker at 0 s or at the very end is not clipped."""

    @property
    def width(self) -> float:
        return max(self.min_width, max(0.0, self.duration) * self.px_per_second) + 2 * self.margin

    @property
    def shown(self) -> float:
        """Seconds the axis covers (at least ``duration``; more when the minimum width pads it)."""
        return (self.width - 2 * self.margin) / self.px_per_second

    def x(self, t: float) -> float:
        return self.margin + max(0.0, t) * self.px_per_second

    def ticks(self) -> list[AxisTick]:
        """A minor tick per 200 ms, a labelled major tick per second (counted in integers: no drift)."""
        count = int(self.shown * _MINOR_PER_SECOND + 1e-9)
        ticks: list[AxisTick] = []
        for index in range(count + 1):
            major = index % _MINOR_PER_SECOND == 0
            t = index / _MINOR_PER_SECOND
            ticks.append(AxisTick(t=t, major=major, label=_clock_label(t) if major else ""))
        return ticks


def _clock_label(t: float) -> str:
    whole = round(t)
    if whole < 60:
        return f"{whole} s"
    return f"{whole // 60}:{whole % 60:02d}"
