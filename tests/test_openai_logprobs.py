"""A server's end-of-turn reading, calibrated onto the embedded model's scale: through the real OpenAI client
against a FAKE server that returns the top log-probabilities it is given; and the calibration's fit (TRAIN only,
the shipped file as the fit writes it). The real llama.cpp server's reading is in test_monitor_server.py."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from _fake_completions import completion, fake_completions
from microturn import ModelRequest, SystemClock
from microturn._models._end_of_turn_head_fit import FEATURES_FILE, REPOSITORY, WITHIN, load_recorded, save_recorded
from microturn._models._openai import OpenAICompatibleModel
from microturn._models._openai_calibration import (
    CALIBRATION,
    FLOOR,
    Calibration,
    Reading,
    load_calibration,
    reading,
    shipped_calibration,
)
from microturn._models._openai_calibration_fit import (
    TOP_FILE,
    fit_calibration,
    load_top,
    readings,
    save_top,
    top_sha256,
)
from microturn._models._openai_logprobs import TOP_LOGPROBS
from microturn.errors import ConfigError

WORDS = {f" word{i}": -2.0 - 0.1 * i for i in range(TOP_LOGPROBS - 1)}
"""The top tokens besides the line's end: new words, from -2.0 down to -3.8."""


@contextlib.contextmanager
def serving(top: dict[str, float]) -> Iterator[str]:
    """A FAKE OpenAI-compatible server whose one-token completions have ``top`` as their top log-probabilities."""

    def answer(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        first = max(top, key=lambda token: top[token])
        logprobs = {"tokens": [first], "token_logprobs": [top[first]], "top_logprobs": [top], "text_offset": [0]}
        return 200, completion(
            body["model"], {"text": first, "index": 0, "logprobs": logprobs, "finish_reason": "length"}
        )

    with fake_completions(answer) as base_url:
        yield base_url


def read_by_server(top: dict[str, float]) -> float:
    """What ``OpenAICompatibleModel.end_of_turn`` answers when the server's top log-probabilities are ``top``."""
    with serving(top) as base_url:
        model = OpenAICompatibleModel(base_url=base_url, model="fake", clock=SystemClock(), timeout=30.0)
        request = ModelRequest(timeline="[00:01.0] user: i am done", user_text="i am done", elapsed=2.0, wall=2.0)

        async def main() -> float | None:
            try:
                return await model.end_of_turn(request)
            finally:
                await model.aclose()

        read = asyncio.run(main())
    assert read is not None
    return read


def with_line_break(p: float, token: str = "\n") -> dict[str, float]:
    return {**WORDS, token: math.log(p)}


def calibrated(log_p: float, *, missing: bool = False) -> float:
    return shipped_calibration().probability(Reading(log_p, missing))


# --- the reading through the client --------------------------------------------------------------------


def test_a_line_break_in_the_top_tokens_is_read_as_the_calibrated_p_end_not_the_raw_p_line_break() -> None:
    read = read_by_server(with_line_break(0.3))
    assert read == pytest.approx(calibrated(math.log(0.3)), abs=1e-12)
    assert read > 0.4  # the raw P(line break) at a real end (median ~0.3) is P(end) ~0.45 on TRAIN
    mid_sentence = read_by_server(with_line_break(0.007))  # the raw reading's median mid-sentence
    assert 0.1 < mid_sentence < read  # as the head reads mid-sentence (median 0.10): low, not next to nothing


def test_the_calibrated_reading_grows_with_the_line_break_s_probability() -> None:
    reads = [read_by_server(with_line_break(p)) for p in (0.02, 0.1, 0.3, 0.6)]
    assert reads == sorted(reads)
    assert len(set(reads)) == len(reads)


def test_every_line_ending_token_counts_as_one_mass() -> None:
    apart = {**WORDS, "\n": math.log(0.2), "\n\n": math.log(0.1), "<end_of_turn>": math.log(0.05)}
    assert read_by_server(apart) == pytest.approx(calibrated(math.log(0.35)), abs=1e-12)


def test_no_line_break_in_the_top_tokens_is_a_low_but_valid_probability_bounded_by_the_least_likely_token() -> None:
    read = read_by_server(dict(WORDS))
    least = min(WORDS.values())
    assert read == pytest.approx(calibrated(least, missing=True), abs=1e-12)
    assert 0.0 < read < calibrated(least)  # below a line break as likely as the least likely token
    assert read < 0.2  # the raw reading was 0.0: nothing said, where the turn end reads "the turn goes on"


def test_a_reading_is_floored_and_ignores_what_is_not_a_finite_log_probability() -> None:
    assert reading([(-40.0, True), (-1.0, False)]) == Reading(FLOOR, missing=False)
    assert reading([(-1.0, False), (-50.0, False)]) == Reading(FLOOR, missing=True)
    assert reading([(0.2, True), (-1.0, False)]) == Reading(0.0, missing=False)
    assert reading([(math.nan, True), (-math.inf, True), (-2.0, False)]) == Reading(-2.0, missing=True)
    assert reading([]) is None


# --- the calibration's file and fit ----------------------------------------------------------------------


def test_the_shipped_calibration_is_what_the_fit_writes_from_the_recorded_top_log_probabilities() -> None:
    refit = "refit: python -m microturn._models._openai_calibration_fit"
    shipped = load_calibration(CALIBRATION)
    assert shipped.top_sha256 == top_sha256(load_top(REPOSITORY / TOP_FILE)), refit
    assert shipped.top_logprobs == TOP_LOGPROBS  # fitted on what the client asks for
    assert CALIBRATION.read_text(encoding="utf-8") == fit_calibration().calibration.to_json(), refit


def test_a_missing_or_broken_calibration_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_calibration(tmp_path / "none.json")
    (tmp_path / "broken.json").write_text('{"weights": [1.0]}')
    with pytest.raises(ConfigError, match="cannot read"):
        load_calibration(tmp_path / "broken.json")
    kept = Calibration((0.5, -1.0), 0.25, TOP_LOGPROBS, "abc")
    (tmp_path / "kept.json").write_text(kept.to_json())
    assert load_calibration(tmp_path / "kept.json") == kept


def test_a_recording_cut_to_fewer_tokens_is_read_as_a_server_returning_that_many() -> None:
    top = load_top(REPOSITORY / TOP_FILE)
    full, cut = readings(top), readings(top, 5)
    assert sum(r.missing for r in cut) > sum(r.missing for r in full)
    fifth = np.maximum(FLOOR, top.logprobs[:, 4])
    assert all(c.log_p == fifth[i] for i, c in enumerate(cut) if c.missing)  # bounded by the fifth, not the 20th
    with pytest.raises(ConfigError):
        readings(top, TOP_LOGPROBS + 1)


def test_the_fit_is_on_train_pauses_and_story_cuts_only(tmp_path: Path) -> None:
    recorded = load_recorded(REPOSITORY / FEATURES_FILE)
    top = load_top(REPOSITORY / TOP_FILE)
    save_top(top, tmp_path / TOP_FILE)
    save_recorded(recorded, tmp_path / FEATURES_FILE)
    shipped = fit_calibration(tmp_path)
    dev = np.array([case.endswith("-dev") for case in recorded.cases])
    within = np.array([kind == WITHIN for kind in recorded.kinds])
    assert dev.any()
    assert within.any()
    save_recorded(replace(recorded, ends=recorded.ends ^ (dev | within)), tmp_path / FEATURES_FILE)
    flipped = fit_calibration(tmp_path)  # dev labels and earlier words' flipped: neither is fitted on
    assert flipped.calibration == shipped.calibration
    assert not flipped.held_out[dev].any()  # dev keys are not read out of fold
    assert (shipped.held_out[~dev] > 0.0).all()
