"""Decisions registered under a test's own name while a test runs, and removed after (``register_decisions``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from microturn._policies._full_duplex._decisions import DECISIONS, Decisions, Waits, register_decisions

__all__ = ["registered"]


@contextmanager
def registered(name: str, make: Callable[[Waits], Decisions]) -> Iterator[str]:
    """``make`` as the decisions ``name`` while inside (the policy asks for them by that name)."""
    register_decisions(name, make)
    try:
        yield name
    finally:
        DECISIONS.pop(name)
