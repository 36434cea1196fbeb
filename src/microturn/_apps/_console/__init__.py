"""The console transport: ``microturn chat``, a full-duplex text chat in the terminal."""

from microturn._apps._console._agent_chat import run_agent_chat
from microturn._apps._console._chat import chat, run_chat
from microturn._apps._console._resume import Resumption, load_resumption
from microturn._apps._console._transport import ConsoleTransport

__all__ = ["ConsoleTransport", "Resumption", "chat", "load_resumption", "run_agent_chat", "run_chat"]
