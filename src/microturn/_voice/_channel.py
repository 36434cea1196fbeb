"""A conversation by voice: microphone audio in; the agent's voice, transcripts and session events out.

::

    hear(pcm) ─▶ microphone buffer ─▶ listen: VAD, Segmenter ─▶ UserSpeechStarted ─────────────────────▶ session
                 (drop-oldest)          │ └─▶ speech queue ─▶ transcribe: PocketSphinx, SettledWords      ingress
                                        │     (drop-oldest)   ─▶ spoken UserInput words, UserTranscript,
                                        │                        UserSpeechEnded ─────────────────────▶
                                        │                     └─▶ finals ─▶ finalise: Whisper
                                        └─ pause: early run ──────▶       ─▶ UserTranscript(final) ───▶
    session loop ─▶ VoiceOutput (synthesis worker) ─▶ AgentAudioChunk, FlushAudio ─┐
    session log  ─▶ Transcript, SessionEvent ──────────────────────────────────────┴─▶ outbox ─▶ outbound()

Each stage is its own task with its own engine (engines are used one call at a time), so a slow
recogniser never delays voice activity, and voice activity is what stops the agent: speech onset
goes to the session on the control lane the moment the VAD sees it. Audio in is lossy: every queue
is bounded and drops its oldest audio when full; markers (speech started/ended) and events are
never dropped. What the session decides stays in the session: the channel only reports what it
heard and plays what the loop's ``VoiceOutput`` hands it. ``VoiceTuning`` says how soon a stretch
ends and the accurate recogniser starts (see ``finals``).
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from microturn._bus import EventBus, Start, Subscription
from microturn._core._clock import Clock
from microturn._core._config import SessionConfig
from microturn._core._events import (
    Event,
    InputRejected,
    Modality,
    SessionEnded,
    UserInput,
    UserSpeechEnded,
    UserSpeechStarted,
    UserTranscript,
)
from microturn._core._failures import failed
from microturn._core._language import Shape, shape
from microturn._core._tools import Toolbox, ToolSpec
from microturn._models import ChatModel
from microturn._policies import Policy
from microturn._session import Session
from microturn._voice._finals import EarlyRun, Finals, Stretch
from microturn._voice._listening import (
    Segmenter,
    SettledWords,
    SpeechAudio,
    SpeechEnd,
    SpeechPause,
    SpeechResumed,
    SpeechStart,
    whole_samples,
)
from microturn._voice._output import AgentAudioChunk, AudioOut, FlushAudio, VoiceOutput
from microturn._voice._protocols import INPUT_RATE, VoiceActivity, VoiceEngines
from microturn._voice._stats import VoiceStats
from microturn._voice._tuning import VoiceTuning
from microturn.errors import SlowConsumer

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
_BYTES_PER_SECOND = 2 * INPUT_RATE
_REPORT_EVERY = 50  # bad chunks, engine failures of one kind: the first is reported, then one in this many
_ONCE_A_STRETCH = frozenset({"early", "final"})  # accurate runs are few: each failure is reported


@dataclass(frozen=True, slots=True)
class Transcript:
    """What the user said: the rough text so far (``final`` false) or the final text of a stretch of speech."""

    text: str
    final: bool


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """An event of the session log (the user's and the agent's words, floor facts, jobs, ...)."""

    event: Event


VoiceOut = AgentAudioChunk | FlushAudio | Transcript | SessionEvent


class VoiceChannel:
    """One spoken conversation: a ``Session`` that speaks through a ``VoiceOutput``, and the listening tasks.

    ``hear`` never blocks. ``outbound`` yields, in order, what the client should get, until the
    session has ended; there is one reader. Cancel ``run`` to stop everything at once.
    """

    def __init__(
        self,
        *,
        engines: VoiceEngines,
        clock: Clock,
        bus: EventBus,
        config: SessionConfig | None = None,
        model: ChatModel | None = None,
        session_id: str = "voice",
        policy: Policy | None = None,
        tools: Toolbox | None = None,
        tool_specs: Sequence[ToolSpec] = (),
        microphone_seconds: float = 3.0,
        speech_seconds: float = 3.0,
        outbox_capacity: int = 512,
        tuning: VoiceTuning | None = None,
    ) -> None:
        config = config or SessionConfig()
        tuning = tuning or VoiceTuning()
        self._engines = engines
        self._clock = clock
        self.stats = VoiceStats()
        self._outbox = _Outbox(outbox_capacity, self.stats)
        self._output = VoiceOutput(
            clock=clock,
            tts=engines.tts,
            send=self._outbox.put_nowait,
            fallback_rate=config.speaking_rate,
            first_clause=tuning.first_clause,
        )
        self.session = Session(
            bus=bus,
            clock=clock,
            config=config,
            session_id=session_id,
            policy=policy,
            model=model,
            tools=tools,
            tool_specs=tool_specs,
            output=self._output,
        )
        self._microphone = _AudioBuffer(round(microphone_seconds * _BYTES_PER_SECOND) // 2 * 2)
        self._speech = _SpeechQueue(round(speech_seconds * _BYTES_PER_SECOND) // 2 * 2)
        self._finals = Finals(self.stats)
        self._segmenter = Segmenter(frame_samples=engines.vad.frame_samples, tuning=tuning)
        self._unreported: str | None = None  # a problem with the microphone audio, to report to the session
        self._engine_failures: dict[str, int] = {}  # by engine role

    @property
    def output(self) -> VoiceOutput:
        return self._output

    def hear(self, pcm: bytes) -> None:
        """Microphone audio, 16 kHz ``s16le`` mono, any length. Lossy: if listening falls behind, the oldest goes."""
        pcm, problem = whole_samples(pcm)
        if problem is not None:
            self.stats.rejected_chunks += 1
            if self.stats.rejected_chunks == 1 or self.stats.rejected_chunks % _REPORT_EVERY == 0:
                self._unreported = problem
                self._microphone.ready.set()
        self.stats.heard += len(pcm) / _BYTES_PER_SECOND
        self.stats.dropped += self._microphone.put(pcm) / _BYTES_PER_SECOND

    async def outbound(self) -> AsyncIterator[VoiceOut]:
        """What the client gets, in order, until the session has ended."""
        while True:
            item = await self._outbox.get()
            if item is None:
                return
            yield item

    async def run(self) -> None:
        """Run the session and the audio tasks until the session ends."""
        log = await self.session.subscribe(f"{SOURCE}-out", start=Start.BEGINNING)
        try:
            async with asyncio.TaskGroup() as tasks:
                workers = [
                    tasks.create_task(work)
                    for work in (self._listen(), self._transcribe(), self._finalise(), self._output.run())
                ]
                forward = tasks.create_task(self._forward(log))
                await self.session.run()
                await forward  # everything up to SessionEnded reaches the client
                for worker in workers:
                    worker.cancel()
        finally:
            self._outbox.close()

    # --- listening ---------------------------------------------------------------------------------------

    async def _listen(self) -> None:
        """Voice activity on every frame; speech onset goes to the session at once."""
        vad = self._engines.vad
        frame_bytes = 2 * vad.frame_samples
        rest, speech = b"", bytearray()  # the stretch of speech so far, for the accurate recogniser
        while True:
            await self._microphone.ready.wait()
            await self._report()
            audio = rest + self._microphone.take()
            count = len(audio) // frame_bytes
            frames = [audio[index * frame_bytes : (index + 1) * frame_bytes] for index in range(count)]
            rest = audio[count * frame_bytes :]
            if not frames:
                continue
            try:
                probabilities = await self._clock.run_blocking(functools.partial(_probabilities, vad, frames))
            except Exception as error:  # an engine failure must not end the conversation: this audio counts as quiet
                await self._failed("vad", "vad", error)
                probabilities = [0.0] * len(frames)
            for frame, probability in zip(frames, probabilities, strict=True):
                for segment in self._segmenter.push(frame, probability):
                    if isinstance(segment, SpeechStart):
                        await self.session.inject(UserSpeechStarted(), source=SOURCE)
                        speech = bytearray(segment.pcm)
                        self._speech.put(segment)
                    elif isinstance(segment, SpeechAudio):
                        speech += segment.pcm  # at most the segmenter's longest stretch
                        self._speech.put(segment)
                    elif isinstance(segment, SpeechPause):
                        self._finals.paused(bytes(speech), segment.duration)
                    elif isinstance(segment, SpeechResumed):
                        self._finals.resumed()
                    else:
                        self._speech.put(_Ended(segment, bytes(speech), self._finals.ended(segment)))
                        speech = bytearray()
            self.stats.speech_dropped = self._speech.dropped / _BYTES_PER_SECOND

    async def _report(self) -> None:
        if self._unreported is None:
            return
        problem, self._unreported = self._unreported, None
        count = self.stats.rejected_chunks
        reason = f"microphone audio: {problem}" + ("" if count == 1 else f" ({count} such chunks so far)")
        await self.session.inject(InputRejected(reason=reason, excerpt=""), source=SOURCE)

    async def _transcribe(self) -> None:
        """Rough words while the user speaks; at the end of the speech, the rest of them and its end."""
        partials = self._engines.partials
        settled, hypothesis, stretch = SettledWords(), "", 0
        while True:
            item = await self._speech.get()
            if isinstance(item, SpeechStart):
                await self._attempt(partials.start)
                settled, hypothesis, stretch = SettledWords(), "", item.stretch
                item = SpeechAudio(item.pcm)
            if isinstance(item, SpeechAudio):
                latest = await self._attempt(functools.partial(partials.feed, item.pcm), otherwise=hypothesis)
                if latest != hypothesis:
                    hypothesis = latest
                    # Words that sound complete let the stretch end after a shorter quiet.
                    self._segmenter.words_complete(stretch, shape(hypothesis) is not Shape.INCOMPLETE)
                    await self._words(settled.update(latest), hypothesis)
                continue
            last = await self._attempt(partials.finish, otherwise=hypothesis)
            await self._words(settled.finish(last), last if last != hypothesis else None)
            ended = UserSpeechEnded(duration=item.end.duration, silence=item.end.silence)
            await self.session.inject(ended, source=SOURCE)
            self._finals.put(Stretch(item.pcm, last, item.early))

    async def _attempt(self, call: Callable[[], str | None], otherwise: str = "") -> str:
        """Run a call of the rough recogniser; if it fails, the conversation goes on with ``otherwise``."""
        try:
            result = await self._clock.run_blocking(call)
        except Exception as error:  # an engine failure must not end the conversation
            await self._failed("stt", "partials", error)
            return otherwise
        return otherwise if result is None else result

    async def _words(self, words: list[str], hypothesis: str | None) -> None:
        if hypothesis is not None:
            await self.session.inject(UserTranscript(text=hypothesis), source=SOURCE)
        for word in words:
            await self.session.inject(UserInput(text=word, modality=Modality.SPOKEN), source=SOURCE)

    async def _finalise(self) -> None:
        """The accurate text of each stretch of speech, in order (early if it can be); the rough text if that fails."""
        while True:
            job = await self._finals.next()
            if isinstance(job, EarlyRun):
                early = await self._accurate(job.pcm, role="early")
                if early is None:
                    job.failed()  # the stretch's own run tries again
                else:
                    job.finished(early)
                continue
            text = job.early_text()
            if text is not None:
                self.stats.early_finals += 1
            elif job.pcm is not None:
                text = await self._accurate(job.pcm, role="final")
            if text is None:
                self.stats.rough_finals += 1
                text = job.rough
            await self.session.inject(UserTranscript(text=" ".join(text.split()), final=True), source=SOURCE)

    async def _accurate(self, pcm: bytes, *, role: str) -> str | None:
        """The accurate recogniser's text of ``pcm``; None if it failed (the conversation goes on)."""
        try:
            return await self._clock.run_blocking(functools.partial(self._engines.final.transcribe, pcm))
        except Exception as error:  # an engine failure must not end the conversation: the rough text stands in
            await self._failed("stt", role, error)
            return None

    async def _failed(self, component: str, role: str, error: Exception) -> None:
        """An engine raised: the session hears of it (of engines run on every chunk: the first failure, then one
        in ``_REPORT_EVERY``). ``role`` is which engine: "vad", "partials", or an "early" or "final" accurate run.
        """
        self.stats.engine_failures += 1
        count = self._engine_failures[role] = self._engine_failures.get(role, 0) + 1
        if role in _ONCE_A_STRETCH or count == 1 or count % _REPORT_EVERY == 0:
            await self.session.inject(failed(component, error, name=role), source=SOURCE)

    # --- to the client -----------------------------------------------------------------------------------

    async def _forward(self, log: Subscription) -> None:
        try:
            while True:
                try:
                    event = await log.receive()
                except SlowConsumer as exc:  # the log keeps everything: carry on where the queue overflowed
                    log.close()
                    log = await self.session.subscribe(f"{SOURCE}-out", start=exc.next_offset)
                    continue
                if isinstance(event, UserTranscript):
                    await self._outbox.put(Transcript(event.text, event.final))
                await self._outbox.put(SessionEvent(event))
                if isinstance(event, SessionEnded):
                    return
        finally:
            log.close()


def _probabilities(vad: VoiceActivity, frames: list[bytes]) -> list[float]:
    return [vad.probability(frame) for frame in frames]


@dataclass(frozen=True, slots=True)
class _Ended:
    """A stretch of speech ended, with all its audio (for the accurate recogniser) and its early run, if any."""

    end: SpeechEnd
    pcm: bytes
    early: EarlyRun | None


_Speech = SpeechStart | SpeechAudio | _Ended


class _AudioBuffer:
    """PCM waiting to be listened to, at most ``capacity`` bytes: the oldest goes first."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self.ready = asyncio.Event()

    def put(self, pcm: bytes) -> int:
        """Queue ``pcm``; return how many bytes were dropped to make room."""
        if not pcm:
            return 0
        dropped = 0
        if len(pcm) > self._capacity:
            dropped, pcm = len(pcm) - self._capacity, pcm[len(pcm) - self._capacity :]
        self._chunks.append(pcm)
        self._size += len(pcm)
        while self._size > self._capacity:
            oldest = self._chunks.popleft()
            self._size -= len(oldest)
            dropped += len(oldest)
        self.ready.set()
        return dropped

    def take(self) -> bytes:
        audio = b"".join(self._chunks)
        self._chunks.clear()
        self._size = 0
        self.ready.clear()
        return audio


class _SpeechQueue:
    """Speech for the rough recogniser: starts and ends always kept, audio bounded (oldest dropped)."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: deque[_Speech] = deque()
        self._audio = 0
        self._ready = asyncio.Event()
        self.dropped = 0  # bytes

    def put(self, item: _Speech) -> None:
        self._items.append(item)
        if isinstance(item, SpeechAudio):
            self._audio += len(item.pcm)
            while self._audio > self._capacity:
                oldest = next(queued for queued in self._items if isinstance(queued, SpeechAudio))
                self._items.remove(oldest)
                self._audio -= len(oldest.pcm)
                self.dropped += len(oldest.pcm)
        self._ready.set()

    async def get(self) -> _Speech:
        """The next start or end, or all the audio queued before the next one as one piece."""
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        first = self._items.popleft()
        if not isinstance(first, SpeechAudio):
            return first
        pieces = [first.pcm]
        while self._items:
            following = self._items[0]
            if not isinstance(following, SpeechAudio):
                break
            pieces.append(following.pcm)
            self._items.popleft()
        audio = b"".join(pieces)
        self._audio -= len(audio)
        return SpeechAudio(audio)


class _Outbox:
    """What goes to the client, bounded.

    Agent audio never waits: when the box is full the oldest queued piece of audio is dropped (or
    the new one, if no audio is queued). A flush drops the queued audio of the utterance it stops and
    then always fits. Events wait for room (the session log keeps them meanwhile).
    """

    def __init__(self, capacity: int, stats: VoiceStats) -> None:
        self._capacity = capacity
        self._stats = stats
        self._items: deque[VoiceOut] = deque()
        self._changed = asyncio.Event()
        self._closed = False
        self.high_water = 0

    def put_nowait(self, item: AudioOut) -> None:
        if self._closed:
            return
        if isinstance(item, FlushAudio):
            self._items = deque(
                queued
                for queued in self._items
                if not (isinstance(queued, AgentAudioChunk) and queued.utterance == item.utterance)
            )
        elif len(self._items) >= self._capacity:
            oldest = next((queued for queued in self._items if isinstance(queued, AgentAudioChunk)), None)
            self._stats.audio_dropped += 1
            if oldest is None:
                return
            self._items.remove(oldest)
        self._append(item)

    async def put(self, item: VoiceOut) -> None:
        while len(self._items) >= self._capacity and not self._closed:
            self._changed.clear()
            await self._changed.wait()
        if not self._closed:
            self._append(item)

    def close(self) -> None:
        self._closed = True
        self._changed.set()

    async def get(self) -> VoiceOut | None:
        """The next item; None once closed and empty."""
        while not self._items:
            if self._closed:
                return None
            self._changed.clear()
            await self._changed.wait()
        item = self._items.popleft()
        self._changed.set()
        return item

    def _append(self, item: VoiceOut) -> None:
        self._items.append(item)
        self.high_water = max(self.high_water, len(self._items))
        self._changed.set()
