"""Hooks: your functions called with the session's events as they are recorded (a transcript, tool calls, jobs)."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from microturn._core._events import Event
from microturn.errors import ConfigError, SlowConsumer

__all__ = ["Hook", "Hooks"]

E = TypeVar("E", bound=Event)

Hook = Callable[[Any], Awaitable[None] | None]
"""A function of one event; plain or ``async``."""

_logger = logging.getLogger("microturn.hooks")


@dataclass(frozen=True, slots=True)
class _Entry:
    kinds: tuple[type[Event], ...]
    hook: Hook


class Hooks:
    """Hooks by the kinds of event they want, called in the order they were added."""

    def __init__(self) -> None:
        self._entries: list[_Entry] = []

    def add(self, kinds: tuple[type[Event], ...], hook: Hook) -> None:
        if not kinds or not all(isinstance(kind, type) and issubclass(kind, Event) for kind in kinds):
            raise ConfigError(f"on() takes event classes such as AgentSpeechEnded, got {kinds!r}")
        if not callable(hook):
            raise ConfigError(f"a hook must be a function of one event, got {hook!r}")
        self._entries.append(_Entry(kinds, hook))

    def __bool__(self) -> bool:
        return bool(self._entries)

    @property
    def kinds(self) -> tuple[type[Event], ...] | None:
        """The event kinds some hook wants (what the session log is read for); None: every kind."""
        wanted = {kind for entry in self._entries for kind in entry.kinds}
        if Event in wanted:
            return None
        return tuple(sorted(wanted, key=lambda kind: kind.__name__))

    async def call(self, event: Event) -> None:
        """Call every hook that wants ``event``. A hook that raises is logged and skipped: never the session's end."""
        for entry in self._entries:
            if not isinstance(event, entry.kinds):
                continue
            try:
                result = entry.hook(event)
                if inspect.isawaitable(result):
                    await result
            except SlowConsumer:
                raise
            except Exception:
                _logger.exception("hook %r failed on %s (the session goes on)", entry.hook, type(event).__name__)
