"""A binary logistic regression fitted by Newton's method: deterministic (from zeros, full batch), the bias
unpenalised. The turn end's combinations (``_turn_end_fit.py``) and the embedded model's end-of-turn head
(``_models/_end_of_turn_head_fit.py``) are fitted with it. And ``auc``, how well a score separates two labels."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["auc", "fit_logistic"]

STEPS = 100
"""At most this many Newton steps; a fit stops when no weight moves by 1e-10 (a dozen steps, as a rule)."""


def fit_logistic(x: npt.NDArray[np.float64], y: npt.NDArray[np.bool_], l2: float) -> npt.NDArray[np.float64]:
    """The weights of ``x``'s columns and a bias (last) that best predict ``y``, with an L2 penalty of ``l2`` per
    example on the weights."""
    import numpy as np

    design = np.hstack([x, np.ones((len(x), 1))])
    target = y.astype(np.float64)
    penalty = np.diag([l2 * len(x)] * x.shape[1] + [0.0])
    weights = np.zeros(design.shape[1])
    for _ in range(STEPS):
        p = 1.0 / (1.0 + np.exp(-(design @ weights)))
        gradient = design.T @ (p - target) + penalty @ weights
        hessian = (design * (p * (1.0 - p))[:, None]).T @ design + penalty
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if float(np.abs(step).max()) < 1e-10:
            break
    return weights


def auc(scores: npt.NDArray[np.float64], ends: npt.NDArray[np.bool_]) -> float:
    """P(an end scores above a continuation), ties counted half; NaN without both labels."""
    up, down = scores[ends], scores[~ends]
    if not len(up) or not len(down):
        return math.nan
    wins = (up[:, None] > down[None, :]).sum() + 0.5 * (up[:, None] == down[None, :]).sum()
    return float(wins / (len(up) * len(down)))
