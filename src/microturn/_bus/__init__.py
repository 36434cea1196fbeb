"""Event bus backends, chosen by name and imported lazily (the core never imports nats)."""

from __future__ import annotations

import importlib
from pathlib import Path

from microturn._bus._base import EventBus, Start, StartAt, Subscription, SubscriptionStats
from microturn._bus._journal import LogConfig, Sync
from microturn.errors import ConfigError

__all__ = [
    "BACKENDS",
    "EventBus",
    "LogConfig",
    "Start",
    "StartAt",
    "Subscription",
    "SubscriptionStats",
    "Sync",
    "open_bus",
]

# name -> (module, factory); modules are imported only when their backend is opened.
BACKENDS: dict[str, tuple[str, str]] = {
    "memory": ("microturn._bus._memory", "MemoryBus"),
}


def open_bus(backend: str = "memory", *, log_dir: Path | None = None, config: LogConfig | None = None) -> EventBus:
    """Open a bus by backend name; ``log_dir`` makes the memory backend durable (a JSONL file per log),
    ``config`` says how: its sync policy and in-memory window (docs/durability.md)."""
    try:
        module_name, factory_name = BACKENDS[backend]
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise ConfigError(f"unknown bus backend {backend!r}; choose one of: {known}") from None
    factory = getattr(importlib.import_module(module_name), factory_name)
    bus: EventBus = factory(log_dir=log_dir, config=config)
    return bus
