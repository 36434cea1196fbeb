"""What an OpenAI-compatible server would have read at each of the turn end's training examples: the reading its
own combination (``TurnEndFit.server``) is fitted on.

A server's reading is its top log-probabilities after the user's words, calibrated onto the embedded model's
scale (``_models/_openai_calibration.py``). ``bench/end_of_turn_top_logprobs.py`` recorded, with the embedded
model, the top log-probabilities a server of the same weights returns after the words of every training example
(``_openai_calibration_fit.TOP_FILE``); each example's reading is that recording calibrated by a calibration
fitted as the shipped one is, but without the example's fold (``fit_calibration``'s ``held_out``): the
combination is fitted on readings of words the calibration never saw, as the model's readings come from heads
fitted without their case. No model runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from microturn.errors import ConfigError

if TYPE_CHECKING:
    from microturn._policies._full_duplex._decisions._learned._turn_end_fit import TurnEndExample

__all__ = ["server_readings", "server_sha256"]


def server_readings(root: Path, found: Sequence[TurnEndExample]) -> list[float]:
    """Each example's server reading (P(end), calibrated out of fold), from the recordings in the checkout ``root``."""
    from microturn._models._end_of_turn_head_fit import FEATURES_FILE, load_recorded
    from microturn._models._openai_calibration_fit import fit_calibration

    held_out = fit_calibration(root).held_out
    by_key = dict(zip(load_recorded(root / FEATURES_FILE).keys, held_out.tolist(), strict=True))
    try:
        return [by_key[example.id] for example in found]
    except KeyError as missing:
        raise ConfigError(f"no server reading for {missing}: run bench/end_of_turn_top_logprobs.py again") from None


def server_sha256(found: Sequence[TurnEndExample], readings: Sequence[float]) -> str:
    """The sha256 the server combination is stored with: a test compares it with the readings as they are now
    (after a new recording or calibration, the turn end is refitted)."""
    pairs = [[example.id, reading] for example, reading in zip(found, readings, strict=True)]
    return hashlib.sha256(json.dumps(pairs).encode()).hexdigest()
