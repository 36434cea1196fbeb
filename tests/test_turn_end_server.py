"""The learned turn end's combination for a server's reading (``TurnEndFit.server``): fitted on the training
examples' server readings as they are now (calibrated out of fold from the recorded top log-probabilities), and by
a fit that writes the same bytes every time."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from microturn._models._end_of_turn_head_fit import FEATURES_FILE, READINGS, REPOSITORY, load_recorded, save_recorded
from microturn._models._openai_calibration_fit import TOP_FILE, TopLogprobs, load_top, save_top
from microturn._policies._full_duplex._decisions._learned import _turn_end_fit
from microturn._policies._full_duplex._decisions._learned._turn_end import WAIT, load_fit
from microturn._policies._full_duplex._decisions._learned._turn_end_fit import (
    LATER,
    cross_validated,
    fit_turn_end,
    turn_end_examples,
)
from microturn._policies._full_duplex._decisions._learned._turn_end_server import server_readings, server_sha256
from microturn.errors import ConfigError

FAMILIES = {"pause": 60, "pause2": 20, "narrative": 8}
"""A small checkout: the first cases of each training file."""


def test_the_server_combination_was_fitted_on_the_server_readings_as_they_are() -> None:
    found = turn_end_examples()
    readings = server_readings(REPOSITORY, found)
    assert load_fit(WAIT).server_sha256 == server_sha256(found, readings), "refit: _fit.py turn-end"
    assert all(0.0 < reading < 1.0 for reading in readings)


def small_checkout(root: Path) -> None:
    """The first cases of each training file under ``root``, with their recorded readings, as a checkout has them."""
    kept: set[str] = set()
    for family, count in FAMILIES.items():
        lines = (REPOSITORY / "eval" / "trainset" / f"{family}.jsonl").read_text(encoding="utf-8").splitlines()[:count]
        kept |= {json.loads(line)["id"] for line in lines}
        (root / "eval" / "trainset").mkdir(parents=True, exist_ok=True)
        (root / "eval" / "trainset" / f"{family}.jsonl").write_text("".join(f"{line}\n" for line in lines))
    (root / "eval" / "devset").mkdir()
    for family in ("pause", "narrative"):
        (root / "eval" / "devset" / f"{family}.jsonl").write_text("")
    recorded = load_recorded(REPOSITORY / FEATURES_FILE)
    mine = np.array([case in kept for case in recorded.cases])
    keys = tuple(key for key, keep in zip(recorded.keys, mine, strict=True) if keep)
    save_recorded(
        type(recorded)(
            keys,
            tuple(case for case, keep in zip(recorded.cases, mine, strict=True) if keep),
            tuple(kind for kind, keep in zip(recorded.kinds, mine, strict=True) if keep),
            recorded.ends[mine],
            recorded.features[mine],
        ),
        root / FEATURES_FILE,
    )
    top = load_top(REPOSITORY / TOP_FILE)
    save_top(TopLogprobs(keys, top.logprobs[mine], top.ends_line[mine]), root / TOP_FILE)
    model = json.loads((REPOSITORY / READINGS).read_text(encoding="utf-8"))["probabilities"]
    (root / READINGS).write_text(json.dumps({"probabilities": {key: model[key] for key in keys}}))


def test_the_fit_writes_the_same_files_every_time_with_a_server_combination_of_its_own(tmp_path: Path) -> None:
    small_checkout(tmp_path)
    assert (tmp_path / LATER).exists()
    written = []
    for run in ("first", "second"):
        # the encoder as shipped: the tuned one's adapter differs in its last bits from one training to the next
        fit_turn_end(tmp_path, tmp_path / f"{run}-head.npz", tmp_path / f"{run}-wait.npz", tune=False)
        written.append(((tmp_path / f"{run}-head.npz").read_bytes(), (tmp_path / f"{run}-wait.npz").read_bytes()))
    assert written[0] == written[1]
    fit = load_fit(tmp_path / "first-wait.npz")
    assert len(fit.server) == len(fit.model)
    assert fit.server != fit.model  # fitted on the server's readings, not the head's
    found = turn_end_examples(tmp_path)
    assert fit.server_sha256 == server_sha256(found, server_readings(tmp_path, found))


def test_a_server_recording_that_misses_a_key_stops_the_fit_before_it_fits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A recording still being made (or made before cases were added) fails at once, not after the long fits."""
    small_checkout(tmp_path)
    top = load_top(tmp_path / TOP_FILE)
    save_top(TopLogprobs(top.keys[:-1], top.logprobs[:-1], top.ends_line[:-1]), tmp_path / TOP_FILE)
    monkeypatch.setattr(_turn_end_fit, "_frozen", lambda found: pytest.fail("fitted before reading the recording"))
    with pytest.raises(ConfigError, match="record both again"):
        cross_validated(tmp_path, tune=False)
