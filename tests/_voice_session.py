"""A voice session in virtual time through the fake engines (a "word" is a quarter second of tone): shared by the
tests of the audio end of turn on the voice path and of its measurement on recorded sessions."""

from __future__ import annotations

import asyncio

from microturn import EndSession, Event, SessionEnded, VirtualClock, open_bus
from microturn._bus import EventBus
from microturn._core._codec import encode_log
from microturn._models import ChatModel
from microturn._session import Session
from microturn._voice._channel import SessionEvent, VoiceChannel
from microturn._voice._fakes import WORD_SECONDS, silence, tone
from microturn._voice._protocols import INPUT_RATE, VoiceEngines

CHUNK = 0.02
"""Seconds of microphone audio per ``hear``, as the browser sends it."""


def microphone(length: float, speech: list[tuple[float, int]]) -> bytes:
    """``length`` seconds of silence with ``words`` fake words from ``start`` for each ``(start, words)``."""
    audio = bytearray(silence(length))
    for start, words in speech:
        offset = 2 * round(start * INPUT_RATE)
        piece = tone(words * WORD_SECONDS - 0.02)
        audio[offset : offset + len(piece)] = piece
    return bytes(audio)


async def converse(
    clock: VirtualClock,
    engines: VoiceEngines,
    audio: bytes,
    model: ChatModel | None = None,
    bus: EventBus | None = None,
) -> list[Event]:
    """Hear ``audio`` through a voice channel in real (virtual) time, end the session; return what the channel
    sent out of it. ``model``: the session's (default: the scripted one); ``bus``: where its log goes."""
    channel = VoiceChannel(engines=engines, clock=clock)
    bus = bus if bus is not None else open_bus("memory")
    session = Session(bus=bus, clock=clock, session_id="voice", output=channel.output, model=model)
    log: list[Event] = []

    async def speak() -> None:
        start = clock.now()
        size = round(2 * INPUT_RATE * CHUNK)
        for index, offset in enumerate(range(0, len(audio), size)):
            await clock.sleep_until(start + (index + 1) * CHUNK)
            channel.hear(audio[offset : offset + size])
        await session.inject(EndSession())

    async def listen() -> None:
        async for item in channel.outbound():
            if isinstance(item, SessionEvent):
                log.append(item.event)

    async with clock.timeout_at(clock.now() + 120), asyncio.TaskGroup() as tasks:
        tasks.create_task(session.run())
        tasks.create_task(channel.run(session))
        tasks.create_task(speak())
        tasks.create_task(listen())
    assert isinstance(log[-1], SessionEnded)
    return log


def of(log: list[Event], kind: type[Event]) -> list[int]:
    return [index for index, event in enumerate(log) if isinstance(event, kind)]


async def session_log(
    clock: VirtualClock, engines: VoiceEngines, audio: bytes, model: ChatModel | None = None
) -> bytes:
    """The session's own log (as ``serve --log-dir`` keeps it) of ``converse``."""
    bus = open_bus("memory")
    await converse(clock, engines, audio, model, bus)
    return encode_log(await bus.read("voice"))
