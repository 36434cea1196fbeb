"""The embedded model's end-of-turn head: its features from the logits, its file, and its fit (TRAIN only, the turn
end's readings out of fold). The real model's readings are in test_end_of_turn_signal.py."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from microturn._models._end_of_turn_head import (
    CLASSES,
    COMMON,
    FEATURES,
    FLOOR,
    HEAD,
    EndOfTurnHead,
    classify,
    features,
    load_end_of_turn_head,
    shipped_head,
    vocabulary_of,
)
from microturn._models._end_of_turn_head_fit import (
    FEATURES_FILE,
    READINGS,
    REPOSITORY,
    WITHIN,
    Recorded,
    features_sha256,
    fit_end_of_turn_head,
    load_recorded,
    save_recorded,
)
from microturn._models._end_of_turn_speculation import speculation
from microturn._session._anticipation import PROBABLY_OVER
from microturn.errors import ConfigError

PIECES = [b"", b"\n", b"\n\n", b".", b"?", b",", b" and", b"ing", b"(", b" so", b"'", b"$"]
"""A tiny vocabulary: control, two line breaks, end and mid punctuation, two new words, the rest of a word, a
bracket, an apostrophe after a word, a symbol."""
AND, SO = PIECES.index(b" and"), PIECES.index(b" so")


@pytest.mark.parametrize(
    ("piece", "kind"),
    [
        (b"\n", "line break"),
        (b"\n\n\n", "line break"),
        (b".", "end punctuation"),
        (b"?", "end punctuation"),
        (b" .", "end punctuation"),
        (b"...", "end punctuation"),
        (b",", "mid punctuation"),
        (" —".encode(), "mid punctuation"),
        (b" and", "new word"),
        (b" I", "new word"),
        (b" 42", "new word"),
        (b"ing", "rest of word"),
        (b"'", "rest of word"),  # "it" then "'s": the word goes on
        (b" '", "bracket or quote"),
        (b"(", "bracket or quote"),
        (b'"', "bracket or quote"),
        (b"", "other"),  # <eos>, <end_of_turn>: control tokens have no text
        (b" ", "other"),
        (b"$", "other"),
        (b"\xe0", "other"),  # a byte token that is no character alone
    ],
)
def test_each_token_is_classed_by_its_text(piece: bytes, kind: str) -> None:
    assert CLASSES[classify(piece)] == kind


def test_the_features_are_the_class_probabilities_entropy_top_1_and_the_common_words_as_the_softmax_gives_them() -> (
    None
):
    common = [SO if word == "so" else AND for word in COMMON]
    known = vocabulary_of(PIECES, common)
    assert known.classes.tolist() == [6, 0, 0, 1, 1, 2, 3, 4, 5, 3, 4, 6]
    logits = np.array([0.5, 2.0, 1.0, 1.5, -1.0, 0.0, 1.0, -2.0, -10.0, 0.3, 0.1, -0.5], np.float32)
    p = np.exp(logits.astype(np.float64)) / np.exp(logits.astype(np.float64)).sum()
    row = features(logits, known)
    assert len(row) == len(FEATURES)
    by_name = dict(zip(FEATURES, row.tolist(), strict=True))
    assert by_name["log P(line break)"] == pytest.approx(math.log(p[1] + p[2]), abs=1e-6)
    assert by_name["log P(end punctuation)"] == pytest.approx(math.log(p[3] + p[4]), abs=1e-6)
    assert by_name["log P(new word)"] == pytest.approx(math.log(p[6] + p[9]), abs=1e-6)
    assert by_name["log P(bracket or quote)"] == pytest.approx(math.log(p[8]), abs=1e-5)  # unlikely, but above FLOOR
    assert by_name["entropy"] == pytest.approx(-(p * np.log(p)).sum(), abs=1e-5)
    assert by_name["top-1"] == pytest.approx(p.max(), abs=1e-6)
    assert by_name["log P( so)"] == pytest.approx(math.log(p[SO]), abs=1e-6)
    assert by_name["log P( and)"] == pytest.approx(math.log(p[AND]), abs=1e-6)


def test_a_class_the_model_does_not_expect_reads_as_the_floor_not_minus_infinity() -> None:
    known = vocabulary_of([b" and", b".", b"\n"], [0] * len(COMMON))  # no mid punctuation, no bracket, no other
    row = dict(zip(FEATURES, features(np.array([1.0, 0.0, -80.0], np.float32), known).tolist(), strict=True))
    assert row["log P(mid punctuation)"] == row["log P(other)"] == FLOOR
    assert row["log P(line break)"] == FLOOR  # e^-81 of the total: not expected at all
    assert row["top-1"] == pytest.approx(1 / (1 + math.exp(-1)), abs=1e-6)


def test_a_vocabulary_needs_an_id_for_every_common_word() -> None:
    with pytest.raises(ValueError, match="common"):
        vocabulary_of(PIECES, [AND])


def test_a_head_is_saved_and_loaded_as_it_was(tmp_path: Path) -> None:
    size = len(FEATURES)
    head = EndOfTurnHead(np.linspace(-1, 1, size), np.full(size, 2.0), np.linspace(0, 1, size), -0.5, "abc")
    head.save(tmp_path / "head.npz")
    loaded = load_end_of_turn_head(tmp_path / "head.npz")
    row = np.linspace(3, -3, size)
    assert loaded.probability(row) == pytest.approx(head.probability(row))
    assert loaded.features_sha256 == "abc"


def test_a_missing_or_broken_head_is_a_config_error_that_says_to_reinstall(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="reinstall microturn"):
        load_end_of_turn_head(tmp_path / "missing.npz")
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="reinstall microturn"):
        load_end_of_turn_head(tmp_path / "broken.npz")
    np.savez(tmp_path / "other.npz", names=np.array(["log P(line break)"]), mean=np.zeros(1), scale=np.ones(1))
    with pytest.raises(ConfigError, match="reinstall microturn"):
        load_end_of_turn_head(tmp_path / "other.npz")


def test_a_head_that_reads_other_features_is_refused(tmp_path: Path) -> None:
    size = len(FEATURES)
    EndOfTurnHead(np.zeros(size), np.ones(size), np.zeros(size), 0.0, "abc").save(tmp_path / "head.npz")
    with np.load(tmp_path / "head.npz") as data:
        arrays = dict(data)
    np.savez(tmp_path / "renamed.npz", **{**arrays, "names": np.array(["entropy", *FEATURES[1:]])})
    with pytest.raises(ConfigError, match="other features"):
        load_end_of_turn_head(tmp_path / "renamed.npz")


def test_the_shipped_head_was_fitted_on_the_features_as_recorded() -> None:
    recorded = load_recorded(REPOSITORY / FEATURES_FILE)
    refit = "refit: python -m microturn._models._end_of_turn_head_fit"
    assert load_end_of_turn_head(HEAD).features_sha256 == features_sha256(recorded), refit


def test_the_recorded_readings_are_the_heads_dev_readings_and_out_of_fold_train_readings() -> None:
    recorded = load_recorded(REPOSITORY / FEATURES_FILE)
    readings = json.loads((REPOSITORY / READINGS).read_text())["probabilities"]
    assert set(readings) == set(recorded.keys)
    head = shipped_head()
    shipped = {key: round(head.probability(row), 6) for key, row in zip(recorded.keys, recorded.features, strict=True)}
    dev = [key for key, case in zip(recorded.keys, recorded.cases, strict=True) if case.endswith("-dev")]
    train = [key for key in recorded.keys if key not in set(dev)]
    assert dev
    assert all(readings[key] == pytest.approx(shipped[key], abs=2e-6) for key in dev)
    differ = sum(abs(readings[key] - shipped[key]) > 1e-3 for key in train)
    assert differ > 0.9 * len(train)  # each from a head that never saw its case, not the shipped one


DEV = np.arange(50) >= 40


def synthetic(tmp_path: Path, *, within: int = 0) -> Recorded:
    """A recorded file of 40 train cases and 10 dev ones whose ends show in the first feature, and ``within``
    earlier words of the first train cases, written under ``tmp_path`` as a checkout holds it."""
    cases = tuple(f"pause-{i:04d}-{'dev' if DEV[i] else 'train'}" for i in range(50))
    ends = np.arange(50) % 2 == 0
    rows = np.random.default_rng(7).normal(size=(50 + within, len(FEATURES)))
    rows[:50, 0] += 2.0 * ends
    earlier = tuple(f"{case}@1" for case in cases[:within])
    recorded = Recorded(
        cases + earlier,
        cases + cases[:within],
        ("spoken",) * 50 + (WITHIN,) * within,
        np.concatenate([ends, np.zeros(within, np.bool_)]),
        rows,
    )
    save_recorded(recorded, tmp_path / FEATURES_FILE)
    return recorded


def test_the_fit_is_on_train_pauses_only_and_deterministic(tmp_path: Path) -> None:
    recorded = synthetic(tmp_path)
    fit_end_of_turn_head(tmp_path, tmp_path / "head.npz")
    written = (tmp_path / READINGS).read_bytes()
    head = load_end_of_turn_head(tmp_path / "head.npz")
    assert head.features_sha256 == features_sha256(load_recorded(tmp_path / FEATURES_FILE))  # as the file holds it
    save_recorded(replace(recorded, ends=recorded.ends ^ DEV), tmp_path / FEATURES_FILE)  # dev labels flipped
    fit_end_of_turn_head(tmp_path, tmp_path / "flipped.npz")
    flipped = load_end_of_turn_head(tmp_path / "flipped.npz")
    assert np.array_equal(flipped.weights, head.weights)
    assert flipped.bias == head.bias
    synthetic(tmp_path, within=20)  # earlier words are read, not fitted on
    fit_end_of_turn_head(tmp_path, tmp_path / "within.npz")
    assert np.array_equal(load_end_of_turn_head(tmp_path / "within.npz").weights, head.weights)
    synthetic(tmp_path)
    fit_end_of_turn_head(tmp_path, tmp_path / "head.npz")
    assert (tmp_path / READINGS).read_bytes() == written


def test_the_readings_written_are_the_heads_for_dev_and_out_of_fold_for_train(tmp_path: Path) -> None:
    recorded = synthetic(tmp_path, within=20)
    fit_end_of_turn_head(tmp_path, tmp_path / "head.npz")
    head = load_end_of_turn_head(tmp_path / "head.npz")
    readings = json.loads((tmp_path / READINGS).read_text())["probabilities"]
    shipped = [round(head.probability(row), 6) for row in recorded.features]
    written = [readings[key] for key in recorded.keys]
    dev = [case.endswith("-dev") for case in recorded.cases]
    assert [w for w, d in zip(written, dev, strict=True) if d] == [s for s, d in zip(shipped, dev, strict=True) if d]
    assert all(w != s for w, s, d in zip(written, shipped, dev, strict=True) if not d)


def test_speculation_starts_where_the_train_readings_waste_it_no_more_often_than_p_line_break_did() -> None:
    recorded = load_recorded(REPOSITORY / FEATURES_FILE)
    readings = json.loads((REPOSITORY / READINGS).read_text())["probabilities"]
    chosen = speculation(recorded, readings)
    assert chosen.threshold == PROBABLY_OVER, f"set PROBABLY_OVER to {chosen}"
    assert chosen.went_on <= chosen.went_on_before
    assert chosen.ends > chosen.ends_before  # more real ends get their reply started early


def test_the_speculation_threshold_is_the_smallest_that_keeps_the_waste() -> None:
    cases = ("a-train", "b-train", "c-train", "d-train", "e-dev")
    line_break = np.log([0.6, 0.1, 0.1, 0.7, 0.9])  # before: one place the turn went on (a) reached 0.5
    rows = np.zeros((5, len(FEATURES)))
    rows[:, 0] = line_break
    recorded = Recorded(cases, cases, ("spoken",) * 5, np.array([False, False, False, True, False]), rows)
    readings = {"a-train": 0.3, "b-train": 0.55, "c-train": 0.2, "d-train": 0.9, "e-dev": 0.99}
    chosen = speculation(recorded, readings)
    assert chosen.threshold == 0.31  # 0.3 and 0.55 reach 0.30; only 0.55 reaches 0.31 (dev is not counted)
    assert (chosen.ends, chosen.went_on, chosen.ends_before, chosen.went_on_before) == (1, 1, 1, 1)
