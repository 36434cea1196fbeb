"""The numbers a family reports: shares of cases, and medians and p90s of latencies (nearest rank, as ``eval``)."""

from __future__ import annotations

from collections.abc import Sequence

from microturn._eval._metrics._summary import _median, _percentile

__all__ = ["median", "p90", "share"]


def share(hits: int, total: int) -> float | None:
    """``hits`` out of ``total`` as a fraction; None when there was nothing to count."""
    return round(hits / total, 4) if total else None


def median(values: Sequence[float]) -> float | None:
    return _median(values)


def p90(values: Sequence[float]) -> float | None:
    """The smallest value with at least 90% of the values at or below it."""
    return _percentile(values, 0.9)
