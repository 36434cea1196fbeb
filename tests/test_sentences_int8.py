"""The sentence model's int8-stored weight products done in int8 (``_sentences/_int8.py``), and its cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from microturn._sentences import _encoder as encoder_module
from microturn._sentences import _int8 as int8_module
from microturn._sentences._encoder import INSTALL, MODEL_SHA256, SentenceEncoder, _model_path
from microturn._sentences._int8 import PRODUCTS, int8_model, int8_products
from microturn.errors import ConfigError

TEXTS = ["set a timer for five minutes", "i see", "so we drove up to the lake and then", "no don't stop"]


@pytest.fixture(scope="module")
def stored() -> bytes:
    return _model_path().read_bytes()


def test_every_int8_stored_product_is_done_in_int8_and_no_float_copy_is_left(stored: bytes) -> None:
    before = onnx.load_from_string(stored).graph
    after = onnx.load_from_string(int8_products(stored, INSTALL)).graph
    kinds = [node.op_type for node in after.node]
    assert kinds.count("DynamicQuantizeMatMul") == PRODUCTS
    assert [node.op_type for node in before.node].count("MatMul") - kinds.count("MatMul") == PRODUCTS
    assert [node.op_type for node in before.node].count("Cast") - kinds.count("Cast") == PRODUCTS
    produced = {name for node in after.node for name in node.output}
    known = produced | {tensor.name for tensor in after.initializer} | {value.name for value in after.input}
    assert {name for node in after.node for name in node.input if name} <= known  # nothing dangles


def test_its_embeddings_keep_the_float_products_meaning() -> None:
    """Close to what the file computes with its weights unpacked to float, and the same nearest neighbours."""
    tokenizer = Path(encoder_module.__file__).with_name("tokenizer.json")
    exact = SentenceEncoder(_model_path(), tokenizer, int8=False).encode_all(TEXTS)
    fast = SentenceEncoder(_model_path(), tokenizer).encode_all(TEXTS)
    assert float(np.min(np.sum(exact * fast, axis=1))) > 0.95
    assert np.array_equal(np.argsort(exact @ exact.T, axis=1), np.argsort(fast @ exact.T, axis=1))


def test_a_model_without_the_expected_products_is_refused_with_the_fix(stored: bytes) -> None:
    proto = onnx.load_from_string(stored)
    del proto.graph.node[:]
    with pytest.raises(ConfigError, match=rf"0 int8 products, not {PRODUCTS}.*pip install"):
        int8_products(proto.SerializeToString(), INSTALL)


def test_the_rewritten_model_is_cached_and_a_stale_or_unwritable_cache_costs_only_time(
    stored: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = int8_model(stored, MODEL_SHA256, INSTALL, tmp_path)
    (cached,) = tmp_path.glob("*.onnx")
    assert cached.read_bytes() == first

    def no_rewrite(model: bytes, install_hint: str) -> bytes:
        raise AssertionError("rewritten again although cached")

    monkeypatch.setattr(int8_module, "int8_products", no_rewrite)
    assert int8_model(stored, MODEL_SHA256, INSTALL, tmp_path) == first
    monkeypatch.undo()

    cached.write_bytes(b"half a file")  # changed since it was verified: rewritten, not read
    assert int8_model(stored, MODEL_SHA256, INSTALL, tmp_path) == first
    blocked = tmp_path / "a-file-not-a-directory"
    blocked.write_text("")
    assert int8_model(stored, MODEL_SHA256, INSTALL, blocked) == first
