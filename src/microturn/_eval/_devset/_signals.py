"""The embedded model's end-of-turn readings, replayed: the devset measures the policy as the product runs it.

The default model is the embedded one, which reads after each of the user's whole words how likely their turn
is over and sends it to the policy as a ``TurnEndSignal`` from ``"model"`` (``_session/_anticipation.py``). The
harness's model is a fake that says given lines; :class:`RecordedEndOfTurn` is that fake, answering
``end_of_turn`` as the embedded model did: with the probability ``bench/end_of_turn_signals.py`` recorded in
``eval/signals/model_end_of_turn.json`` for the same words (a pause case's words before its pause, a story's
sentences up to a cut: ``<id>#<k>``), after ``READING`` virtual seconds (what a reading takes the embedded model
on two cores); None (the model cannot tell: nothing is sent) for any other words. So the replay is deterministic
and needs no model, and the words the policy reads with a signal are the words the signal was read on.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from microturn._core._clock import Clock
from microturn._eval._devset._cases import NarrativeCase, PauseCase
from microturn._models import ModelRequest
from microturn.errors import ScenarioError
from microturn.testing import FakeModel

__all__ = ["MODEL_SIGNALS", "READING", "SIGNALS", "ModelSignal", "Readings", "RecordedEndOfTurn", "load_readings"]

ModelSignal = Literal["recorded", "none"]
MODEL_SIGNALS: tuple[ModelSignal, ...] = ("recorded", "none")
"""``recorded``: the embedded model's readings replayed (the product's path); ``none``: no model signal (the words
alone decide, as with a model that cannot read the end of turn: a scripted one, a server without logprobs)."""
SIGNALS = Path("signals") / "model_end_of_turn.json"
"""The readings, beside the development set's directory (``eval/devset`` -> ``eval/signals/...``)."""
READING = 0.03
"""Virtual seconds a reading takes: the embedded model's incremental call (``bench/end_of_turn.py``)."""


def words(text: str) -> str:
    """``text`` with its whitespace made single spaces: the key a reading is found by."""
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Readings:
    """The recorded probabilities, by the id of what they were read on (``<pause id>``, ``<story id>#<k>``)."""

    probabilities: Mapping[str, float]

    def pause(self, case: PauseCase) -> dict[str, float]:
        """The reading on the case's words before its pause, by those words (none if it was not recorded)."""
        found = self.probabilities.get(case.id)
        return {} if found is None else {words(case.before): found}

    def story(self, case: NarrativeCase) -> dict[str, float]:
        """The reading after each sentence, by the story's words up to there."""
        found: dict[str, float] = {}
        for cut in range(len(case.sentences)):
            probability = self.probabilities.get(f"{case.id}#{cut}")
            if probability is not None:
                found[words(" ".join(case.sentences[: cut + 1]))] = probability
        return found


def load_readings(path: Path) -> Readings:
    """The readings in ``path`` (``bench/end_of_turn_signals.py`` writes it)."""
    try:
        probabilities = json.loads(path.read_text(encoding="utf-8"))["probabilities"]
    except (OSError, KeyError, ValueError) as error:
        message = (
            f"cannot read the model's readings ({error}): record them with bench/end_of_turn_signals.py, "
            "or measure the words alone (--model-signal none)"
        )
        raise ScenarioError(message, path=str(path)) from None
    return Readings({str(key): float(value) for key, value in probabilities.items()})


class RecordedEndOfTurn:
    """A FAKE model: says ``lines`` as the harness's fake does (``said``), and reads the end of the user's turn as
    the embedded model did (``readings``: by the user's words), ``READING`` virtual seconds after it is asked."""

    name: ClassVar[str] = "recorded-end-of-turn"

    def __init__(self, speaker: FakeModel, readings: Mapping[str, float], clock: Clock) -> None:
        self._speaker = speaker
        self._readings = readings
        self._clock = clock
        self.read: list[str] = []
        """The user's words it was asked about, in order."""

    def stream(self, request: ModelRequest) -> AsyncIterator[str]:
        return self._speaker.stream(request)

    async def end_of_turn(self, request: ModelRequest) -> float | None:
        self.read.append(request.user_text)
        await self._clock.sleep_until(self._clock.now() + READING)
        return self._readings.get(words(request.user_text))
