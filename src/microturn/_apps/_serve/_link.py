"""One socket, one conversation: a reader, a writer, and a clean end whichever side stops first.

The reader turns client frames into input (a broken frame gets an ``error`` message and is recorded
as InputRejected, so the log shows the attempt; a client can only type and speak, never send events
of its own); the conversation's output goes through a bounded outbox to the one writer, so frames
that belong together (an audio header and its PCM) are never split. When the client goes away the
session is asked to end ("client disconnected") and given a bounded time to record it; when the
session ends first, its last words are sent and the socket is closed. The reader also holds the
client to its ``LinkLimits`` (``_limits.py``): frames over the rate are dropped with an ``error``, and a
client that floods or sends nothing for the idle timeout is told why and closed, its session ended
with that reason. Nothing outlives ``converse``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Protocol

from microturn._apps._serve._conversation import SOURCE, Conversation
from microturn._apps._serve._limits import Admission, LinkLimits, TokenBucket
from microturn._apps._serve._outbox import Outbox
from microturn._apps._serve._protocol import (
    MicOff,
    Pcm,
    Refused,
    Typed,
    error_message,
    read_binary,
    read_text,
    ready_message,
)
from microturn._core._clock import Clock
from microturn._core._events import EndSession, InputRejected, Modality, UserInput, UserSubmit

__all__ = ["CLIENT_GONE", "Socket", "converse"]

CLIENT_GONE = "client disconnected"
"""The reason a session ends with when its socket closes."""

_GRACE = 5.0
"""Seconds a session, its output and the writer get to finish on their own before they are cancelled."""
_EXCERPT = 120
_DEFAULT_LIMITS = LinkLimits()


class Socket(Protocol):
    """A WebSocket as the conversation sees it."""

    async def receive(self) -> str | bytes | None:
        """The next frame; None once the client has gone."""
        ...

    async def send(self, frame: str | bytes) -> bool:
        """Send one frame; False if the client has gone."""
        ...

    async def close(self, code: int, reason: str) -> None: ...


@dataclass(frozen=True, slots=True)
class _Closing:
    """The server closes the connection (the client went idle or floods): the close code and its short reason."""

    code: int
    reason: str


async def converse(
    socket: Socket,
    conversation: Conversation,
    *,
    clock: Clock,
    grace: float = _GRACE,
    limits: LinkLimits = _DEFAULT_LIMITS,
) -> str:
    """Hold ``conversation`` over ``socket`` until either ends or ``limits`` close it; return why the session ended."""
    outbox = Outbox()
    await outbox.put_control(ready_message(conversation.session.id, voice=conversation.voice))
    async with asyncio.TaskGroup() as tasks:
        running = tasks.create_task(conversation.run(), name=f"{conversation.session.id}: session")
        forwarding = tasks.create_task(conversation.forward(outbox), name=f"{conversation.session.id}: output")
        writing = tasks.create_task(_write(socket, outbox), name=f"{conversation.session.id}: writer")
        reading = tasks.create_task(
            _read(socket, conversation, outbox, clock, limits), name=f"{conversation.session.id}: reader"
        )
        await asyncio.wait({running, reading}, return_when=asyncio.FIRST_COMPLETED)
        closing = reading.result() if reading.done() else None
        client_gone = not running.done()  # the client left, or the server closes it (``closing``)
        if client_gone:
            await outbox.close()  # only what is queued (the reason for closing) still reaches the client
            reason = CLIENT_GONE if closing is None else closing.reason
            await conversation.session.inject(EndSession(reason=reason), source=SOURCE)
            await _settle(running, clock, grace)
        await _settle(forwarding, clock, grace)  # the session's last events reach the outbox
        await outbox.close()
        await _settle(writing, clock, grace)  # ... and the client, if it is still there
        reading.cancel()
    if closing is not None:
        await socket.close(closing.code, closing.reason)
        return closing.reason
    if not client_gone:
        await socket.close(1000, "session ended")
    return CLIENT_GONE if client_gone else "session ended"


async def _read(
    socket: Socket, conversation: Conversation, outbox: Outbox, clock: Clock, limits: LinkLimits
) -> _Closing | None:
    """Take the client's frames until it goes (None) or the server closes it for being idle or flooding."""
    session = conversation.session
    told_deaf = False
    bucket = TokenBucket(limits, clock.now())
    refusing = False  # the client was told it is over the rate, and has not slowed down since
    while True:
        try:
            async with clock.timeout_at(clock.now() + limits.idle):
                frame = await socket.receive()
        except TimeoutError:
            return await _close(outbox, 1000, f"idle for {limits.idle:g} s", "no input for a while")
        if frame is None:
            return None
        admission = bucket.admit(clock.now())
        if admission is Admission.CLOSE:
            return await _close(outbox, 1008, "too many frames", "frames kept coming too fast")
        if admission is Admission.REFUSE:
            if not refusing:
                refusing = True
                rate = f"{limits.frames_per_second:g} frames a second"
                await outbox.put_control(error_message(f"over {rate}: frames are dropped until you slow down"))
            continue
        refusing = False
        message = read_binary(frame) if isinstance(frame, bytes) else read_text(frame)
        if isinstance(message, Refused):
            await outbox.put_control(error_message(message.message))
            excerpt = frame[:_EXCERPT] if isinstance(frame, str) else f"<{len(frame)} bytes>"
            await session.inject(InputRejected(reason=message.message, excerpt=excerpt), source=SOURCE)
        elif isinstance(message, Pcm):
            if not conversation.hear(message.data) and not told_deaf:
                told_deaf = True
                await outbox.put_control(error_message("this server does not listen (voice is off): type instead"))
        elif isinstance(message, Typed):
            await session.inject(UserInput(text=message.text, modality=Modality.TYPED), source=SOURCE)
            await session.inject(UserSubmit(), source=SOURCE)
        elif isinstance(message, MicOff):
            conversation.microphone_off()
        # A Hello needs no answer: its rate is checked, and the session is already open.


async def _close(outbox: Outbox, code: int, reason: str, why: str) -> _Closing:
    await outbox.put_control(error_message(f"{why}: the server closes this conversation ({reason})"))
    return _Closing(code, reason)


async def _write(socket: Socket, outbox: Outbox) -> None:
    while (frames := await outbox.get()) is not None:
        for frame in frames:
            if not await socket.send(frame):
                await outbox.close()  # the client has gone: producers must not wait for room any more
                return


async def _settle(task: asyncio.Task[Any], clock: Clock, within: float) -> None:
    """Let ``task`` finish by itself for ``within`` seconds, then cancel it."""
    finished = asyncio.Event()
    task.add_done_callback(lambda _: finished.set())
    await clock.wait_until(finished, clock.now() + within)
    if not task.done():
        task.cancel()
