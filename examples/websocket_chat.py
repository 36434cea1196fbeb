"""A transport of your own: the agent behind a plain WebSocket, one conversation per connection.

Each text frame a client sends is a chat message (typed and sent, as with Enter); each of the agent's replies
goes back as a text frame, timers and interjections included; a message "/stop" cuts the agent off. The
conversation itself is transport-free (``converse``: messages in, a ``send`` function out), so the same code
drives a chat-room bot, a Slack app or a test.

Run it: ``python examples/websocket_chat.py``, then, in another terminal,
``python -m websockets ws://127.0.0.1:8766`` and type.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from microturn import Agent, ChatModel, Clock, SessionConfig

STOP = "/stop"

CHAT = SessionConfig(speaking_rate=0.05)
"""A chat agent "types" 20 words a second: a reply is sent once it is complete, soon after the message."""


def build_agent(model: str | ChatModel = "embedded") -> Agent:
    return Agent("You are a helpful assistant in a chat. Keep replies short.", model=model, config=CHAT)


async def converse(
    agent: Agent, messages: AsyncIterable[str], send: Callable[[str], Awaitable[None]], *, clock: Clock | None = None
) -> None:
    """One conversation: every message goes to the agent, every reply to ``send``, until the messages end."""
    async with agent.session(clock=clock) as talk:

        async def replies() -> None:
            with contextlib.suppress(EOFError):  # the session ended
                while True:
                    await send(await talk.next_reply())

        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(replies())
            async for message in messages:
                if message.strip() == STOP:
                    await talk.interrupt()
                else:
                    await talk.send(message)
            await talk.end()


@contextlib.asynccontextmanager
async def chat_server(agent: Agent, host: str = "127.0.0.1", port: int = 8766) -> AsyncIterator[Server]:
    """A WebSocket server (port 0: any free one) where each connection talks with ``agent``."""

    async def connection(websocket: ServerConnection) -> None:
        async def messages() -> AsyncIterator[str]:
            with contextlib.suppress(ConnectionClosed):
                async for frame in websocket:
                    if isinstance(frame, str):
                        yield frame

        async def send(text: str) -> None:
            with contextlib.suppress(ConnectionClosed):  # the client left: the session ends with its messages
                await websocket.send(text)

        await converse(agent, messages(), send)

    async with serve(connection, host, port) as server:
        yield server


async def main() -> None:
    async with chat_server(build_agent()) as server:
        print("chatting on ws://127.0.0.1:8766 (Ctrl-C to stop)")
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
