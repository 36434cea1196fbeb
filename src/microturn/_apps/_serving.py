"""Serving an agent in the browser: what must be installed and loaded first, and ``Agent.serve``."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from microturn.errors import ConfigError

if TYPE_CHECKING:
    from microturn._agent import Agent

__all__ = ["load_voice", "require_serve_extra", "serve_agent"]


def require_serve_extra() -> None:
    """Fail with the fix before anything else if the serve extra is missing."""
    if any(importlib.util.find_spec(name) is None for name in ("starlette", "uvicorn")):
        raise ConfigError("serving needs the serve extra: pip install 'microturn[serve]'")


def load_voice(voice: str) -> None:
    """For real voice, check the voice extra and load the speech models once, before anyone connects."""
    if voice == "real":
        from microturn._voice._engines import load_engines

        try:
            load_engines()
        except ConfigError as exc:
            raise ConfigError(f"{exc} (or serve with voice off, to type only)") from None


def serve_agent(
    agent: Agent,
    *,
    host: str,
    port: int,
    token: str | None,
    log_dir: Path | None,
    max_conversations: int,
    announce: Callable[[str], None],
) -> None:
    """Serve ``agent``'s page until interrupted: each browser tab gets a session of its own."""
    require_serve_extra()
    load_voice(agent.voice)
    from microturn._apps._serve import ConversationSpec, serve

    spec = ConversationSpec(agent=agent, voice=agent.voice, log_dir=log_dir)
    serve(spec, host=host, port=port, token=token, announce=announce, max_conversations=max_conversations)
