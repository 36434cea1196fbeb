"""A voice assistant in the browser whose tools come from an MCP server (here the reference time server).

``MCPServer`` starts the server for each conversation and stops it after; its tools are named
``time.get_current_time`` and ``time.convert_time``. MCP tools are high risk unless you say otherwise (the
user is asked before each call): this server only reads the clock, so it is lowered to ``Risk.LOW``. Say
"can you look up the time in Tokyo": the request goes to the background lane, which calls the server's
tool, and the answer is woven in at your next pause. Talk over the agent to cut it off.

Run it: ``pip install 'microturn[voice,serve,mcp]' mcp-server-time``, then
``python examples/voice_assistant.py`` and open the address it prints (allow the microphone).
"""

from __future__ import annotations

import sys

from microturn import Agent, AgentModel, ChatModel, MCPServer, Risk, Voice

TIME_SERVER = MCPServer("time", [sys.executable, "-m", "mcp_server_time"], risk=Risk.LOW)

INSTRUCTIONS = "You are a friendly voice assistant. Answer in one short spoken sentence: no lists, no markup."


def build_agent(
    model: str | ChatModel = "embedded",
    *,
    background_model: str | ChatModel | AgentModel | None = None,
    voice: Voice = "real",
) -> Agent:
    """The assistant. ``background_model`` (by default the same as ``model``) decides which tool a job calls."""
    return Agent(
        INSTRUCTIONS,
        model=model,
        background_model=background_model,
        background_instructions="Use the time tools with IANA zone names, such as Asia/Tokyo.",
        tools=[TIME_SERVER],
        builtin_tools=False,
        scopes=["mcp:time"],
        voice=voice,
    )


if __name__ == "__main__":
    build_agent().serve()
