"""The learned turn end, out of fold on TRAIN, when the model's reading comes from a server's top log-probabilities.

The turn end's combination weighs the model's P(end) as fitted on the embedded model's head
(``_turn_end_fit.py``), and so it ships: with a server, the same weights and cost of delay read the server's
reading instead. This plays that back on the training examples as ``bench/decisions_cross_validation.py turn-end``
does (folds by case, ``_turn_end_cv.outcome``), the combination of each fold fitted on the other folds with the
head's readings (as shipped) and read with

- ``head``: the embedded model's head (out of fold), as shipped: the reference;
- ``raw``: a server's P(line break) among its top ``TOP_LOGPROBS`` tokens (0 when none ends the line), as the
  client passed it on before its calibration;
- ``calibrated``: that reading calibrated (``_models/_openai_calibration.py``; out of fold);

each at the cost of delay chosen for the head's readings (the shipped choice), and, for comparison,
``calibrated, refit``: the combinations fitted on the calibrated readings and their own cost chosen, what a turn
end fitted for a server would do. Several minutes (it encodes every example's words once).

    python bench/openai_end_of_turn_cv.py
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from end_of_turn import auc
from microturn._models._end_of_turn_head_fit import FEATURES_FILE, load_recorded
from microturn._models._openai_calibration_fit import TOP_FILE, fit_calibration, load_top, raw_probability, readings
from microturn._policies._full_duplex._decisions._learned._intent import LearnedIntent
from microturn._policies._full_duplex._decisions._learned._turn_end import head_features, linear
from microturn._policies._full_duplex._decisions._learned._turn_end_cv import Outcome, outcome
from microturn._policies._full_duplex._decisions._learned._turn_end_fit import (
    DELAY_COSTS,
    FOLDS,
    LATER_FIT,
    TurnEndExample,
    _evidence,
    _folds,
    _logistic,
    _out_of_fold,
    _probability_of,
    candidates,
    choose,
    cross_validated,
    is_later,
    turn_end_sha256,
)
from microturn._sentences import sentence_encoder

ROOT = Path(__file__).resolve().parent.parent


def server_readings() -> dict[str, dict[str, float]]:
    """Each TRAIN key's server reading: raw, and calibrated out of fold."""
    recorded = load_recorded(ROOT / FEATURES_FILE)
    raw = [raw_probability(r) for r in readings(load_top(ROOT / TOP_FILE))]
    held_out = fit_calibration(ROOT).held_out
    return {
        "raw": dict(zip(recorded.keys, raw, strict=True)),
        "calibrated": dict(zip(recorded.keys, held_out.tolist(), strict=True)),
    }


def words_log_odds(found: list[TurnEndExample]) -> list[float]:
    """Each example's words head log-odds out of fold, as ``cross_validated`` reads them (it keeps only what the
    combinations make of them; ``main`` checks that the head's readings give its probabilities again)."""
    encoder = sentence_encoder()
    features = np.stack([head_features(encoder, e.text, typed=e.typed, agent_asked=e.agent_asked) for e in found])
    ends = np.array([e.end for e in found])
    heads = np.array([not e.stretch_start or (LATER_FIT == "head" and is_later(e)) for e in found])
    return _out_of_fold(features, ends, found, turn_end_sha256(found), heads)


def evidence_rows(
    found: list[TurnEndExample], words: Sequence[float], model: Sequence[float]
) -> npt.NDArray[np.float64]:
    """The combination's evidence of each example with ``model`` as its model reading."""
    intent = LearnedIntent()
    return np.array(
        [
            _evidence(w, replace(e, model=m), intent, with_model=True)
            for w, e, m in zip(words, found, model, strict=True)
        ]
    )


def read_with(
    found: list[TurnEndExample], fitted_on: npt.NDArray[np.float64], read: npt.NDArray[np.float64]
) -> list[float]:
    """Each example's P(end) by the combination fitted on the other folds' ``fitted_on`` rows, read on ``read``."""
    folds = _folds(found)
    ends = np.array([e.end for e in found])
    probabilities = [0.0] * len(found)
    for fold in range(FOLDS):
        others = [i for i, e in enumerate(found) if folds[e.case] != fold]
        weights = _logistic(fitted_on[others], ends[others])
        for i, e in enumerate(found):
            if folds[e.case] == fold:
                probabilities[i] = _probability_of(linear(weights, read[i].tolist()))
    return probabilities


def row(name: str, found: list[TurnEndExample], p: Sequence[float], played: Outcome) -> str:
    spoken = [(e, q) for e, q in zip(found, p, strict=True) if e.case.startswith("pause") and not e.typed]
    area = auc([q for e, q in spoken if e.end], [q for e, q in spoken if not e.end])
    return (
        f"{name:<19} delay_cost {played.delay_cost:<7} spoken pauses AUC {area}  fast ends {played.fast:.3f}  "
        f"pauses any speech {played.any_speech:.3f}  backchannelled {played.backchannelled:.3f}  "
        f"stories listened {played.listened:.3f}  replied {played.story_replies:.3f}"
    )


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    folds = cross_validated(ROOT)
    found = folds.found
    words = words_log_odds(found)
    head_rows = evidence_rows(found, words, [e.model for e in found])
    if not np.allclose(read_with(found, head_rows, head_rows), folds.with_model, atol=1e-9):
        raise SystemExit("the combinations read here differ from cross_validated's: update this bench")
    print(row("words", found, folds.words, choose(candidates(folds, with_model=False))))
    shipped = choose(candidates(folds, with_model=True))
    print(row("head", found, folds.with_model, shipped))
    server = {
        name: evidence_rows(found, words, [by_key[e.id] for e in found]) for name, by_key in server_readings().items()
    }
    for name, rows in server.items():
        p = read_with(found, head_rows, rows)
        print(row(name, found, p, outcome(folds.fit, shipped.delay_cost, found, p)))
    refit = read_with(found, server["calibrated"], server["calibrated"])
    best = choose([outcome(folds.fit, cost, found, refit) for cost in DELAY_COSTS])
    print(row("calibrated, refit", found, refit, best))


if __name__ == "__main__":
    main()
