"""Fitting the calibration of a server's end-of-turn reading (``_openai_calibration.py``) on TRAIN only.

A server's reading is what its top ``TOP_LOGPROBS`` next tokens say of the line's end. ``bench/
end_of_turn_top_logprobs.py`` records, with the embedded model (Gemma 3 270M: what a ``llama_cpp.server`` of the
same weights returns), the top ``TOP_LOGPROBS`` log-probabilities and which of them end the line after the words
of every key of the head's recorded features (``_end_of_turn_head_fit.FEATURES_FILE``), in ``TOP_FILE``. This fit
runs no model; from those files it

1. reads each key as a server's top ``TOP_LOGPROBS`` would be read (``reading``: the line-ending mass among them,
   or the least likely one's log-probability when none ends the line, an upper bound, with that said);
2. fits a logistic regression from the reading to the END label on the keys the head was fitted on (TRAIN pauses
   and story cuts: a case id not ending in ``-dev``, not an earlier word), with a light L2 penalty (``L2``: two
   values on two thousand keys), and writes it to ``CALIBRATION`` with the sha256 of the top log-probabilities.

It prints, per kind of TRAIN key and out of fold (five folds grouped by case, the head's), the AUC and the log
loss of the raw reading (P(line break) as the client passed it on before: 0 when none of the top tokens ends the
line), of the calibrated reading and of the head's (the embedded model's, ``READINGS``), and their medians at ends
and continuations, the earlier words' (mid-sentence) too. Same files in, same bytes out.

    python -m microturn._models._openai_calibration_fit
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from microturn._models._end_of_turn_head_fit import (
    DEV,
    FEATURES_FILE,
    FOLDS,
    READINGS,
    REPOSITORY,
    WITHIN,
    load_recorded,
)
from microturn._models._end_of_turn_head_fit import _folds as folds_of
from microturn._models._openai_calibration import CALIBRATION, Calibration, Reading, reading
from microturn._models._openai_logprobs import TOP_LOGPROBS
from microturn._sentences import fit_logistic
from microturn._sentences._logistic import auc
from microturn.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "L2",
    "TOP_FILE",
    "Fitted",
    "TopLogprobs",
    "fit_calibration",
    "fit_openai_calibration",
    "load_top",
    "raw_probability",
    "readings",
    "save_top",
    "top_sha256",
]

TOP_FILE = Path("eval") / "signals" / "model_end_of_turn_top_logprobs.npz"
L2 = 1e-4
"""The penalty per example on the two weights: light, as the turn end's combinations' (``COMBINATION_L2``)."""


@dataclass(frozen=True, slots=True)
class TopLogprobs:
    """Per key, the likeliest next tokens' log-probabilities (largest first), and whether each ends the line."""

    keys: tuple[str, ...]
    logprobs: npt.NDArray[np.float64]
    ends_line: npt.NDArray[np.bool_]


def save_top(top: TopLogprobs, path: Path) -> None:
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        np.savez_compressed(
            file, keys=np.array(top.keys), logprobs=top.logprobs.astype(np.float32), ends_line=top.ends_line
        )


def load_top(path: Path) -> TopLogprobs:
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as data:
            return TopLogprobs(
                keys=tuple(str(key) for key in data["keys"]),
                logprobs=data["logprobs"].astype(np.float64),
                ends_line=data["ends_line"].astype(np.bool_),
            )
    except (OSError, KeyError, ValueError) as error:
        raise ConfigError(f"cannot read {path} ({error}): record it with bench/end_of_turn_top_logprobs.py") from None


def top_sha256(top: TopLogprobs) -> str:
    """The sha256 of what was recorded (not of the file: ``np.savez`` stamps it with the time)."""
    digest = hashlib.sha256()
    digest.update(json.dumps(top.keys).encode())
    digest.update(top.logprobs.astype("<f8").tobytes())
    digest.update(top.ends_line.astype("u1").tobytes())
    return digest.hexdigest()


def readings(top: TopLogprobs, k: int = TOP_LOGPROBS) -> list[Reading]:
    """Each key's reading by a server that returns its top ``k`` tokens (the recorded ones cut to ``k``)."""
    if k > top.logprobs.shape[1]:
        raise ConfigError(f"{k} top tokens asked of a recording of {top.logprobs.shape[1]}")
    found = []
    for logprobs, ends in zip(top.logprobs[:, :k].tolist(), top.ends_line[:, :k].tolist(), strict=True):
        read = reading(zip(logprobs, ends, strict=True))
        if read is None:
            raise ConfigError(f"{TOP_FILE} has a key without top tokens")
        found.append(read)
    return found


def raw_probability(read: Reading) -> float:
    """What the client passed on before the calibration: the line-ending mass, 0 when none of the tokens ends the
    line."""
    return 0.0 if read.missing else math.exp(read.log_p)


@dataclass(frozen=True, slots=True)
class Fitted:
    """The shipped calibration, and each TRAIN key's probability from one fitted without its fold (dev: 0)."""

    calibration: Calibration
    held_out: npt.NDArray[np.float64]


def fit_calibration(root: Path = REPOSITORY) -> Fitted:
    """The calibration fitted on the TRAIN pauses and story cuts of ``root``'s recordings, and out of fold."""
    import numpy as np

    recorded = load_recorded(root / FEATURES_FILE)
    top = load_top(root / TOP_FILE)
    if top.keys != recorded.keys:
        raise ConfigError(f"{TOP_FILE} and {FEATURES_FILE} hold other keys: record both again")
    read = readings(top)
    x = np.array([r.values() for r in read])
    y = recorded.ends
    train = np.array([not case.endswith(DEV) for case in recorded.cases])
    fitted = train & np.array([kind != WITHIN for kind in recorded.kinds])
    folds = folds_of([case for case, fits in zip(recorded.cases, fitted, strict=True) if fits])
    fold_of = np.array([folds.get(case, -1) if t else -1 for case, t in zip(recorded.cases, train, strict=True)])
    shipped = _fit(x[fitted], y[fitted], top_sha256(top))
    held_out = np.zeros(len(x))
    for fold in range(FOLDS):
        others = _fit(x[fitted & (fold_of != fold)], y[fitted & (fold_of != fold)], "")
        for i in np.flatnonzero(fold_of == fold):
            held_out[i] = others.probability(read[i])
    return Fitted(shipped, held_out)


def fit_openai_calibration(root: Path = REPOSITORY, calibration: Path = CALIBRATION) -> None:
    """Fit the calibration on ``root``'s recordings, write it to ``calibration`` and print how it reads TRAIN."""
    import numpy as np

    found = fit_calibration(root)
    calibration.write_text(found.calibration.to_json(), encoding="utf-8")
    recorded = load_recorded(root / FEATURES_FILE)
    raw = np.array([raw_probability(r) for r in readings(load_top(root / TOP_FILE))])
    head = json.loads((root / READINGS).read_text(encoding="utf-8"))["probabilities"]
    scores: dict[str, npt.NDArray[np.float64]] = {
        "raw": raw,
        "calibrated": found.held_out,
        "the head": np.array([head[key] for key in recorded.keys]),
    }
    train = np.array([not case.endswith(DEV) for case in recorded.cases])
    kinds = np.array(recorded.kinds)
    print(f"weights {found.calibration.weights}, bias {found.calibration.bias}; out of fold on TRAIN:")
    for kind in (*sorted(set(recorded.kinds) - {WITHIN}), "all"):
        mine = train & (kinds != WITHIN) & ((kinds == kind) if kind != "all" else True)
        print(f"{kind:<7} {_describe(scores, mine, recorded.ends, _with_loss)}")
    within = train & (kinds == WITHIN)
    print(f"earlier words, median: {_describe(scores, within, recorded.ends, _median_only)}")
    print(f"wrote {calibration}")


def _fit(x: npt.NDArray[np.float64], y: npt.NDArray[np.bool_], digest: str) -> Calibration:
    first, second, bias = (round(float(w), 6) for w in fit_logistic(x, y, L2))
    return Calibration((first, second), bias, TOP_LOGPROBS, digest)


Describe = Callable[["npt.NDArray[np.float64]", "npt.NDArray[np.bool_]"], str]


def _describe(
    scores: dict[str, npt.NDArray[np.float64]], mask: npt.NDArray[np.bool_], ends: npt.NDArray[np.bool_], how: Describe
) -> str:
    return "  ".join(f"{name}: {how(score[mask], ends[mask])}" for name, score in scores.items())


def _with_loss(p: npt.NDArray[np.float64], ends: npt.NDArray[np.bool_]) -> str:
    import numpy as np

    clipped = np.clip(p, 1e-6, 1.0 - 1e-6)
    loss = float(-np.mean(np.where(ends, np.log(clipped), np.log(1.0 - clipped))))
    return f"AUC {auc(p, ends):.3f} log loss {loss:.3f} median {_median_only(p, ends)}"


def _median_only(p: npt.NDArray[np.float64], ends: npt.NDArray[np.bool_]) -> str:
    import numpy as np

    at_ends = f"{float(np.median(p[ends])):.3f}" if ends.any() else "-"
    return f"{at_ends} / {float(np.median(p[~ends])):.3f}"


if __name__ == "__main__":
    fit_openai_calibration()
