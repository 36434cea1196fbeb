"""The shared time axis: seconds to x pixels at the base zoom, and where its ticks go at any zoom.

The page is laid out once at ``px_per_second`` (the base zoom, 1×); the browser then shows it at any
zoom by stretching the time area. Ticks are chosen for the zoom they are drawn at: the smallest step
of :data:`TICK_STEPS` whose labels stand at least :data:`LABEL_GAP` px apart, so labels never overlap
(ms-scale steps zoomed in, minutes zoomed out to an hour). The page's script draws its axis with the
same steps, which it reads from the page.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LABEL_GAP", "TICK_STEPS", "AxisTick", "Scale", "clock_label", "tick_step"]

TICK_STEPS: tuple[tuple[float, int], ...] = (
    (0.1, 5),
    (0.2, 4),
    (0.5, 5),
    (1.0, 5),  # at the base zoom: a label per second, a minor tick per 200 ms (the default micro-turn)
    (2.0, 4),
    (5.0, 5),
    (10.0, 5),
    (15.0, 3),
    (30.0, 3),
    (60.0, 6),
    (120.0, 4),
    (300.0, 5),
    (600.0, 5),
    (900.0, 3),
    (1800.0, 3),
    (3600.0, 6),
)
"""(seconds between labelled ticks, minor ticks per label), finest first."""

LABEL_GAP = 72.0  # px, the least room between two axis labels ("1:00:00.5" is ~56 px wide)


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

    def ticks(self, zoom: float = 1.0) -> list[AxisTick]:
        """The axis at ``zoom`` × the base: labelled ticks a step apart, minor ticks between (counted in
        integers: no drift)."""
        step, minors = tick_step(self.px_per_second * zoom)
        count = int(self.shown / step * minors + 1e-9)
        ticks: list[AxisTick] = []
        for index in range(count + 1):
            major = index % minors == 0
            t = index * step / minors
            ticks.append(AxisTick(t=t, major=major, label=clock_label(t, step) if major else ""))
        return ticks


def tick_step(px_per_second: float) -> tuple[float, int]:
    """The finest step whose labels stand :data:`LABEL_GAP` px apart at ``px_per_second``."""
    return next(((s, m) for s, m in TICK_STEPS if s * px_per_second >= LABEL_GAP), TICK_STEPS[-1])


def clock_label(t: float, step: float = 1.0) -> str:
    """``t`` as the axis shows it: ``7 s`` / ``0.5 s`` under a minute, then ``1:05`` / ``1:05.5``, ``1:00:05``."""
    places = 1 if step < 1 else 0
    tenths = round(t * 10) if places else round(t) * 10
    if tenths < 600:
        return f"{tenths / 10:.{places}f} s"
    whole, tenth = divmod(tenths, 10)
    minutes, secs = divmod(whole, 60)
    fraction = f".{tenth}" if places else ""
    if minutes < 60:
        return f"{minutes}:{secs:02d}{fraction}"
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}{fraction}"
