"""Tune the sentence encoder for one decision: a low-rank adapter trained on its labelled examples (fit time only).

The encoder (all-MiniLM-L6-v2) is written out here in JAX from the shipped file's weights, unpacked to float
(``tests/test_sentence_adapter.py`` checks it gives the file's own embeddings), and a low-rank adapter
(``_adapter.py``) on the query, value and feed-forward products of its six layers is trained with a linear
read-out of the embedding (its mean and max pooling, as the intent head reads them) under cross-entropy, with
AdamW. The weights themselves never change. Then the decision's own head is fitted as any other head, on
embeddings from the int8 encoder with the adapter added (what runs in the product), and stores the adapter.

This needs ``jax`` and ``optax`` (the ``fit`` extra): only for refitting, never to run microturn. The adapter
starts from a fixed seed (its up matrices at zero, so it starts as the encoder as shipped) and sees its batches
in a fixed order, but XLA's threaded sums make two trainings differ in their last bits: a refit is not byte for
byte (the head stores the sha256 of its examples, so a stale one is still caught). The numbers (rank 8, four
passes, learning rate 1e-3) are the usual ones for LoRA on a small encoder, taken once and checked by
cross-validation (``bench/decisions_cross_validation.py intent``), not searched.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from microturn._sentences._adapter import Adapter, biased_products
from microturn._sentences._encoder import (
    MODEL_SHA256,
    SentenceEncoder,
    _check,
    _model_path,
    load_tokenizer,
    normalised,
    tokenizer_path,
)
from microturn.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "ADAPTED",
    "CROSS_FIT",
    "TunedEncoder",
    "cross_fitted",
    "cross_fitted_rows",
    "fit_time_encoder",
    "tune_adapter",
]

INSTALL = "pip install 'microturn[fit]'"
LAYERS = 6
HEADS = 12
ADAPTED = ("attention.self.query", "attention.self.value", "intermediate.dense", "output.dense")
"""The products of each layer that get an adapter."""
_ALL = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", *ADAPTED[2:])
RANK = 8
ALPHA = 16.0
"""The adapter's scale is ALPHA / RANK, as in the LoRA paper."""
EPOCHS = 4
LEARNING_RATE = 1e-3
BATCH = 32
READOUT_SCALE = 16.0
"""Unit vectors have small coordinates: the read-out's logits are scaled up, as cosine classifiers do."""
CROSS_FIT = 2
"""Into how many parts a head's features are cross-fitted (``cross_fitted``)."""


class TunedEncoder:
    """The encoder in JAX, float weights from the shipped file; ``states`` runs it with an adapter's matrices."""

    def __init__(self) -> None:
        try:
            import jax.numpy as jnp
        except ImportError as error:
            raise ConfigError(f"tuning the sentence encoder needs jax and optax ({error}): {INSTALL}") from None

        weights = _float_weights(_check(_model_path(), MODEL_SHA256))
        self.weights: dict[str, Any] = {name: jnp.asarray(value) for name, value in weights.items()}
        self._tokenizer = load_tokenizer(tokenizer_path())

    def ids(self, text: str) -> list[int]:
        """``text``'s token ids, as ``SentenceEncoder`` reads it."""
        ids: list[int] = self._tokenizer.encode(normalised(text)).ids
        return ids

    def states(self, adapter: dict[str, Any] | None, ids: Any, mask: Any) -> Any:
        """The last layer's token states (batch, tokens, 384) of ``ids`` (batch, tokens) under ``mask``."""
        import jax
        import jax.numpy as jnp

        w = self.weights
        batch, length = ids.shape
        x = w["word"][ids] + w["position"][jnp.arange(length)][None] + w["type"][0][None, None]
        x = _norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        hidden = (1.0 - mask[:, None, None, :]) * -1e9

        def product(h: Any, name: str) -> Any:
            y = h @ w[name] + w[f"{name}.bias"]
            if adapter is not None and name in adapter:
                down, up = adapter[name]
                y = y + (h @ down) @ up
            return y

        def heads(h: Any) -> Any:
            return h.reshape(batch, length, HEADS, -1).transpose(0, 2, 1, 3)

        for layer in range(LAYERS):
            at = f"layer.{layer}."
            q, k, v = (heads(product(x, at + f"attention.self.{part}")) for part in ("query", "key", "value"))
            attention = jax.nn.softmax(q @ k.transpose(0, 1, 3, 2) / math.sqrt(q.shape[-1]) + hidden, axis=-1)
            context = (attention @ v).transpose(0, 2, 1, 3).reshape(batch, length, -1)
            x = _norm(product(context, at + "attention.output.dense") + x, *_ln(w, at + "attention.output.LayerNorm"))
            h = product(x, at + "intermediate.dense")
            h = 0.5 * h * (1.0 + jax.scipy.special.erf(h / math.sqrt(2.0)))
            x = _norm(product(h, at + "output.dense") + x, *_ln(w, at + "output.LayerNorm"))
        return x


def pooled(states: Any, mask: Any) -> tuple[Any, Any]:
    """The mean and the max of the token states under ``mask``, each a unit vector (as ``SentenceEncoder``)."""
    import jax.numpy as jnp

    weight = mask[..., None]
    mean = (states * weight).sum(1) / jnp.maximum(weight.sum(1), 1.0)
    largest = jnp.where(weight > 0, states, -1e9).max(1)

    def unit(v: Any) -> Any:
        return v / jnp.maximum(jnp.linalg.norm(v, axis=-1, keepdims=True), 1e-9)

    return unit(mean), unit(largest)


def tune_adapter(
    texts: Sequence[str], labels: Sequence[str], *, encoder: TunedEncoder | None = None, epochs: int = EPOCHS
) -> Adapter:
    """An adapter under which ``texts``' embeddings tell their ``labels`` apart (see the module's docstring)."""
    try:
        import jax
        import jax.numpy as jnp
        import numpy as np
        import optax  # type: ignore[import-untyped,unused-ignore]
    except ImportError as error:
        raise ConfigError(f"tuning the sentence encoder needs jax and optax ({error}): {INSTALL}") from None
    if len(texts) != len(labels) or not texts:
        raise ConfigError(f"tune_adapter needs as many labels as texts, at least one ({len(texts)} and {len(labels)})")
    encoder = encoder or TunedEncoder()
    names = sorted(set(labels))
    targets = np.array([names.index(label) for label in labels], np.int32)
    tokens = [encoder.ids(text) for text in texts]
    key = jax.random.PRNGKey(0)
    adapter: dict[str, Any] = {}
    for layer in range(LAYERS):
        for part in ADAPTED:
            name = f"layer.{layer}.{part}"
            rows, columns = encoder.weights[name].shape
            key, sub = jax.random.split(key)
            adapter[name] = (jax.random.normal(sub, (rows, RANK)) / math.sqrt(rows), jnp.zeros((RANK, columns)))
    trained: dict[str, Any] = {
        "adapter": adapter,
        "readout": jnp.zeros((2 * 384, len(names))),
        "bias": jnp.zeros(len(names)),
    }

    def loss(params: dict[str, Any], ids: Any, mask: Any, target: Any) -> Any:
        scaled = {name: (down, up * (ALPHA / RANK)) for name, (down, up) in params["adapter"].items()}
        mean, largest = pooled(encoder.states(scaled, ids, mask), mask)
        logits = jnp.concatenate([mean, largest], -1) @ params["readout"] * READOUT_SCALE + params["bias"]
        return optax.softmax_cross_entropy_with_integer_labels(logits, target).mean()

    batches = _batches(tokens)
    steps = epochs * len(batches)
    schedule = optax.warmup_cosine_decay_schedule(0.0, LEARNING_RATE, max(1, steps // 10), steps)
    optimiser = optax.adamw(schedule, weight_decay=0.01)
    state = optimiser.init(trained)

    @jax.jit
    def step(params: Any, state: Any, ids: Any, mask: Any, target: Any) -> tuple[Any, Any]:
        gradient = jax.grad(loss)(params, ids, mask, target)
        update, state = optimiser.update(gradient, state, params)
        return optax.apply_updates(params, update), state

    order = np.random.default_rng(0)
    for _ in range(epochs):
        for rows in order.permutation(len(batches)):
            ids, mask = _padded([tokens[row] for row in batches[rows]])
            target = jnp.asarray(targets[batches[rows]])
            trained, state = step(trained, state, jnp.asarray(ids), jnp.asarray(mask), target)
    return Adapter(
        {
            name: (np.asarray(down, np.float32), np.asarray(up * (ALPHA / RANK), np.float32))
            for name, (down, up) in trained["adapter"].items()
        }
    )


def cross_fitted(
    texts: Sequence[str],
    labels: Sequence[str],
    read: Callable[[SentenceEncoder, int], npt.NDArray[np.float32]],
    *,
    encoder: TunedEncoder | None = None,
    parts: Sequence[int] | None = None,
) -> tuple[npt.NDArray[np.float32], Adapter]:
    """Features for a head over a tuned encoder, each from an adapter that never saw its example
    (``cross_fitted_rows``), and the adapter trained on them all (the one the head ships with)."""
    encoder = encoder or TunedEncoder()
    rows = cross_fitted_rows(texts, labels, read, encoder=encoder, parts=parts)
    return rows, tune_adapter(texts, labels, encoder=encoder)


def cross_fitted_rows(
    texts: Sequence[str],
    labels: Sequence[str],
    read: Callable[[SentenceEncoder, int], npt.NDArray[np.float32]],
    *,
    encoder: TunedEncoder | None = None,
    parts: Sequence[int] | None = None,
) -> npt.NDArray[np.float32]:
    """Each example's features through an adapter that never saw it.

    ``read(encoder, index)`` is example ``index``'s features through ``encoder``. The examples are split into
    ``CROSS_FIT`` parts (``parts[index]``, each below ``CROSS_FIT``, keeps groups together: default, by index);
    each part is read through an adapter trained on the others. An adapter tells its own training examples apart
    almost perfectly, so a head fitted on their features would trust the tuned embedding more than it deserves on
    words it has never seen."""
    import numpy as np

    encoder = encoder or TunedEncoder()
    part_of = list(parts) if parts is not None else [index % CROSS_FIT for index in range(len(texts))]
    rows: list[npt.NDArray[np.float32]] = [np.zeros(0, np.float32)] * len(texts)
    for part in range(CROSS_FIT):
        trained = [index for index in range(len(texts)) if part_of[index] != part]
        adapter = tune_adapter([texts[i] for i in trained], [labels[i] for i in trained], encoder=encoder)
        reader = fit_time_encoder(adapter)
        for index in range(len(texts)):
            if part_of[index] == part:
                rows[index] = read(reader, index)
    return np.stack(rows)


def fit_time_encoder(adapter: Adapter) -> SentenceEncoder:
    """The int8 encoder with ``adapter`` added, for an adapter trained while fitting: kept out of the model cache
    (the shipped adapter's model is cached when the product first loads it)."""
    return SentenceEncoder(_model_path(), tokenizer_path(), adapter=adapter, cache=False)


def _batches(tokens: list[list[int]]) -> list[npt.NDArray[np.int64]]:
    """Rows in batches of ``BATCH`` texts of similar length (little padding), each filled up to ``BATCH`` by
    repeating its rows: one compiled step per padded length."""
    import numpy as np

    by_length = np.argsort([len(ids) for ids in tokens], kind="stable")
    chunks = [by_length[start : start + BATCH] for start in range(0, len(by_length), BATCH)]
    return [np.resize(chunk, BATCH) for chunk in chunks]


def _padded(rows: list[list[int]]) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
    """``rows`` padded with zeros to a multiple of eight tokens, and the mask of the real ones."""
    import numpy as np

    length = -(-max(len(row) for row in rows) // 8) * 8
    ids = np.zeros((len(rows), length), np.int32)
    mask = np.zeros((len(rows), length), np.float32)
    for index, row in enumerate(rows):
        ids[index, : len(row)] = row
        mask[index, : len(row)] = 1.0
    return ids, mask


def _norm(x: Any, gain: Any, bias: Any) -> Any:
    import jax.numpy as jnp

    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / jnp.sqrt(variance + 1e-12) * gain + bias


def _ln(weights: dict[str, Any], name: str) -> tuple[Any, Any]:
    return weights[f"{name}.weight"], weights[f"{name}.bias"]


def _float_weights(stored: bytes) -> dict[str, npt.NDArray[np.float32]]:
    """The file's weights by their place in the encoder, int8 ones unpacked to float with their scales."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    graph = onnx.load_from_string(stored).graph
    arrays = {tensor.name: numpy_helper.to_array(tensor) for tensor in graph.initializer}
    producers = {output: node for node in graph.node for output in node.output}

    def unpacked(name: str) -> npt.NDArray[np.float32]:
        multiply = producers[name]  # Mul(Cast(int8), scale)
        stored_int8 = arrays[producers[multiply.input[0]].input[0]]
        matrix: npt.NDArray[np.float32] = (stored_int8.astype(np.float32) * arrays[multiply.input[1]]).astype(
            np.float32
        )
        return matrix

    found: dict[str, npt.NDArray[np.float32]] = {
        "word": unpacked("inner.embeddings.word_embeddings.weight"),
        "position": unpacked("inner.embeddings.position_embeddings.weight"),
        "type": arrays["inner.embeddings.token_type_embeddings.weight"],
    }
    found.update(
        {
            name.removeprefix("inner.").removeprefix("encoder."): value
            for name, value in arrays.items()
            if name.startswith("inner.") and "LayerNorm" in name
        }
    )
    for name, (_, product) in biased_products(graph).items():
        found[name] = unpacked(product.input[1])
        found[f"{name}.bias"] = arrays[f"inner.encoder.{name}.bias"]
    missing = {f"layer.{layer}.{part}" for layer in range(LAYERS) for part in _ALL} - set(found)
    if missing:
        raise ConfigError(f"the sentence model lacks {sorted(missing)[:3]}: reinstall microturn[embedded]")
    return found
