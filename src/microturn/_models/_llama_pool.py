"""llama.cpp contexts for the embedded model: one per model object, so conversations never evict each other.

A context holds one KV cache, the prefix of the one prompt it saw last. Shared by two conversations (or
by a conversation's talking and background roles), each request would throw the other's prefix away and
compute its whole prompt again. So every :class:`~microturn._models._embedded.EmbeddedModel` takes a
context of its own on first use and gives it back when it is closed; a context given back is kept
(up to ``IDLE_KEPT`` per setting) for the next model, since loading one takes about a second.

The weights are memory-mapped, so every context on the same file shares one copy of them; what each
extra context costs is its KV cache and compute buffers (measured in docs/models.md). How many are in
use at once is bounded by what holds the models: ``microturn serve --max-conversations`` (two each).

llama.cpp's own log goes to the ``llama_cpp`` logger (``_quiet_native_log``), not to the terminal, where it
would print over the chat.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import logging
import weakref
from pathlib import Path
from typing import Any

from microturn._models._weights import gemma_weights
from microturn.errors import ModelError

__all__ = ["IDLE_KEPT", "LlamaKey", "acquire", "idle", "release"]

LlamaKey = tuple[Path | None, int, int]
"""Weights (None: the bundled Gemma), context tokens, threads."""

IDLE_KEPT = 2
"""Contexts given back that are kept for reuse, per setting; more are closed (their memory freed)."""

_ERROR = 4
"""ggml's level for errors (GGML_LOG_LEVEL_ERROR); its warnings and notes are about its own settings."""

_IDLE: dict[LlamaKey, list[Any]] = {}
_OPEN: weakref.WeakSet[Any] = weakref.WeakSet()  # every context still alive, closed at exit


def acquire(key: LlamaKey) -> Any:
    """A context for ``key`` that no other model holds: one given back earlier (its cache warm), or a new one."""
    kept = _IDLE.get(key)
    if kept:
        return kept.pop()
    return _load(key)


def release(key: LlamaKey, llama: Any) -> None:
    """Give back a context: kept for the next model, or closed if ``IDLE_KEPT`` are already waiting."""
    kept = _IDLE.setdefault(key, [])
    if len(kept) < IDLE_KEPT:
        kept.append(llama)
    else:
        _OPEN.discard(llama)
        llama.close()


def idle(key: LlamaKey) -> int:
    """How many contexts for ``key`` wait for a model."""
    return len(_IDLE.get(key, ()))


def _load(key: LlamaKey) -> Any:
    try:
        import llama_cpp
    except ImportError:
        raise ModelError(
            "llama-cpp-python is not installed; pip install 'microturn[embedded]'", transient=False
        ) from None
    _check_build(llama_cpp.llama_print_system_info().decode(errors="replace"), llama_cpp.__version__)
    path, context_tokens, threads = key
    _close_at_exit()
    _quiet_native_log()
    llama = llama_cpp.Llama(
        model_path=str(path or gemma_weights()),
        n_ctx=context_tokens,
        n_threads=threads,
        logits_all=False,
        verbose=False,
    )
    _OPEN.add(llama)
    return llama


def _check_build(system_info: str, version: str) -> None:
    """Refuse a llama.cpp built with its AMX kernels: on this model's Q4_K weights they crash the process.

    A segfault cannot be caught and would end the conversation, so this says what to do instead.
    """
    if "AMX_INT8 = 1" in system_info:
        flags = "-mno-amx-tile -mno-amx-int8"
        raise ModelError(
            "this llama-cpp-python was built with llama.cpp's AMX kernels, which crash on the embedded model's "
            f"weights; rebuild it without them: CMAKE_ARGS=\"-DCMAKE_C_FLAGS='{flags}' -DCMAKE_CXX_FLAGS='{flags}'\" "
            f"pip install --force-reinstall --no-cache-dir --no-deps llama-cpp-python=={version} "
            "(./dev builds it that way)",
            transient=False,
        )


@functools.cache
def _quiet_native_log() -> Any:
    """Send llama.cpp's log to Python's ``llama_cpp`` logger: errors as errors, the rest as debug.

    llama-cpp-python's own callback prints warnings to stderr even with ``verbose=False`` (its level table
    predates ggml's current one), so "llama_kv_cache_iswa: using full-size SWA cache" appeared in the
    middle of the chat. The callback is kept (returned, cached) for as long as llama.cpp may call it.
    """
    import llama_cpp

    logger = logging.getLogger("llama_cpp")

    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
    def forward(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
        logger.log(logging.ERROR if level == _ERROR else logging.DEBUG, text.decode(errors="replace").rstrip())

    llama_cpp.llama_log_set(forward, ctypes.c_void_p(0))
    return forward


@functools.cache
def _close_at_exit() -> None:
    atexit.register(_close_all)  # before the interpreter tears down what llama.cpp's finaliser needs


def _close_all() -> None:
    _IDLE.clear()
    for llama in list(_OPEN):
        llama.close()
    _OPEN.clear()
