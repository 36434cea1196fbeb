"""A conversation by voice: a transport that talks to a session through its ingress and follows its log.

::

    hear(pcm) ─▶ Hearing: VAD, recognisers ─▶ UserSpeechStarted, words, transcripts ─▶ session.inject
    session loop ─▶ VoiceOutput (synthesis worker) ─▶ AgentAudioChunk, FlushAudio ─┐
    session log  ─▶ Transcript, SessionEvent ──────────────────────────────────────┴─▶ outbox ─▶ outbound()

The channel neither builds nor runs the session, like the console and the web text path: the caller
builds the session to speak through the channel's ``output`` and runs it beside ``run``::

    channel = VoiceChannel(engines=load_engines(), clock=clock)
    session = Session(bus=bus, clock=clock, output=channel.output, ...)
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(session.run())
        tasks.create_task(channel.run(session))

What the session decides stays in the session: the channel only reports what it heard (see
``_hearing``) and plays what the loop's ``VoiceOutput`` hands it. Audio in is lossy: every queue is
bounded and drops its oldest audio when full; markers (speech started/ended) and events are never
dropped. ``VoiceTuning`` says how soon a stretch ends and the accurate recogniser starts (see ``_finals``).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator

from microturn._bus import Start, Subscription
from microturn._core._clock import Clock
from microturn._core._events import Event, TurnEndSignal, UserTranscript
from microturn._session import Session
from microturn._voice._hearing import Hearing
from microturn._voice._outbox import Outbox, SessionEvent, Transcript, VoiceOut
from microturn._voice._output import AgentAudioChunk, FlushAudio, VoiceOutput
from microturn._voice._protocols import VoiceEngines
from microturn._voice._stats import VoiceStats
from microturn._voice._tuning import VoiceTuning
from microturn._voice._turn_signals import SOURCE as DETECTOR
from microturn.errors import ConfigError

__all__ = [
    "SOURCE",
    "AgentAudioChunk",
    "FlushAudio",
    "SessionEvent",
    "Transcript",
    "VoiceChannel",
    "VoiceOut",
    "VoiceStats",
]

SOURCE = "voice"
"""The source of everything the channel reports to the session."""


class VoiceChannel:
    """One spoken conversation's audio: the listening tasks, and the ``output`` a session speaks through.

    ``hear`` never blocks. ``outbound`` yields, in order, what the client should get, until the
    session has ended; there is one reader. ``speaking_rate`` (seconds a word) paces the words of a
    clause the synthesizer failed on, so they still reach the user as text: the session's own.
    """

    def __init__(
        self,
        *,
        engines: VoiceEngines,
        clock: Clock,
        tuning: VoiceTuning | None = None,
        speaking_rate: float = 0.4,
        microphone_seconds: float = 3.0,
        speech_seconds: float = 3.0,
        outbox_capacity: int = 512,
    ) -> None:
        tuning = tuning or VoiceTuning()
        self.stats = VoiceStats()
        self._outbox = Outbox(outbox_capacity, self.stats)
        self._output = VoiceOutput(
            clock=clock,
            tts=engines.tts,
            send=self._outbox.put_nowait,
            fallback_rate=speaking_rate,
            first_clause=tuning.first_clause,
        )
        self._hearing = Hearing(
            engines=engines,
            clock=clock,
            stats=self.stats,
            tuning=tuning,
            microphone_seconds=microphone_seconds,
            speech_seconds=speech_seconds,
        )
        self._session: Session | None = None

    @property
    def output(self) -> VoiceOutput:
        """What the session must speak through: ``Session(..., output=channel.output)``."""
        return self._output

    def hear(self, pcm: bytes) -> None:
        """Microphone audio, 16 kHz ``s16le`` mono, any length. Lossy: if listening falls behind, the oldest goes."""
        self._hearing.hear(pcm)

    async def outbound(self) -> AsyncIterator[VoiceOut]:
        """What the client gets, in order, until the session has ended."""
        while True:
            item = await self._outbox.get()
            if item is None:
                return
            yield item

    async def run(self, session: Session) -> None:
        """Listen and speak for ``session`` until it has ended; run ``session.run()`` beside this.

        Raises ConfigError (and ``outbound`` ends) if the session does not speak through ``output``:
        the agent would never be heard, and the client would wait for its voice for ever. A channel
        serves one session: running it again raises ConfigError (and leaves the first run alone).
        """
        if self._session is not None:
            raise ConfigError(f"this voice channel already ran for session {self._session.id!r}; make one per session")
        self._session = session
        try:
            if not self._output.adopted:
                raise ConfigError(
                    f"session {session.id!r} does not speak through this voice channel: "
                    "build it with Session(..., output=channel.output)"
                )
            log = await session.subscribe(f"{SOURCE}-out", start=Start.BEGINNING)
            async with asyncio.TaskGroup() as tasks:
                workers = [
                    tasks.create_task(self._hearing.run(functools.partial(_report, session), lambda: session.state)),
                    tasks.create_task(self._output.run()),
                ]
                await self._forward(session, log)  # everything up to SessionEnded reaches the client
                for worker in workers:
                    worker.cancel()
        finally:
            self._outbox.close()

    async def _forward(self, session: Session, log: Subscription) -> None:
        async for event in session.follow(f"{SOURCE}-out", subscription=log):
            if isinstance(event, UserTranscript):
                if event.final and event.source == SOURCE:
                    await self._hearing.folded(event)  # its stretch's audio end of turn may go now
                await self._outbox.put(Transcript(event.text, event.final))
            await self._outbox.put(SessionEvent(event))


async def _report(session: Session, event: Event) -> Event:
    """What the channel heard, into the session's ingress under the channel's name; an audio end-of-turn signal
    under its detector's (``TurnEndSignal.source`` is the event's source: "audio", beside the model's "model")."""
    return await session.inject(event, source=DETECTOR if isinstance(event, TurnEndSignal) else SOURCE)
