"""Audio end of turn: Smart Turn v3.2 hears from the sound of a turn whether the user has finished.

Words alone cannot tell "I went to the store." said with a falling, final voice from the same words
said on a rising, going-on one; Smart Turn (Daily's open model, BSD-2-Clause: Whisper tiny's encoder
and a linear head, 8 MB of int8 ONNX) hears the intonation. It takes the last 8 s of the turn at
16 kHz (shorter audio padded with silence at the front, as it was trained), as Whisper log-mel
features, and gives one probability that the turn is complete; Pipecat ends the turn above 0.5.

The model file ships inside the ``pipecat-ai`` wheel, which microturn installs without its
dependencies (``pip install --no-deps pipecat-ai==1.14.0``: 34 MB instead of ~500 MB; ``./dev`` does
it with the voice extra). It is found through the distribution's metadata and checked by its sha256
(``_pins``); ``pipecat`` itself is never imported. The feature code is vendored
(``_whisper_features``, numpy only, both its notices kept).

Cost on this 2-core CPU: ~40 ms a call on one onnxruntime thread, ~27 ms on two (see
``bench/audio_end_of_turn.py``). One thread by default: the call runs when a stretch of speech ends,
beside Whisper's final run, which the reply waits for.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from microturn._voice._pins import SMART_TURN, model_file
from microturn.errors import AdapterError, ConfigError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["MODEL_FILE", "SmartTurn", "shared_smart_turn"]

MODEL_FILE = "audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"
"""Where the model sits in the ``pipecat`` package that ``pipecat-ai`` installs."""


class SmartTurn:
    """Smart Turn v3.2 on onnxruntime: P(the user's turn is complete) from its audio. Thread-safe.

    ``model``: an ONNX file to load instead of the pinned one (not checked: for experiments).
    """

    def __init__(self, model: Path | None = None, *, threads: int = 1) -> None:
        try:
            import onnxruntime as ort  # type: ignore[import-untyped]
        except ImportError:
            raise ConfigError("Smart Turn needs onnxruntime: pip install 'microturn[voice]'") from None
        path = model_file(SMART_TURN, MODEL_FILE) if model is None else model
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        try:
            self._session: Any = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own (RuntimeError-like) classes for a bad file
            raise AdapterError(f"the Smart Turn model {path.name} failed to load: {exc}", transient=False) from exc
        self._lock = threading.Lock()

    def probability(self, pcm: bytes) -> float:
        """P(the turn is complete) after ``pcm``: the turn so far, 16 kHz ``s16le`` mono (only its end counts)."""
        import numpy as np

        samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float32) / 32768.0
        return self.predict(samples)

    def predict(self, audio: npt.NDArray[np.float32]) -> float:
        """P(the turn is complete) after ``audio``: 16 kHz float samples in [-1, 1]."""
        import numpy as np

        from microturn._voice._whisper_features import SAMPLES, compute_whisper_log_mel_features

        window = audio[-SAMPLES:]
        if len(window) < SAMPLES:
            window = np.pad(window, (SAMPLES - len(window), 0))  # silence before the turn, as in training
        features = compute_whisper_log_mel_features(window, do_normalize=True)[None]
        with self._lock:  # one run at a time: the session's threads stay as configured
            outputs = self._session.run(None, {"input_features": features})
        return float(outputs[0][0, 0])  # already a sigmoid probability, despite the output's name ("logits")


_shared: SmartTurn | None = None
_shared_lock = threading.Lock()


def shared_smart_turn() -> SmartTurn:
    """The process's Smart Turn, loaded (and its file checked) on first use: it keeps no per-conversation state."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SmartTurn()
        return _shared
