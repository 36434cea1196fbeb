"""One socket, one conversation: a reader, a writer, and a clean end whichever side stops first.

The reader turns client frames into input (a broken frame gets an ``error`` message and nothing
else happens); the conversation's output goes through a bounded outbox to the one writer, so frames
that belong together (an audio header and its PCM) are never split. When the client goes away the
session is asked to end ("client disconnected") and given a bounded time to record it; when the
session ends first, its last words are sent and the socket is closed. Nothing outlives ``converse``.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from microturn._clock import Clock
from microturn._events import EndSession, Modality, UserInput, UserSubmit
from microturn._serve._conversation import SOURCE, Conversation
from microturn._serve._outbox import Outbox
from microturn._serve._protocol import (
    Pcm,
    Refused,
    Typed,
    error_message,
    read_binary,
    read_text,
    ready_message,
)

__all__ = ["CLIENT_GONE", "Socket", "converse"]

CLIENT_GONE = "client disconnected"
"""The reason a session ends with when its socket closes."""

_GRACE = 5.0
"""Seconds a session, its output and the writer get to finish on their own before they are cancelled."""


class Socket(Protocol):
    """A WebSocket as the conversation sees it."""

    async def receive(self) -> str | bytes | None:
        """The next frame; None once the client has gone."""
        ...

    async def send(self, frame: str | bytes) -> bool:
        """Send one frame; False if the client has gone."""
        ...

    async def close(self, code: int, reason: str) -> None: ...


async def converse(socket: Socket, conversation: Conversation, *, clock: Clock, grace: float = _GRACE) -> str:
    """Hold ``conversation`` over ``socket`` until either ends; return why the session ended."""
    outbox = Outbox()
    await outbox.put_control(ready_message(conversation.session.id, voice=conversation.voice))
    async with asyncio.TaskGroup() as tasks:
        running = tasks.create_task(conversation.run(), name=f"{conversation.session.id}: session")
        forwarding = tasks.create_task(conversation.forward(outbox), name=f"{conversation.session.id}: output")
        writing = tasks.create_task(_write(socket, outbox), name=f"{conversation.session.id}: writer")
        reading = tasks.create_task(_read(socket, conversation, outbox), name=f"{conversation.session.id}: reader")
        await asyncio.wait({running, reading}, return_when=asyncio.FIRST_COMPLETED)
        client_gone = not running.done()
        if client_gone:
            await outbox.close()  # nothing more can reach the client: what the session still says is dropped
            await conversation.session.inject(EndSession(reason=CLIENT_GONE), source=SOURCE)
            await _settle(running, clock, grace)
        await _settle(forwarding, clock, grace)  # the session's last events reach the outbox
        await outbox.close()
        await _settle(writing, clock, grace)  # ... and the client, if it is still there
        reading.cancel()
    if not client_gone:
        await socket.close(1000, "session ended")
    return CLIENT_GONE if client_gone else "session ended"


async def _read(socket: Socket, conversation: Conversation, outbox: Outbox) -> None:
    session = conversation.session
    told_deaf = False
    while (frame := await socket.receive()) is not None:
        message = read_binary(frame) if isinstance(frame, bytes) else read_text(frame)
        if isinstance(message, Refused):
            await outbox.put_control(error_message(message.message))
        elif isinstance(message, Pcm):
            if not conversation.hear(message.data) and not told_deaf:
                told_deaf = True
                await outbox.put_control(error_message("this server does not listen (voice is off): type instead"))
        elif isinstance(message, Typed):
            await session.inject(UserInput(text=message.text, modality=Modality.TYPED), source=SOURCE)
            await session.inject(UserSubmit(), source=SOURCE)
        # A Hello needs no answer: its rate is checked, and the session is already open.


async def _write(socket: Socket, outbox: Outbox) -> None:
    while (frames := await outbox.get()) is not None:
        for frame in frames:
            if not await socket.send(frame):
                await outbox.close()  # the client has gone: producers must not wait for room any more
                return


async def _settle(task: asyncio.Task[None], clock: Clock, within: float) -> None:
    """Let ``task`` finish by itself for ``within`` seconds, then cancel it."""
    finished = asyncio.Event()
    task.add_done_callback(lambda _: finished.set())
    await clock.wait_until(finished, clock.now() + within)
    if not task.done():
        task.cancel()
