"""An encoder tuned for one decision: the low-rank adapter (``_sentences/_adapter.py``), its training
(``_sentences/_tune.py``), and the intent head that reads through it by default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from microturn._policies._full_duplex._decisions import IntentContext
from microturn._policies._full_duplex._decisions._learned._features import intent_features
from microturn._policies._full_duplex._decisions._learned._heads import INTENT, head
from microturn._policies._full_duplex._decisions._learned._intent import LearnedIntent
from microturn._sentences import Adapter, Head, load_head, sentence_encoder
from microturn._sentences._adapter import adapted
from microturn._sentences._encoder import INSTALL, SentenceEncoder, _model_path, tokenizer_path
from microturn._sentences._int8 import int8_products
from microturn._sentences._tune import ADAPTED, TunedEncoder, _padded, pooled, tune_adapter
from microturn.errors import ConfigError

jnp = pytest.importorskip("jax.numpy", reason="the fit extra (jax) is part of the dev install")

TEXTS = ["set a timer for five minutes", "i see", "so we drove up to the lake and then", "no don't stop"]


@pytest.fixture(scope="module")
def tuner() -> TunedEncoder:
    return TunedEncoder()


def _random_adapter(scale: float) -> Adapter:
    rng = np.random.default_rng(7)
    products = {}
    for layer in range(6):
        for part in ADAPTED:
            rows = 1536 if part == "output.dense" else 384
            columns = 1536 if part == "intermediate.dense" else 384
            products[f"layer.{layer}.{part}"] = (
                rng.normal(0, 1 / np.sqrt(rows), (rows, 8)).astype(np.float32),
                rng.normal(0, scale, (8, columns)).astype(np.float32),
            )
    return Adapter(products)


def _jax_pooled(tuner: TunedEncoder, adapter: Adapter | None) -> tuple[np.ndarray, np.ndarray]:
    ids, mask = _padded([tuner.ids(text) for text in TEXTS])
    matrices = None
    if adapter is not None:
        matrices = {name: (jnp.asarray(down), jnp.asarray(up)) for name, (down, up) in adapter.products.items()}
    mean, largest = pooled(tuner.states(matrices, jnp.asarray(ids), jnp.asarray(mask)), jnp.asarray(mask))
    return np.asarray(mean), np.asarray(largest)


def test_the_tuning_model_computes_the_shipped_encoders_embeddings(tuner: TunedEncoder) -> None:
    """The JAX encoder an adapter is trained in is the file's own, unpacked to float: same mean and max."""
    exact = SentenceEncoder(_model_path(), tokenizer_path(), int8=False)
    mean, largest = _jax_pooled(tuner, None)
    for row, text in enumerate(TEXTS):
        assert float(exact.pooled(text).mean @ mean[row]) > 0.9999
        assert float(exact.pooled(text).max @ largest[row]) > 0.9999


def test_an_adapter_runs_in_the_int8_encoder_as_it_was_trained(tuner: TunedEncoder) -> None:
    adapter = _random_adapter(0.3)
    tuned = SentenceEncoder(_model_path(), tokenizer_path(), adapter=adapter, cache=False)
    plain = SentenceEncoder(_model_path(), tokenizer_path())
    mean, _ = _jax_pooled(tuner, adapter)
    for row, text in enumerate(TEXTS):
        as_trained = float(tuned.encode(text) @ mean[row])
        assert as_trained > 0.95  # the int8 products' own distance from float (test_sentences_int8.py)
        assert float(plain.encode(text) @ mean[row]) < as_trained - 0.1  # and the adapter changed it


def test_an_adapter_is_stored_with_its_head_and_read_back(tmp_path: Path) -> None:
    adapter = _random_adapter(0.01)
    stored = Head(("a", "b"), np.zeros((3, 2), np.float32), np.zeros(2, np.float32), "sha", adapter)
    stored.save(tmp_path / "head.npz")
    loaded = load_head(tmp_path / "head.npz")
    assert loaded.adapter is not None
    assert loaded.adapter.digest == adapter.digest
    assert sorted(loaded.adapter.products) == sorted(adapter.products)
    plain = Head(("a",), np.zeros((3, 1), np.float32), np.zeros(1, np.float32), "sha")
    plain.save(tmp_path / "plain.npz")
    assert load_head(tmp_path / "plain.npz").adapter is None


def test_a_broken_adapter_is_a_config_error_that_says_what() -> None:
    with pytest.raises(ConfigError, match="do not chain"):
        Adapter({"layer.0.attention.self.query": (np.zeros((384, 8), np.float32), np.zeros((4, 384), np.float32))})
    with pytest.raises(ConfigError, match=r"no product layer\.9\.attention\.self\.query"):
        adapted(
            int8_products(_model_path().read_bytes(), INSTALL),
            Adapter({"layer.9.attention.self.query": (np.zeros((384, 8), np.float32), np.zeros((8, 384), np.float32))}),
            INSTALL,
        )


def test_tuning_pulls_the_examples_of_each_label_together(tuner: TunedEncoder) -> None:
    texts = ["halt the clock", "kill the timer", "scrap the countdown"]
    texts += ["what a lovely day", "the cat is asleep", "i like tea"]
    labels = ["cancel_timer"] * 3 + ["none"] * 3
    adapter = tune_adapter(texts, labels, encoder=tuner, epochs=12)
    same = np.array([[a == b for b in labels] for a in labels])

    def margin(encoder: SentenceEncoder) -> float:
        vectors = encoder.encode_all(texts)
        similar = vectors @ vectors.T
        return float(similar[same & ~np.eye(6, dtype=bool)].mean() - similar[~same].mean())

    before = margin(SentenceEncoder(_model_path(), tokenizer_path()))
    after = margin(SentenceEncoder(_model_path(), tokenizer_path(), adapter=adapter, cache=False))
    assert after > before + 0.1


def test_the_shipped_intent_head_reads_through_its_tuned_encoder() -> None:
    """The default path: the intent head stores its adapter, and the learned intent reads with it."""
    requests = head(INTENT)
    assert requests.adapter is not None
    expected = sorted(f"layer.{layer}.{part}" for layer in range(6) for part in ADAPTED)
    assert sorted(requests.adapter.products) == expected
    text = "could you halt the countdown"
    tuned = intent_features(text, requests.adapter)
    assert not np.allclose(tuned, intent_features(text))
    assert sentence_encoder(requests.adapter) is sentence_encoder(requests.adapter)  # loaded once per process
    seen: list[np.ndarray] = []
    original = requests.probabilities

    class Spy(Head):
        def probabilities(self, features: np.ndarray) -> dict[str, float]:
            seen.append(features)
            return original(features)

    spy = Spy(requests.labels, requests.weights, requests.bias, requests.examples_sha256, requests.adapter)
    LearnedIntent(spy).read(text, IntentContext())
    assert seen
    assert np.allclose(seen[0], tuned)


def test_the_intent_head_is_fitted_on_features_from_adapters_that_never_saw_their_case(
    monkeypatch: pytest.MonkeyPatch, fake_tuning: dict[str, list[str]]
) -> None:
    """Cross-fitting (``_tune.cross_fitted``, as ``_fit.fit_intent`` uses it): each case's features come from an
    adapter trained without it, and the adapter shipped with the head is trained on every case."""
    from microturn._policies._full_duplex._decisions._learned import _fit

    read_with: dict[str, str] = {}

    def fake_features(text: str, *, encoder: Any) -> np.ndarray:  # conftest's FakeEncoder
        read_with[text] = encoder.adapter.digest
        return np.full(4, float(len(text)), np.float32)

    monkeypatch.setattr(_fit, "intent_features", fake_features)
    cases = [{"text": f"text {index}", "label": "a" if index % 3 else "b"} for index in range(6)]
    fitted = _fit.fit_intent(cases)
    for text, digest in read_with.items():
        assert text not in fake_tuning[digest]
    assert len(read_with) == 6
    assert fitted.adapter is not None
    assert fake_tuning[fitted.adapter.digest] == [case["text"] for case in cases]
