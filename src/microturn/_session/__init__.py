"""The session: the micro-turn loop and what it drives."""

from microturn._session._ingress import AGENT, LOOP, RUNTIME_SOURCES, TOOLS
from microturn._session._loop import LoopStats, Session, ingress
from microturn._session._sources import Source

__all__ = ["AGENT", "LOOP", "RUNTIME_SOURCES", "TOOLS", "LoopStats", "Session", "Source", "ingress"]
