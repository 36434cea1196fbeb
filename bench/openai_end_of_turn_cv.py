"""The learned turn end, out of fold on TRAIN, when the model's reading comes from a server's top log-probabilities.

The turn end weighs a server's calibrated reading with a combination and a cost of delay of its own
(``TurnEndFit.server`` and ``server_delay_cost``, fitted by ``_turn_end_fit.py``); before, it weighed it with the
head's. This plays both back on the training examples as ``bench/decisions_cross_validation.py turn-end`` does
(folds by case, ``_turn_end_cv.outcome``), each example's probability from combinations fitted on the other folds:

- ``words``, ``head``: the words alone and the embedded model's head (out of fold), as shipped: the references;
- ``raw, head's``: a server's P(line break) among its top ``TOP_LOGPROBS`` tokens (0 when none ends the line), as
  the client passed it on before its calibration, read by the head's combination at the head's cost;
- ``calibrated, head's``: that reading calibrated (``_models/_openai_calibration.py``; out of fold) and read the
  same way: what shipped before the server's combination;
- ``server``: the calibrated reading read by the server's own combination at its own cost, as shipped.

About half an hour (``cross_validated`` tunes the head's encoder in each fold).

    python bench/openai_end_of_turn_cv.py
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from end_of_turn import auc
from microturn._models._end_of_turn_head_fit import FEATURES_FILE, load_recorded
from microturn._models._openai_calibration_fit import TOP_FILE, load_top, raw_probability, readings
from microturn._policies._full_duplex._decisions._learned._intent import LearnedIntent
from microturn._policies._full_duplex._decisions._learned._turn_end import WAIT, linear, load_fit
from microturn._policies._full_duplex._decisions._learned._turn_end_cv import Outcome, outcome
from microturn._policies._full_duplex._decisions._learned._turn_end_fit import (
    FOLDS,
    TurnEndExample,
    _folds,
    _logistic,
    _probability_of,
    candidates,
    choose,
    commands_of,
    cross_validated,
    evidence_rows,
)

ROOT = Path(__file__).resolve().parent.parent


def raw_readings(found: list[TurnEndExample]) -> list[float]:
    """Each example's raw server reading: P(line break) among the top tokens, 0 when none ends the line."""
    recorded = load_recorded(ROOT / FEATURES_FILE)
    raw = [raw_probability(r) for r in readings(load_top(ROOT / TOP_FILE))]
    by_key = dict(zip(recorded.keys, raw, strict=True))
    return [by_key[e.id] for e in found]


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
    words = folds.head_log_odds
    commands = commands_of(found, LearnedIntent())
    head_rows = evidence_rows(found, words, commands, [e.model for e in found])
    server_rows = evidence_rows(found, words, commands, folds.server)
    if not np.allclose(read_with(found, head_rows, head_rows), folds.with_model, atol=1e-9) or not np.allclose(
        read_with(found, server_rows, server_rows), folds.with_server, atol=1e-9
    ):
        raise SystemExit("the combinations read here differ from cross_validated's: update this bench")
    print(row("words", found, folds.words, choose(candidates(folds, folds.words))))
    head = choose(candidates(folds, folds.with_model))
    print(row("head", found, folds.with_model, head))
    for name, reading in (("raw, head's", raw_readings(found)), ("calibrated, head's", folds.server)):
        p = read_with(found, head_rows, evidence_rows(found, words, commands, reading))
        print(row(name, found, p, outcome(folds.fit, head.delay_cost, found, p)))
    server = choose(candidates(folds, folds.with_server))
    print(row("server", found, folds.with_server, server))
    shipped = load_fit(WAIT)
    if (shipped.server, shipped.server_delay_cost) != (folds.fit.server, server.delay_cost):
        print(f"(the shipped {WAIT.name} holds another server combination: refit it with _fit.py turn-end)")


if __name__ == "__main__":
    main()
