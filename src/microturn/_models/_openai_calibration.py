"""A server's end-of-turn reading put on the scale of the embedded model's: P(the user's turn is over), not P(newline).

The embedded model reads the end of turn through a head over its whole next-token distribution
(``_end_of_turn_head.py``), and the learned turn end weighs that P(end) as fitted on it. A server returns only its
top ``TOP_LOGPROBS`` next tokens, so all it can tell is P(the next token ends the line), and only when such a
token is among them: a raw P(line break) is on another scale (median 0.007 mid-sentence, far below the head's
P(end) at real ends too), and the turn end, weighing it as the head's, would wait longer than it should.

So the reading is mapped to P(end) by a logistic regression over two values (``CALIBRATION``, fitted on TRAIN by
``_openai_calibration_fit.py``): the log of the line-ending mass in the top tokens, floored at ``FLOOR``, and
whether none of them ends the line. Then the log-probability read is that of the least likely token returned: an
upper bound on the line break's, which is all a top-k list says; the fit sees the same (it was fitted on the
embedded model's distribution cut to its top ``TOP_LOGPROBS``). A server that returns fewer tokens than asked
gets a looser upper bound than the fit saw, so a reading without a line break is then somewhat too high.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from microturn.errors import ConfigError

__all__ = ["CALIBRATION", "FLOOR", "Calibration", "Reading", "load_calibration", "reading", "shipped_calibration"]

CALIBRATION = Path(__file__).with_name("openai_end_of_turn_calibration.json")
FLOOR = math.log(1e-6)
"""Log-probabilities are read no lower than this: below it a line break is simply not expected."""


@dataclass(frozen=True, slots=True)
class Reading:
    """What a top-k list says of the line's end."""

    log_p: float
    """log P(the next token ends the line), floored at ``FLOOR``; with ``missing``, an upper bound on it."""
    missing: bool
    """No token of the list ends the line: ``log_p`` is the least likely one's log-probability."""

    def values(self) -> tuple[float, float]:
        """What the calibration weighs, in its order."""
        return (self.log_p, float(self.missing))


def reading(top: Iterable[tuple[float, bool]]) -> Reading | None:
    """The reading of a server's top tokens, each as (its log-probability, whether it ends the line); None if
    there are none. Log-probabilities that are not finite are left out; those above 0 count as 0."""
    logprobs = [(min(0.0, logprob), ends) for logprob, ends in top if math.isfinite(logprob)]
    if not logprobs:
        return None
    mass = sum(math.exp(logprob) for logprob, ends in logprobs if ends)
    if mass > 0.0:
        return Reading(max(FLOOR, math.log(min(1.0, mass))), missing=False)
    return Reading(max(FLOOR, min(logprob for logprob, _ in logprobs)), missing=True)


@dataclass(frozen=True, slots=True)
class Calibration:
    """A logistic regression from a ``Reading`` to P(the user's turn is over)."""

    weights: tuple[float, float]
    bias: float
    top_logprobs: int
    """How many top tokens the fit saw per reading (the client asks for ``TOP_LOGPROBS``)."""
    top_sha256: str
    """The sha256 of the recorded top log-probabilities it was fitted on: a test catches a stale calibration."""

    def probability(self, read: Reading) -> float:
        z = sum(w * x for w, x in zip(self.weights, read.values(), strict=True)) + self.bias
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0.0 else math.exp(z) / (1.0 + math.exp(z))

    def to_json(self) -> str:
        """The file's text: the same calibration gives the same bytes."""
        fields = {
            "about": "python -m microturn._models._openai_calibration_fit: P(end) = sigmoid(weights . [log P(line "
            "ends) or the least likely top token's log-probability, no top token ends the line] + bias)",
            "weights": list(self.weights),
            "bias": self.bias,
            "top_logprobs": self.top_logprobs,
            "top_sha256": self.top_sha256,
        }
        return json.dumps(fields, indent=1, sort_keys=True) + "\n"


def load_calibration(path: Path) -> Calibration:
    try:
        fields = json.loads(path.read_text(encoding="utf-8"))
        first, second = (float(w) for w in fields["weights"])
        return Calibration(
            (first, second), float(fields["bias"]), int(fields["top_logprobs"]), str(fields["top_sha256"])
        )
    except (OSError, KeyError, TypeError, ValueError) as error:
        raise ConfigError(f"cannot read {path} ({error}): fit it with _openai_calibration_fit.py") from None


@functools.cache
def shipped_calibration() -> Calibration:
    """The calibration shipped beside this file, read once."""
    return load_calibration(CALIBRATION)
