"""Fitting the end-of-turn head (``_end_of_turn_head.py``) on TRAIN only, and the readings the turn end learns from.

``bench/end_of_turn_signals.py`` records, with the real model, the distribution's ``features`` after the words
before every pause and story cut of the training and development sets, and after each earlier word of the
training set's spoken pause cases (kind ``WITHIN``: places the user went on without a pause, where the session
reads too), in ``FEATURES_FILE``: each key's features, its case, whether the turn ended there, and its kind. This
fit runs no model; from that file it

1. fits the head on the TRAIN keys (a case id not ending in ``-dev``) that are pauses or story cuts, the places
   the turn end weighs the reading at: a logistic regression over the standardised features, by Newton's method
   from zeros (deterministic), its L2 penalty the one of ``PENALTIES`` with the least out-of-fold log loss over
   five folds grouped by case (a story's cuts share one; the folds are the learned turn end's: by a hash of the
   case id), and writes it to ``end_of_turn_head.npz`` with the sha256 of the features it was fitted on;
2. rewrites ``READINGS`` (``eval/signals/model_end_of_turn.json``, the probabilities the learned turn end is fitted
   on and ``microturn devset`` replays): for a TRAIN key, the probability from the head fitted on the other four
   folds (out of fold, so the turn end's combination is fitted on readings like those of words the head never
   saw, not on the head's own training examples; an earlier word's too), and for a dev key the shipped head's.

It prints the out-of-fold log loss of each penalty, the AUC (end vs continue) of P(line break) and of the head per
kind of TRAIN key, and the speculation threshold those readings give (``_end_of_turn_speculation.py``: the
session's ``PROBABLY_OVER``). Then refit the turn end (``_learned/_turn_end_fit.py``), which reads ``READINGS``.

    python -m microturn._models._end_of_turn_head_fit
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from microturn._models._end_of_turn_head import FEATURES, HEAD, LINE_BREAK, EndOfTurnHead
from microturn._models._end_of_turn_speculation import speculation
from microturn._sentences import fit_logistic
from microturn._sentences._logistic import auc
from microturn.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "FEATURES_FILE",
    "PENALTIES",
    "READINGS",
    "REPOSITORY",
    "WITHIN",
    "Recorded",
    "features_sha256",
    "fit_end_of_turn_head",
    "load_recorded",
    "save_recorded",
]

REPOSITORY = Path(__file__).resolve().parents[3]
"""The checkout this file is in (``src/microturn/_models/``)."""
FEATURES_FILE = Path("eval") / "signals" / "model_end_of_turn_features.npz"
READINGS = Path("eval") / "signals" / "model_end_of_turn.json"
PENALTIES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
"""The L2 penalties (per example, on the standardised features) cross-validation chooses among."""
FOLDS = 5
DEV = "-dev"
WITHIN = "within"
"""The kind of an earlier word of a pause case (``<id>@<n>``: its first n words), said without a pause."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """The features read on every key (``bench/end_of_turn_signals.py``), and what each key is."""

    keys: tuple[str, ...]
    cases: tuple[str, ...]
    """The case each key comes from: a story's cuts (``<id>#<k>``) share theirs."""
    kinds: tuple[str, ...]
    """``spoken``, ``typed`` (a pause case), ``later`` (a later pause), ``story`` (a story's cut), ``WITHIN``."""
    ends: npt.NDArray[np.bool_]
    features: npt.NDArray[np.float64]


def save_recorded(recorded: Recorded, path: Path) -> None:
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        np.savez_compressed(  # the keys' fixed-width strings compress well
            file,
            names=np.array(FEATURES),
            keys=np.array(recorded.keys),
            cases=np.array(recorded.cases),
            kinds=np.array(recorded.kinds),
            ends=recorded.ends,
            features=recorded.features.astype(np.float32),  # 7 digits: more than a fit needs, half the size
        )


def load_recorded(path: Path) -> Recorded:
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as data:
            names = tuple(str(name) for name in data["names"])
            recorded = Recorded(
                keys=tuple(str(key) for key in data["keys"]),
                cases=tuple(str(case) for case in data["cases"]),
                kinds=tuple(str(kind) for kind in data["kinds"]),
                ends=data["ends"].astype(np.bool_),
                features=data["features"].astype(np.float64),
            )
    except (OSError, KeyError, ValueError) as error:
        raise ConfigError(f"cannot read {path} ({error}): record it with bench/end_of_turn_signals.py") from None
    if names != FEATURES:
        raise ConfigError(f"{path} holds other features than the head's: record it with bench/end_of_turn_signals.py")
    return recorded


def features_sha256(recorded: Recorded) -> str:
    """The sha256 of what was recorded (not of the file: ``np.savez`` stamps it with the time)."""
    digest = hashlib.sha256()
    digest.update(json.dumps([recorded.keys, recorded.cases, recorded.kinds, recorded.ends.tolist()]).encode())
    digest.update(recorded.features.astype("<f8").tobytes())
    return digest.hexdigest()


def fit_end_of_turn_head(root: Path = REPOSITORY, head: Path = HEAD) -> None:
    """Fit the head on the TRAIN pauses and story cuts of ``root``'s recorded features, write it to ``head``, and
    rewrite ``root``'s ``READINGS`` (out of fold for TRAIN keys; see the module's docstring)."""
    import numpy as np

    recorded = load_recorded(root / FEATURES_FILE)
    train = np.array([not case.endswith(DEV) for case in recorded.cases])
    fitted = train & np.array([kind != WITHIN for kind in recorded.kinds])
    x, y = recorded.features, recorded.ends
    folds = _folds([case for case, fits in zip(recorded.cases, fitted, strict=True) if fits])
    fold_of = np.array([folds.get(case, -1) if fits else -1 for case, fits in zip(recorded.cases, train, strict=True)])
    losses = {l2: _log_loss(_out_of_fold(x, y, fold_of, fitted, l2), y, fitted) for l2 in PENALTIES}
    chosen = min(PENALTIES, key=lambda l2: (round(losses[l2], 6), -l2))  # a tie: the stronger penalty
    shipped = _fit(x[fitted], y[fitted], chosen, features_sha256(recorded))
    shipped.save(head)
    held_out = _out_of_fold(x, y, fold_of, fitted, chosen)
    readings = {
        key: round(held_out[i] if train[i] else shipped.probability(x[i]), 6) for i, key in enumerate(recorded.keys)
    }
    about = (
        "python -m microturn._models._end_of_turn_head_fit: the head's P(end), out of fold for TRAIN keys, "
        "the shipped head's for dev keys"
    )
    report = json.dumps({"about": about, "probabilities": readings}, indent=1, sort_keys=True)
    (root / READINGS).write_text(report + "\n")
    for l2 in PENALTIES:
        print(f"l2 {l2:<7} out-of-fold log loss {losses[l2]:.4f}{'  chosen' if l2 == chosen else ''}")
    for kind in sorted(set(recorded.kinds) - {WITHIN}):
        mine = np.array([k == kind for k in recorded.kinds]) & train
        line_break, read = auc(np.exp(x[mine, LINE_BREAK]), y[mine]), auc(held_out[mine], y[mine])
        print(f"train {kind:<7} AUC P(line break) {line_break:.3f}  the head, out of fold {read:.3f}")
    print(speculation(recorded, readings))
    print(f"wrote {head} and {root / READINGS}")


def _fit(x: npt.NDArray[np.float64], y: npt.NDArray[np.bool_], l2: float, digest: str) -> EndOfTurnHead:
    """A logistic regression on ``x`` standardised by its own mean and spread (``fit_logistic``)."""
    import numpy as np

    mean = x.mean(axis=0)
    scale = np.where(x.std(axis=0) > 1e-9, x.std(axis=0), 1.0)
    weights = fit_logistic((x - mean) / scale, y, l2)
    return EndOfTurnHead(mean, scale, weights[:-1], float(weights[-1]), digest)


def _out_of_fold(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.bool_],
    fold_of: npt.NDArray[np.int_],
    fitted: npt.NDArray[np.bool_],
    l2: float,
) -> npt.NDArray[np.float64]:
    """Each TRAIN key's probability from a head fitted on the other folds' ``fitted`` keys (dev keys: 0, unused)."""
    import numpy as np

    held_out = np.zeros(len(x))
    for fold in range(FOLDS):
        others = fitted & (fold_of != fold)
        head = _fit(x[others], y[others], l2, "")
        for i in np.flatnonzero(fold_of == fold):
            held_out[i] = head.probability(x[i])
    return held_out


def _folds(cases: Sequence[str]) -> dict[str, int]:
    """Each case's fold, as the learned turn end's (``_turn_end_fit._folds``): by rank of a hash of its id."""
    return {case: rank % FOLDS for rank, case in enumerate(sorted(set(cases), key=_hashed))}


def _hashed(case: str) -> str:
    return hashlib.sha256(case.encode()).hexdigest()


def _log_loss(p: npt.NDArray[np.float64], y: npt.NDArray[np.bool_], mask: npt.NDArray[np.bool_]) -> float:
    import numpy as np

    clipped = np.clip(p[mask], 1e-9, 1.0 - 1e-9)
    return float(-np.mean(np.where(y[mask], np.log(clipped), np.log(1.0 - clipped))))


if __name__ == "__main__":
    fit_end_of_turn_head()
