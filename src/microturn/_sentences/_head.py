"""A small trained head over sentence embeddings: multinomial logistic regression, fitted and stored here.

Frozen embeddings plus a linear head are what runs in ~0.1 ms on top of the encoder and trains in seconds
with numpy alone (no torch): full-batch gradient descent from zeros, so the same examples always give the
same weights. A head is stored as an ``.npz`` file beside the code that uses it, with its labels and the
sha256 of the examples it was fitted on, so a stale head (the examples changed, the head was not refitted)
is caught by a test rather than shipped. A head whose features come from an encoder tuned for it stores that
tuning too (``adapter``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from microturn._sentences._adapter import Adapter, adapter_arrays, adapter_from
from microturn.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["Head", "fit_head", "load_head"]

SCALE = 4.0
"""Unit vectors have small coordinates: scaled up, the same step size fits in fewer iterations."""


@dataclass(frozen=True, slots=True)
class Head:
    labels: tuple[str, ...]
    weights: npt.NDArray[np.float32]
    """(features, labels)."""
    bias: npt.NDArray[np.float32]
    examples_sha256: str
    """The sha256 of the examples it was fitted on (see ``fit_head``)."""
    adapter: Adapter | None = None
    """The encoder's tuning its features were read with (``_adapter.py``), stored with it; None: the encoder as
    shipped."""

    def probabilities(self, features: npt.NDArray[np.float32]) -> dict[str, float]:
        """Each label's probability for one feature vector."""
        import numpy as np

        logits = (features * SCALE) @ self.weights + self.bias
        logits = logits - logits.max()
        exp = np.exp(logits)
        return dict(zip(self.labels, (exp / exp.sum()).tolist(), strict=True))

    def save(self, path: Path) -> None:
        import numpy as np

        arrays: dict[str, Any] = {
            "labels": np.array(self.labels),
            "weights": self.weights,
            "bias": self.bias,
            "examples_sha256": np.array(self.examples_sha256),
            **(adapter_arrays(self.adapter) if self.adapter is not None else {}),
        }
        with path.open("wb") as file:
            np.savez(file, **arrays)


def load_head(path: Path) -> Head:
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as data:
            return Head(
                labels=tuple(str(label) for label in data["labels"]),
                weights=data["weights"].astype(np.float32),
                bias=data["bias"].astype(np.float32),
                examples_sha256=str(data["examples_sha256"]),
                adapter=adapter_from(data),
            )
    except (OSError, KeyError, ValueError, ConfigError) as error:
        raise ConfigError(f"cannot load the decision head {path} ({error}): reinstall microturn") from None


def fit_head(
    features: npt.NDArray[np.float32],
    labels: Sequence[str],
    *,
    examples_sha256: str,
    l2: float = 1e-3,
    iterations: int = 3000,
    step: float = 0.5,
    weights: Mapping[str, float] | None = None,
) -> Head:
    """Fit a head to ``features`` (one row per example) and their ``labels``; ``weights`` per label make some
    mistakes cost more (a missed barge-in more than a missed backchannel)."""
    import numpy as np

    names = tuple(sorted(set(labels)))
    index = {name: i for i, name in enumerate(names)}
    y = np.array([index[label] for label in labels])
    onehot = np.eye(len(names))[y]
    sample = np.array([(weights or {}).get(label, 1.0) for label in labels])[:, None]
    x = features.astype(np.float64) * SCALE
    w = np.zeros((x.shape[1], len(names)))
    b = np.zeros(len(names))
    total = sample.sum()
    for _ in range(iterations):
        logits = x @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        gradient = (p - onehot) * sample / total
        w -= step * (x.T @ gradient + l2 * w)
        b -= step * gradient.sum(axis=0)
    return Head(names, w.astype(np.float32), b.astype(np.float32), examples_sha256)
