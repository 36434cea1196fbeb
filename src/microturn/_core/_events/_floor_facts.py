"""Floor facts: what the loop derives about who was producing what, and how likely the user is done."""

from __future__ import annotations

from typing import Literal

from microturn._core._events._event import Event

__all__ = ["ModelReading", "Overlap", "Silence", "TurnEndSignal"]

ModelReading = Literal["model", "server"]
"""The kinds of reading a conversation model's ``TurnEndSignal`` can be, and so its source: ``"model"``, the model's
own reading of its next-token distribution (the embedded model's: a head over the whole of it), or ``"server"``,
an OpenAI-compatible server's top log-probabilities, calibrated onto that head's scale (``_models/
_openai_calibration.py``), which tell much less: a judge may weigh the two apart."""


class Silence(Event, frozen=True):
    """Nobody produced anything from ``started`` for ``duration`` seconds (emitted when it ends)."""

    started: float
    duration: float


class Overlap(Event, frozen=True):
    """User and agent both produced output from ``started`` for ``duration`` seconds."""

    started: float
    duration: float


class TurnEndSignal(Event, frozen=True):
    """A detector's probability that the user's turn is over, computed by the session outside the policy.

    The event's ``source`` (stamped by the session, as for every event) says which detector: ``"model"`` (the
    conversation model's probability that the user's line ends after their words so far, read from its logits),
    ``"server"`` (the same read from an OpenAI-compatible server's top log-probabilities: ``ModelReading``) or
    ``"audio"`` (an audio end-of-turn model over the sound of the turn, from the voice channel). ``upto`` is
    the length of the user's turn text (``FloorState.user_text``) the signal was computed for: once the user has
    said or typed more, it is stale and the policy ignores it. Recorded, so a replay decides with the same
    numbers without running the detector again.
    """

    probability: float
    upto: int
