"""One conversation behind one socket: a voice channel or a session (typed text only), with its background lane.

Both shapes offer the same five things to the socket: the ``session`` that typed text goes into,
``run()`` until the session ends, ``hear()`` for microphone PCM, ``microphone_off()`` when the page
stops its microphone, and ``forward()``, which turns everything the conversation says into protocol
frames in the socket's outbox (each transcript numbered with its stretch of speech, see ``Stretches``).
The voice pipeline itself (listening, recognition, the agent's voice, barge-in) is
``microturn._voice._channel``'s: a transport beside the session, which speaks through the channel's output.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from microturn._apps._serve._outbox import Outbox
from microturn._apps._serve._protocol import (
    INPUT_RATE,
    audio_header,
    event_message,
    flush_message,
    transcript_message,
)
from microturn._background import BackgroundLane, role_models
from microturn._bus import EventBus, Start, open_bus
from microturn._core._clock import Clock
from microturn._core._config import SessionConfig
from microturn._core._events import AudioFrame, Event, UserSpeechEnded
from microturn._models._roles import ModelRoles, load_roles
from microturn._session import Session
from microturn._session._output import SpeechOutput
from microturn._tools import builtin_tools
from microturn._voice._channel import SOURCE as HEARD
from microturn._voice._channel import AgentAudioChunk, FlushAudio, Transcript, VoiceChannel
from microturn._voice._engines import fake_engines, load_engines
from microturn._voice._protocols import VoiceEngines

if TYPE_CHECKING:
    from microturn._agent import Agent

Beside = Callable[[], Coroutine[Any, Any, None]]
"""What runs beside a conversation's session until it ends: its background lane (and an agent's hooks)."""

__all__ = [
    "FAKE_WORDS",
    "QUIET_SECONDS",
    "SOURCE",
    "Conversation",
    "ConversationSpec",
    "Stretches",
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

QUIET_SECONDS = 1.0
"""Quiet heard when the page stops its microphone, so the stretch it cut ends as if the user had paused: well
over the quiet that ends any stretch (``VoiceTuning.end_silence``, 0.3 s)."""


@dataclass(frozen=True, slots=True)
class ConversationSpec:
    """How to build each socket's conversation."""

    config: SessionConfig = field(default_factory=SessionConfig)
    roles: ModelRoles | None = None
    """Which model talks and which works in the background; by default the config's, set up from the environment."""
    voice: Voice = "off"
    log_dir: Path | None = None
    """Journal each session log here (one JSONL file per session), for ``microturn timeline``/``replay``."""
    agent: Agent | None = None
    """An agent of your own (``Agent.serve``): its config, models, tools and hooks make each conversation;
    ``config`` and ``roles`` are then not used."""


class Conversation(Protocol):
    session: Session
    voice: Voice

    async def run(self) -> None:
        """Run until the session ends; cancel to stop at once."""
        ...

    def hear(self, pcm: bytes) -> bool:
        """Take microphone PCM (16 kHz s16le mono) without blocking; False if this conversation does not listen."""
        ...

    def microphone_off(self) -> None:
        """The page stopped its microphone: the stretch of speech in progress, if any, is over."""
        ...

    async def forward(self, outbox: Outbox) -> None:
        """Put what the conversation says into ``outbox`` as protocol frames, until the session has ended."""
        ...


class TextConversation:
    """A session with typed input only; what it does goes to the client as events."""

    voice: Voice = "off"

    def __init__(self, session: Session, beside: Beside) -> None:
        self.session = session
        self._beside = beside

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self.session.run())
            tasks.create_task(self._beside())

    def hear(self, pcm: bytes) -> bool:
        return False

    def microphone_off(self) -> None:
        pass  # nothing was heard

    async def forward(self, outbox: Outbox) -> None:
        async for event in self.session.follow(SOURCE, start=Start.BEGINNING):
            if not isinstance(event, AudioFrame):  # never echo the microphone back
                await outbox.put(event_message(event))


class VoiceConversation:
    """A session spoken with through a voice channel: microphone audio in; the agent's voice, transcripts and
    events out. The session must speak through ``channel.output``."""

    def __init__(self, channel: VoiceChannel, session: Session, beside: Beside, *, voice: Voice) -> None:
        self.session = session
        self.voice = voice
        self._channel = channel
        self._beside = beside

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self.session.run())
            tasks.create_task(self._channel.run(self.session))
            tasks.create_task(self._beside())

    def hear(self, pcm: bytes) -> bool:
        self._channel.hear(pcm)
        return True

    def microphone_off(self) -> None:
        self._channel.hear(bytes(2 * round(QUIET_SECONDS * INPUT_RATE)))

    async def forward(self, outbox: Outbox) -> None:
        stretches = Stretches()
        async for item in self._channel.outbound():
            if isinstance(item, AgentAudioChunk):
                header = audio_header(
                    utterance=item.utterance, sample_rate=item.sample_rate, text=item.text, size=len(item.pcm)
                )
                await outbox.put(header, item.pcm, audio_of=item.utterance)
            elif isinstance(item, FlushAudio):
                await outbox.put_control(flush_message(item.utterance), flushes=item.utterance)
            elif isinstance(item, Transcript):
                stretch = stretches.transcript(final=item.final)
                await outbox.put(transcript_message(item.text, final=item.final, stretch=stretch))
            elif not isinstance(item.event, AudioFrame):
                stretches.saw(item.event)
                await outbox.put(event_message(item.event))


class Stretches:
    """Which stretch of speech each transcript is of (numbered from 1), so the page can show a stretch's rough
    text in one place and replace it there with the final text.

    It follows from the order the voice channel reports in (``_voice._hearing``): a stretch's rough
    transcripts all come before its ``UserSpeechEnded``, and the next stretch's after it; final
    transcripts come one per stretch, in order, but may trail the next stretch's rough ones (the
    accurate recogniser is slower).
    """

    def __init__(self) -> None:
        self._ended = 0
        self._finals = 0

    def saw(self, event: Event) -> None:
        """An event of the session log, in order with the transcripts."""
        if isinstance(event, UserSpeechEnded) and event.source == HEARD:
            self._ended += 1

    def transcript(self, *, final: bool) -> int:
        """The stretch the next transcript, rough or ``final``, is of."""
        if not final:
            return self._ended + 1
        self._finals += 1
        return self._finals


@contextlib.asynccontextmanager
async def open_conversation(spec: ConversationSpec, *, clock: Clock, session_id: str) -> AsyncIterator[Conversation]:
    """A fresh conversation on a bus of its own, closed on the way out."""
    async with contextlib.AsyncExitStack() as stack:
        bus = open_bus("memory", log_dir=spec.log_dir)
        stack.push_async_callback(bus.aclose)
        channel = None
        if spec.voice != "off":
            engines = await _engines(spec.voice, clock)
            rate = (spec.config if spec.agent is None else spec.agent.config).speaking_rate
            channel = VoiceChannel(engines=engines, clock=clock, speaking_rate=rate)
        output = None if channel is None else channel.output
        if spec.agent is not None:
            from microturn._agent._agent import open_agent_session

            talk = await stack.enter_async_context(
                open_agent_session(spec.agent, clock=clock, bus=bus, session_id=session_id, output=output)
            )
            session, beside = talk.session, talk.run_beside
        else:
            session, beside = await stack.enter_async_context(_session(spec, clock, bus, session_id, output))
        if channel is None:
            yield TextConversation(session, beside)
        else:
            yield VoiceConversation(channel, session, beside, voice=spec.voice)


@contextlib.asynccontextmanager
async def _session(
    spec: ConversationSpec, clock: Clock, bus: EventBus, session_id: str, output: SpeechOutput | None
) -> AsyncIterator[tuple[Session, Beside]]:
    """The command line's conversation: the config's models (as ``roles`` name them) and the built-in tools."""
    config = spec.config
    roles = spec.roles or load_roles(interaction=config.model, background=config.background_model)
    async with role_models(roles, clock=clock) as (model, agent):
        tools = builtin_tools(clock=clock, workspace=None)
        session = Session(
            bus=bus,
            clock=clock,
            config=config,
            session_id=session_id,
            model=model,
            tools=tools,
            tool_specs=tools.specs,
            output=output,
        )
        lane = BackgroundLane(
            session, clock=clock, agent=agent, tools=tools, tool_specs=tools.specs, scopes=config.scopes
        )
        yield session, lane.run


async def _engines(voice: Voice, clock: Clock) -> VoiceEngines:
    """Speech engines for one conversation: the embedded ones (models shared, loaded once), or fakes."""
    if voice == "fake":
        return fake_engines(list(FAKE_WORDS))
    return await clock.run_blocking(load_engines)
