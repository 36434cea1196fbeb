"""Deterministic fake speech engines, for testing what sits above the engines in virtual time.

They speak one made-up language: a word is ``WORD_SECONDS`` of a loud tone. ``FakeSynthesizer``
turns text into such tones, ``FakeVad`` hears any loud frame as speech, and ``FakeTranscriber``
reveals the next word of its script for each ``WORD_SECONDS`` of loud audio it is fed, so the agent's
own fake speech, fed back, is transcribed word for word. ``FakeTurnEnd`` answers end-of-turn
probabilities from a script and keeps what it heard. Standard library only: the fakes work without
the voice extra.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from functools import cache

from microturn._voice._audio import rms
from microturn._voice._protocols import INPUT_RATE
from microturn._voice._tts import split_clauses
from microturn.errors import ConfigError

__all__ = [
    "SPEECH_LEVEL",
    "WORD_SECONDS",
    "FakeSynthesizer",
    "FakeTranscriber",
    "FakeTurnEnd",
    "FakeVad",
    "silence",
    "tone",
]

SPEECH_LEVEL = 1000.0
"""RMS level (of 32768) above which fake engines take audio for speech; the fake tone is ~5,700."""
WORD_SECONDS = 0.25
"""How long one fake word lasts."""
_AMPLITUDE = 8000
_PITCH = 220.0
_BLOCK = INPUT_RATE // 100
"""FakeTranscriber measures speech in 10 ms blocks, so its count does not depend on chunk sizes."""


def silence(seconds: float, rate: int = INPUT_RATE) -> bytes:
    """Digital silence as PCM."""
    return bytes(2 * round(seconds * rate))


def tone(seconds: float, rate: int = INPUT_RATE) -> bytes:
    """A loud 220 Hz sine as PCM: fake speech."""
    return _tone(round(seconds * rate), rate)


@cache
def _tone(samples: int, rate: int) -> bytes:
    return b"".join(
        round(_AMPLITUDE * math.sin(2 * math.pi * _PITCH * index / rate)).to_bytes(2, "little", signed=True)
        for index in range(samples)
    )


class FakeVad:
    """Speech probability 0.95 for a frame louder than ``level`` (RMS), else 0.02."""

    def __init__(self, *, frame_samples: int = 512, level: float = SPEECH_LEVEL) -> None:
        self.frame_samples = frame_samples
        self._level = level

    def probability(self, frame: bytes) -> float:
        return 0.95 if rms(frame) > self._level else 0.02

    def reset(self) -> None:
        pass


class FakeTranscriber:
    """Both transcriber protocols, reading from a script of words.

    Each ``word_seconds`` of loud audio reveals the next word. A partial counts only words heard in
    full; at the end (``finish``, ``transcribe``) a word begun counts too. Each utterance continues the script where the
    last one stopped, with separate places for the partial and the final side, so one instance can
    play both parts of ``VoiceEngines``. Past the end of the script there are no more words. An
    early run of the final side (on a stretch so far) and the run on the whole stretch see the same
    opening audio: a ``transcribe`` of audio that extends the last one's reads the same place again.
    """

    def __init__(
        self, words: Sequence[str], *, word_seconds: float = WORD_SECONDS, level: float = SPEECH_LEVEL
    ) -> None:
        self._words = list(words)
        self._word_samples = max(1, round(word_seconds * INPUT_RATE))
        self._level = level
        self._partial_from = 0
        self._final_from = 0
        self._final_start = 0  # where the last transcribe began reading, and its audio
        self._final_audio = b""
        self._speech = 0
        self._tail = b""
        self._active = False

    def start(self) -> None:
        self._speech, self._tail, self._active = 0, b"", True

    def feed(self, pcm: bytes) -> str:
        if not self._active:
            self.start()
        data = self._tail + pcm
        whole = len(data) - len(data) % (2 * _BLOCK)
        self._speech += self._speech_samples(data[:whole])
        self._tail = data[whole:]
        return self._text(self._partial_from, self._speech // self._word_samples).lower()

    def finish(self) -> str:
        if not self._active:
            return ""
        self._speech += self._speech_samples(self._tail)
        count = -(-self._speech // self._word_samples)
        text = self._text(self._partial_from, count).lower()
        self._partial_from += count
        self._active = False
        return text

    def transcribe(self, pcm: bytes) -> str:
        if self._final_audio and len(pcm) > len(self._final_audio) and pcm.startswith(self._final_audio):
            self._final_from = self._final_start  # the same stretch, heard further
        self._final_start, self._final_audio = self._final_from, pcm
        count = -(-self._speech_samples(pcm) // self._word_samples)
        text = self._text(self._final_from, count)
        self._final_from += count
        return text

    def _text(self, start: int, count: int) -> str:
        return " ".join(self._words[start : start + count])

    def _speech_samples(self, pcm: bytes) -> int:
        samples = 0
        for offset in range(0, len(pcm), 2 * _BLOCK):
            block = pcm[offset : offset + 2 * _BLOCK]
            if rms(block) > self._level:
                samples += len(block) // 2
        return samples


class FakeSynthesizer:
    """16 kHz; each word is ``word_seconds`` of tone, one chunk per clause of ``split_clauses``."""

    sample_rate = INPUT_RATE

    def __init__(self, *, word_seconds: float = WORD_SECONDS) -> None:
        self._word_seconds = word_seconds

    def synthesize(self, text: str) -> Iterator[bytes]:
        for clause in split_clauses(text):
            yield tone(self._word_seconds * len(clause.split()))


class FakeTurnEnd:
    """Audio end of turn from a script: the next of ``probabilities`` at each call (the last one repeats).

    ``heard`` keeps the seconds of audio each call was given, so a test sees which window was judged.
    """

    def __init__(self, probabilities: Sequence[float] = (0.9,)) -> None:
        if not probabilities:
            raise ConfigError("FakeTurnEnd needs at least one probability")
        self._probabilities = list(probabilities)
        self.heard: list[float] = []

    def probability(self, pcm: bytes) -> float:
        self.heard.append(round(len(pcm) / 2 / INPUT_RATE, 6))
        return self._probabilities[min(len(self.heard), len(self._probabilities)) - 1]
