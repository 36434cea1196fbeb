"""The speech engines behind small protocols: voice activity, transcription, audio end of turn, synthesis.

All audio is 16-bit signed little-endian mono PCM (``s16le``). Input is 16 kHz; a synthesizer says
its own rate. Engines are blocking and CPU-bound: callers run them through ``Clock.run_blocking``, one
call at a time per engine instance (engines are not thread-safe). Each protocol has a deterministic
fake in ``microturn._voice._fakes`` for tests of what sits above the engines.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "INPUT_RATE",
    "AudioTurnEnd",
    "FinalTranscriber",
    "StreamingTranscriber",
    "Synthesizer",
    "VoiceActivity",
    "VoiceEngines",
]

INPUT_RATE = 16_000
"""Sample rate of all input audio (microphone, test WAVs), in Hz."""


class VoiceActivity(Protocol):
    """Voice activity detection, one fixed-size frame at a time."""

    frame_samples: int
    """Samples per frame ``probability`` takes (for example 512 at 16 kHz: 32 ms)."""

    def probability(self, frame: bytes) -> float:
        """How likely the frame (exactly ``frame_samples`` samples) holds speech, 0..1."""
        ...

    def reset(self) -> None:
        """Forget the audio so far (a new stream)."""
        ...


class StreamingTranscriber(Protocol):
    """Fast, rough transcription while the user speaks: the partial hypothesis after each chunk."""

    def start(self) -> None:
        """Begin an utterance."""
        ...

    def feed(self, pcm: bytes) -> str:
        """Add audio; return the whole utterance's hypothesis so far (lower case words, may change)."""
        ...

    def finish(self) -> str:
        """End the utterance; return its final hypothesis."""
        ...


class FinalTranscriber(Protocol):
    """Accurate transcription of one whole utterance, once it has ended."""

    def transcribe(self, pcm: bytes) -> str:
        """The utterance's text, punctuated as the engine gives it; "" for no speech."""
        ...


class AudioTurnEnd(Protocol):
    """Audio end of turn: how likely the user has finished their turn, from how it sounded."""

    def probability(self, pcm: bytes) -> float:
        """P(the turn is over) after ``pcm``, the turn's audio so far (it may hear only the end), 0..1."""
        ...


class Synthesizer(Protocol):
    """Text to speech."""

    sample_rate: int

    def synthesize(self, text: str) -> Iterator[bytes]:
        """The spoken text as PCM chunks, the first as early as the engine can give it."""
        ...


@dataclass(frozen=True, slots=True)
class VoiceEngines:
    """One set of engines for one conversation (engines keep per-stream state)."""

    vad: VoiceActivity
    partials: StreamingTranscriber
    final: FinalTranscriber
    tts: Synthesizer
    turn_end: AudioTurnEnd | None = None
    """Run when a stretch of speech ends; None: no audio end-of-turn signal (the words alone decide)."""
