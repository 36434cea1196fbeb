"""A low-rank adapter on the sentence encoder: the encoder tuned for one decision, its weights left as shipped.

A frozen sentence embedding reads what a text is about; a decision needs what it asks for. Tuning the whole
encoder would mean shipping a second 22 MB model; a low-rank adapter (LoRA, Hu et al. 2021) adds to some weight
products ``y = x W + b`` a learned ``x D U`` (``D``: in x rank, ``U``: rank x out), a few hundred thousand
numbers stored beside the head that was fitted on its embeddings (``Head.adapter``). It is trained with
``_tune.py``; here it is added to the ONNX graph as two small float products per adapted weight product, next to
the int8 ones (``_int8.py``), so one forward pass gives the adapted embedding.

A product is named by its place in the encoder, as its bias is named in the file: ``layer.0.attention.self.query``
... ``layer.5.output.dense``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from microturn.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["Adapter", "adapted", "adapter_arrays", "adapter_from", "biased_products"]

_PREFIX = "adapter/"


@dataclass(frozen=True)
class Adapter:
    """``products``: each adapted product's (down, up) matrices, float32, the scale folded into ``up``."""

    products: Mapping[str, tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]]
    digest: str = field(init=False)
    """The sha256 of its numbers: names the adapted model in the cache."""

    def __post_init__(self) -> None:
        if not self.products:
            raise ConfigError("an adapter needs at least one product")
        digest = hashlib.sha256()
        for name in sorted(self.products):
            down, up = self.products[name]
            if down.ndim != 2 or up.ndim != 2 or down.shape[1] != up.shape[0]:
                raise ConfigError(f"adapter product {name}: shapes {down.shape} and {up.shape} do not chain")
            digest.update(name.encode())
            digest.update(down.astype("float32").tobytes())
            digest.update(up.astype("float32").tobytes())
        object.__setattr__(self, "digest", digest.hexdigest())


def adapter_arrays(adapter: Adapter) -> dict[str, npt.NDArray[Any]]:
    """The adapter as named arrays, to store beside a head in one ``.npz``."""
    arrays: dict[str, npt.NDArray[Any]] = {}
    for name, (down, up) in adapter.products.items():
        arrays[f"{_PREFIX}{name}/down"] = down
        arrays[f"{_PREFIX}{name}/up"] = up
    return arrays


def adapter_from(arrays: Mapping[str, npt.NDArray[Any]]) -> Adapter | None:
    """The adapter stored among ``arrays`` (``adapter_arrays``), or None when there is none."""
    import numpy as np

    names = sorted({key[len(_PREFIX) :].rsplit("/", 1)[0] for key in arrays if key.startswith(_PREFIX)})
    if not names:
        return None
    try:
        return Adapter(
            {
                name: (
                    np.asarray(arrays[f"{_PREFIX}{name}/down"], np.float32),
                    np.asarray(arrays[f"{_PREFIX}{name}/up"], np.float32),
                )
                for name in names
            }
        )
    except KeyError as error:
        raise ConfigError(f"the stored adapter lacks {error}") from None


def biased_products(graph: Any) -> dict[str, tuple[Any, Any]]:
    """The encoder's weight products in an ONNX ``graph``, by name (``layer.0.attention.self.query``): each one's
    bias ``Add`` and the node that multiplies (a ``MatMul``, or what ``_int8.py`` made of it)."""
    producers = {output: node for node in graph.node for output in node.output}
    found: dict[str, tuple[Any, Any]] = {}
    for node in graph.node:
        bias = next((item for item in node.input if item.startswith("inner.encoder.") and item.endswith(".bias")), None)
        if node.op_type != "Add" or bias is None or "LayerNorm" in bias:
            continue
        product = producers[next(item for item in node.input if item != bias)]
        found[bias[len("inner.encoder.") : -len(".bias")]] = (node, product)
    return found


def adapted(model: bytes, adapter: Adapter, install_hint: str) -> bytes:
    """The ONNX ``model`` with ``adapter`` added to its products: ``x W + b`` becomes ``x W + x D U + b``."""
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError as error:
        raise ConfigError(f"an adapted sentence encoder needs onnx ({error}): {install_hint}") from None
    proto = onnx.load_from_string(model)
    graph = proto.graph
    products = biased_products(graph)
    missing = sorted(set(adapter.products) - set(products))
    if missing:
        raise ConfigError(f"the sentence model has no product {', '.join(missing)} to adapt: {install_hint}")
    before: dict[int, list[Any]] = {}
    for name, (down, up) in adapter.products.items():
        add, product = products[name]
        graph.initializer.extend(
            numpy_helper.from_array(matrix, f"{name}.adapter.{part}") for part, matrix in (("down", down), ("up", up))
        )
        before[id(add)] = [  # x D U, added to x W before the bias
            helper.make_node("MatMul", [product.input[0], f"{name}.adapter.down"], [f"{name}.adapter.low"]),
            helper.make_node("MatMul", [f"{name}.adapter.low", f"{name}.adapter.up"], [f"{name}.adapter.out"]),
            helper.make_node("Add", [product.output[0], f"{name}.adapter.out"], [f"{name}.adapter.sum"]),
        ]
        add.input[list(add.input).index(product.output[0])] = f"{name}.adapter.sum"
    nodes = [new for node in graph.node for new in [*before.get(id(node), []), node]]
    del graph.node[:]
    graph.node.extend(nodes)
    rewritten: bytes = proto.SerializeToString()
    return rewritten
