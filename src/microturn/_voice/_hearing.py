"""The listening side of a voice channel: microphone audio in, what was heard out to the session's ingress.

::

    hear(pcm) ─▶ microphone buffer ─▶ listen: VAD, Segmenter ─▶ UserSpeechStarted ──────────────────▶ report
                 (drop-oldest)          │ └─▶ speech queue ─▶ transcribe: PocketSphinx, SettledWords
                                        │     (drop-oldest)   ─▶ spoken UserInput words, UserTranscript,
                                        │                        UserSpeechEnded ──────────────────▶
                                        │                     └─▶ finals ─▶ finalise: Whisper
                                        ├─ pause: early run ──────▶       ─▶ UserTranscript(final) ▶
                                        └─ end: the turn's audio ─▶ detect: Smart Turn ─┐
                    the session has folded the final transcript (``folded``) ───────────┴─▶ TurnEndSignal ▶

Each stage is its own task with its own engine (engines are used one call at a time), so a slow
recogniser never delays voice activity, and voice activity is what stops the agent: speech onset
is reported the moment the VAD sees it. An engine that raises never ends the conversation: the
session hears of it (``ComponentFailed``) and listening goes on with what it has. The audio end of
turn (when the engines have one) is signalled once the session holds the stretch's final text: see
``_turn_signals``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable

from microturn._core._clock import Clock
from microturn._core._events import (
    Event,
    InputRejected,
    Modality,
    UserInput,
    UserSpeechEnded,
    UserSpeechStarted,
    UserTranscript,
)
from microturn._core._failures import failed
from microturn._core._floor import FloorState
from microturn._core._language import Shape, shape
from microturn._voice._finals import EarlyRun, Finals, Stretch
from microturn._voice._inbound import EndedStretch, MicrophoneBuffer, SpeechQueue
from microturn._voice._listening import (
    Segmenter,
    SettledWords,
    SpeechAudio,
    SpeechPause,
    SpeechResumed,
    SpeechStart,
    whole_samples,
)
from microturn._voice._protocols import INPUT_RATE, AudioTurnEnd, VoiceActivity, VoiceEngines
from microturn._voice._stats import VoiceStats
from microturn._voice._tuning import VoiceTuning
from microturn._voice._turn_signals import Slot, TurnAudio, TurnEndSignals

__all__ = ["Hearing", "Report"]

Report = Callable[[Event], Awaitable[object]]
"""Where what was heard goes: the session's ingress, stamped with the channel's source."""

_BYTES_PER_SECOND = 2 * INPUT_RATE
_REPORT_EVERY = 50  # bad chunks, engine failures of one kind: the first is reported, then one in this many
_ONCE_A_STRETCH = frozenset({"early", "final", "audio"})  # runs a stretch are few: each failure is reported


class Hearing:
    """The listening tasks of one conversation. ``hear`` never blocks; :meth:`run` listens until cancelled.

    Audio heard before ``run`` waits in the microphone buffer (the newest ``microphone_seconds`` of it).
    """

    def __init__(
        self,
        *,
        engines: VoiceEngines,
        clock: Clock,
        stats: VoiceStats,
        tuning: VoiceTuning,
        microphone_seconds: float,
        speech_seconds: float,
    ) -> None:
        self._engines = engines
        self._clock = clock
        self._stats = stats
        self._microphone = MicrophoneBuffer(round(microphone_seconds * _BYTES_PER_SECOND) // 2 * 2)
        self._speech = SpeechQueue(round(speech_seconds * _BYTES_PER_SECOND) // 2 * 2)
        self._finals = Finals(stats)
        self._segmenter = Segmenter(frame_samples=engines.vad.frame_samples, tuning=tuning)
        self._unreported: str | None = None  # a problem with the microphone audio, to report to the session
        self._engine_failures: dict[str, int] = {}  # by engine role
        self._report: Report | None = None
        self._state: Callable[[], FloorState] | None = None
        self._turn_audio = None if engines.turn_end is None else TurnAudio()
        self._signals = TurnEndSignals()
        self._detection: tuple[Slot, bytes] | None = None  # the latest ended stretch's audio, for the model
        self._detect_ready = asyncio.Event()

    def hear(self, pcm: bytes) -> None:
        """Microphone audio, 16 kHz ``s16le`` mono, any length. Lossy: if listening falls behind, the oldest goes."""
        pcm, problem = whole_samples(pcm)
        if problem is not None:
            self._stats.rejected_chunks += 1
            if self._stats.rejected_chunks == 1 or self._stats.rejected_chunks % _REPORT_EVERY == 0:
                self._unreported = problem
                self._microphone.ready.set()
        self._stats.heard += len(pcm) / _BYTES_PER_SECOND
        self._stats.dropped += self._microphone.put(pcm) / _BYTES_PER_SECOND

    async def run(self, report: Report, state: Callable[[], FloorState]) -> None:
        """Listen, telling ``report`` what was heard, until cancelled; ``state`` is the session's floor state."""
        self._report, self._state = report, state
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._listen())
            tasks.create_task(self._transcribe())
            tasks.create_task(self._finalise())
            if self._engines.turn_end is not None:
                tasks.create_task(self._detect(self._engines.turn_end))

    async def folded(self, final: UserTranscript) -> None:
        """The session has folded ``final``, a final transcript of ours: its stretch's end-of-turn signal may go."""
        assert self._state is not None, "the listening tasks run only inside run()"
        signal = self._signals.folded(final.text, self._state())
        if signal is not None:
            await self._tell(signal)

    async def _tell(self, event: Event) -> None:
        assert self._report is not None, "the listening tasks run only inside run()"
        await self._report(event)

    # --- voice activity ----------------------------------------------------------------------------------

    async def _listen(self) -> None:
        """Voice activity on every frame; speech onset is reported at once."""
        vad = self._engines.vad
        frame_bytes = 2 * vad.frame_samples
        rest, speech = b"", bytearray()  # the stretch of speech so far, for the accurate recogniser
        while True:
            await self._microphone.ready.wait()
            await self._report_problem()
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
                if self._turn_audio is not None:
                    self._turn_audio.add(frame)
                for segment in self._segmenter.push(frame, probability):
                    if isinstance(segment, SpeechStart):
                        self._turn_begins(segment.pcm)
                        await self._tell(UserSpeechStarted())
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
                        slot = self._detect_end(segment.silence)
                        ended = EndedStretch(segment, bytes(speech), self._finals.ended(segment), slot)
                        self._speech.put(ended)
                        speech = bytearray()
            self._stats.speech_dropped = self._speech.dropped / _BYTES_PER_SECOND

    def _turn_begins(self, onset: bytes) -> None:
        """A stretch begins: a new turn unless the user's words so far still await an answer."""
        assert self._state is not None
        if self._turn_audio is None:
            return
        state = self._state()
        if not (state.user_text.strip() or state.transcripts_pending):
            self._turn_audio.restart(onset)

    def _detect_end(self, silence: float) -> Slot | None:
        """A stretch ended ``silence`` s after its last speech: its turn's audio goes to the end-of-turn model
        (replacing one still waiting)."""
        if self._turn_audio is None:
            return None
        if self._detection is not None:
            self._signals.computed(self._detection[0], None)  # the user went on: that one is moot
        slot = Slot()
        self._detection = (slot, self._turn_audio.take(silence))
        self._detect_ready.set()
        return slot

    async def _report_problem(self) -> None:
        if self._unreported is None:
            return
        problem, self._unreported = self._unreported, None
        count = self._stats.rejected_chunks
        reason = f"microphone audio: {problem}" + ("" if count == 1 else f" ({count} such chunks so far)")
        await self._tell(InputRejected(reason=reason, excerpt=""))

    # --- the rough recogniser ----------------------------------------------------------------------------

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
            await self._tell(UserSpeechEnded(duration=item.end.duration, silence=item.end.silence))
            self._finals.put(Stretch(item.pcm, last, item.early, item.turn_end))

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
            await self._tell(UserTranscript(text=hypothesis))
        for word in words:
            await self._tell(UserInput(text=word, modality=Modality.SPOKEN))

    # --- the accurate recogniser -------------------------------------------------------------------------

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
                self._stats.early_finals += 1
            elif job.pcm is not None:
                text = await self._accurate(job.pcm, role="final")
            if text is None:
                self._stats.rough_finals += 1
                text = job.rough
            final = " ".join(text.split())
            if job.turn_end is not None:
                self._signals.finalised(job.turn_end, final)  # first: the session may fold it at once
            await self._tell(UserTranscript(text=final, final=True))

    async def _accurate(self, pcm: bytes, *, role: str) -> str | None:
        """The accurate recogniser's text of ``pcm``; None if it failed (the conversation goes on)."""
        try:
            return await self._clock.run_blocking(functools.partial(self._engines.final.transcribe, pcm))
        except Exception as error:  # an engine failure must not end the conversation: the rough text stands in
            await self._failed("stt", role, error)
            return None

    # --- the audio end of turn ----------------------------------------------------------------------------

    async def _detect(self, model: AudioTurnEnd) -> None:
        """The end-of-turn model on the turn's audio as each stretch ends (only the latest, if several wait); a
        failure costs that signal."""
        while True:
            await self._detect_ready.wait()
            self._detect_ready.clear()
            if self._detection is None:
                continue
            (slot, pcm), self._detection = self._detection, None
            try:
                probability: float | None = await self._clock.run_blocking(functools.partial(model.probability, pcm))
            except Exception as error:  # an engine failure must not end the conversation: no signal this time
                await self._failed("end-of-turn", "audio", error)
                probability = None
            signal = self._signals.computed(slot, probability)
            if signal is not None:
                await self._tell(signal)

    async def _failed(self, component: str, role: str, error: Exception) -> None:
        """An engine raised: the session hears of it (of engines run on every chunk: the first failure, then one
        in ``_REPORT_EVERY``). ``role`` is which engine: "vad", "partials", an "early" or "final" accurate run, or
        the "audio" end of turn.
        """
        self._stats.engine_failures += 1
        count = self._engine_failures[role] = self._engine_failures.get(role, 0) + 1
        if role in _ONCE_A_STRETCH or count == 1 or count % _REPORT_EVERY == 0:
            await self._tell(failed(component, error, name=role))


def _probabilities(vad: VoiceActivity, frames: list[bytes]) -> list[float]:
    return [vad.probability(frame) for frame in frames]
