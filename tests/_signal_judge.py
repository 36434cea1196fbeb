"""A FAKE turn end that decides by the model's end-of-turn signal alone, registered as decisions of its own: for
tests of how signals reach the policy (``test_turn_end_signals.py``, ``test_devset_signals.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from _registered import registered
from microturn._policies._full_duplex._decisions import (
    Decisions,
    RulesIntent,
    RulesOverlap,
    TurnEndContext,
    TurnEndEstimate,
)

__all__ = ["SignalJudge", "judging"]


@dataclass
class SignalJudge:
    """Over after ``fast`` seconds if the model says so (0.5 or more), else after 1.5 s; audio alone moves nothing.
    It keeps every context it was given."""

    fast: float = 0.2
    seen: list[TurnEndContext] = field(default_factory=list)

    def estimate(self, text: str, context: TurnEndContext) -> TurnEndEstimate:
        self.seen.append(context)
        model = context.model_end_probability
        over = model is not None and model >= 0.5
        return TurnEndEstimate(probability=model if model is not None else 0.0, wait=self.fast if over else 1.5)


@contextmanager
def judging(name: str, judge: SignalJudge) -> Iterator[SignalJudge]:
    """``judge`` as the turn end of the decisions ``name`` (the rules' overlap and intent), while inside."""
    with registered(name, lambda _: Decisions(turn_end=judge, overlap=RulesOverlap(), intent=RulesIntent())):
        yield judge
