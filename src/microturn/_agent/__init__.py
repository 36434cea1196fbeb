"""The agent API: ``Agent`` (what it is told, runs on and may do), its sessions, tool sources and hooks."""

from microturn._agent._agent import Agent, Voice
from microturn._agent._session import AgentSession
from microturn._agent._toolset import DescribedToolbox, MCPServer, ToolSource

__all__ = ["Agent", "AgentSession", "DescribedToolbox", "MCPServer", "ToolSource", "Voice"]
