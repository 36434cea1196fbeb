"""One conversation behind one socket: a voice channel or a session (typed text only), with its background lane.

Both shapes offer the same four things to the socket: the ``session`` that typed text goes into,
``run()`` until the session ends, ``hear()`` for microphone PCM, and ``forward()``, which turns
everything the conversation says into protocol frames in the socket's outbox. The voice pipeline
itself (listening, recognition, the agent's voice, barge-in) is ``microturn._voice._channel``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from microturn._apps._serve._outbox import Outbox
from microturn._apps._serve._protocol import audio_header, event_message, flush_message, transcript_message
from microturn._background import BackgroundLane, role_models
from microturn._bus import Start, open_bus
from microturn._core._clock import Clock
from microturn._core._config import SessionConfig
from microturn._core._events import AudioFrame, SessionEnded
from microturn._models._roles import ModelRoles, load_roles
from microturn._session import Session
from microturn._tools import builtin_tools
from microturn._voice._channel import AgentAudioChunk, FlushAudio, Transcript, VoiceChannel
from microturn._voice._engines import fake_engines, load_engines
from microturn._voice._protocols import VoiceEngines
from microturn.errors import SlowConsumer

__all__ = [
    "FAKE_WORDS",
    "SOURCE",
    "Conversation",
    "ConversationSpec",
    "TextConversation",
    "Voice",
    "VoiceConversation",
    "open_conversation",
]

SOURCE = "web"
"""The source name of everything the browser sends into a session."""

Voice = Literal["real", "fake", "off"]

FAKE_WORDS = tuple("what is 2 plus 3".split() * 100)
"""What the fake recogniser "hears", a word per quarter second of loud sound (``--voice fake``)."""


@dataclass(frozen=True, slots=True)
class ConversationSpec:
    """How to build each socket's conversation."""

    config: SessionConfig = field(default_factory=SessionConfig)
    roles: ModelRoles | None = None
    """Which model talks and which works in the background; by default the config's, set up from the environment."""
    voice: Voice = "off"
    log_dir: Path | None = None
    """Journal each session log here (one JSONL file per session), for ``microturn timeline``/``replay``."""


class Conversation(Protocol):
    session: Session
    voice: Voice

    async def run(self) -> None:
        """Run until the session ends; cancel to stop at once."""
        ...

    def hear(self, pcm: bytes) -> bool:
        """Take microphone PCM (16 kHz s16le mono) without blocking; False if this conversation does not listen."""
        ...

    async def forward(self, outbox: Outbox) -> None:
        """Put what the conversation says into ``outbox`` as protocol frames, until the session has ended."""
        ...


class TextConversation:
    """A session with typed input only; what it does goes to the client as events."""

    voice: Voice = "off"

    def __init__(self, session: Session, lane: BackgroundLane) -> None:
        self.session = session
        self._lane = lane

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self.session.run())
            tasks.create_task(self._lane.run())

    def hear(self, pcm: bytes) -> bool:
        return False

    async def forward(self, outbox: Outbox) -> None:
        log = await self.session.subscribe(SOURCE, start=Start.BEGINNING)
        try:
            while True:
                try:
                    event = await log.receive()
                except SlowConsumer as exc:  # the log keeps everything: carry on where the queue overflowed
                    log.close()
                    log = await self.session.subscribe(SOURCE, start=exc.next_offset)
                    continue
                if not isinstance(event, AudioFrame):  # never echo the microphone back
                    await outbox.put(event_message(event))
                if isinstance(event, SessionEnded):
                    return
        finally:
            log.close()


class VoiceConversation:
    """A voice channel: microphone audio in; the agent's voice, transcripts and events out."""

    def __init__(self, channel: VoiceChannel, lane: BackgroundLane, *, voice: Voice) -> None:
        self.session = channel.session
        self.voice = voice
        self._channel = channel
        self._lane = lane

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._channel.run())
            tasks.create_task(self._lane.run())

    def hear(self, pcm: bytes) -> bool:
        self._channel.hear(pcm)
        return True

    async def forward(self, outbox: Outbox) -> None:
        async for item in self._channel.outbound():
            if isinstance(item, AgentAudioChunk):
                header = audio_header(
                    utterance=item.utterance, sample_rate=item.sample_rate, text=item.text, size=len(item.pcm)
                )
                await outbox.put(header, item.pcm, audio_of=item.utterance)
            elif isinstance(item, FlushAudio):
                await outbox.put_control(flush_message(item.utterance), flushes=item.utterance)
            elif isinstance(item, Transcript):
                await outbox.put(transcript_message(item.text, final=item.final))
            elif not isinstance(item.event, AudioFrame):
                await outbox.put(event_message(item.event))


@contextlib.asynccontextmanager
async def open_conversation(spec: ConversationSpec, *, clock: Clock, session_id: str) -> AsyncIterator[Conversation]:
    """A fresh conversation on a bus of its own, closed on the way out."""
    config = spec.config
    roles = spec.roles or load_roles(interaction=config.model, background=config.background_model)
    async with contextlib.AsyncExitStack() as stack:
        bus = open_bus("memory", log_dir=spec.log_dir)
        stack.push_async_callback(bus.aclose)
        model, agent = await stack.enter_async_context(role_models(roles, clock=clock))
        tools = builtin_tools(clock=clock, workspace=None)

        def background(session: Session) -> BackgroundLane:
            return BackgroundLane(
                session, clock=clock, agent=agent, tools=tools, tool_specs=tools.specs, scopes=config.scopes
            )

        if spec.voice == "off":
            session = Session(
                bus=bus,
                clock=clock,
                config=config,
                session_id=session_id,
                model=model,
                tools=tools,
                tool_specs=tools.specs,
            )
            yield TextConversation(session, background(session))
        else:
            channel = VoiceChannel(
                engines=await _engines(spec.voice, clock),
                clock=clock,
                bus=bus,
                config=config,
                model=model,
                session_id=session_id,
                tools=tools,
                tool_specs=tools.specs,
            )
            yield VoiceConversation(channel, background(channel.session), voice=spec.voice)


async def _engines(voice: Voice, clock: Clock) -> VoiceEngines:
    """Speech engines for one conversation: the embedded ones (models shared, loaded once), or fakes."""
    if voice == "fake":
        return fake_engines(list(FAKE_WORDS))
    return await clock.run_blocking(load_engines)
