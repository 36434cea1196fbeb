"""Small PCM helpers: WAV files in and out, sample-rate conversion, level.

Audio is ``s16le`` mono bytes throughout (see ``_engines``). WAV reading and writing use only the
standard library, so the pipeline and its tests work without the voice extra; ``resample`` needs
numpy (part of ``microturn[voice]``) and imports it only when called.
"""

from __future__ import annotations

import math
import sys
import wave
from array import array
from pathlib import Path

from microturn.errors import ConfigError

__all__ = ["read_wav", "resample", "rms", "write_wav"]


def read_wav(path: Path) -> tuple[bytes, int]:
    """The PCM and sample rate of a 16-bit mono WAV file."""
    with wave.open(str(path), "rb") as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ConfigError(
                f"{path}: need 16-bit mono WAV, got {wav.getnchannels()} channel(s) of {8 * wav.getsampwidth()} bits"
            )
        return wav.readframes(wav.getnframes()), wav.getframerate()


def write_wav(path: Path, pcm: bytes, rate: int) -> None:
    """Write ``s16le`` mono PCM as a WAV file."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)


def resample(pcm: bytes, rate: int, to_rate: int) -> bytes:
    """PCM at ``rate`` converted to ``to_rate`` by linear interpolation.

    Linear interpolation is enough for what we feed it (speech from a TTS at 22.05 kHz going to
    16 kHz recognisers): it slightly dulls the top octave, which the recognisers ignore anyway, and
    it costs well under a millisecond per second of audio.
    """
    if rate == to_rate or not pcm:
        return pcm
    import numpy as np

    source = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
    count = len(source) * to_rate // rate
    positions = np.arange(count, dtype=np.float64) * (rate / to_rate)
    out = np.interp(positions, np.arange(len(source), dtype=np.float64), source)
    return bytes(np.clip(np.rint(out), -32768, 32767).astype("<i2").tobytes())


def rms(pcm: bytes) -> float:
    """Root mean square level of the PCM, 0..32768 (0 for no audio)."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder != "little":
        samples.byteswap()
    if not samples:
        return 0.0
    return math.sqrt(sum(sample * sample for sample in samples) / len(samples))
