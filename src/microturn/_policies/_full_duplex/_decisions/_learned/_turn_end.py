"""The end of the user's turn, learned: how likely it is over, from the words, the moment, and the detectors; and
the wait that goes with that probability.

**The probability.** A head (``turn_end_head.npz``: logistic regression over the sentence embedding of the turn's
last words, how they end by ``shape``, typed or spoken, and whether the agent's line before the turn asked a
question) reads the words as if they were all the turn so far. The embedding comes from the encoder tuned for
this head (its adapter is stored with it, ``Head.adapter``: trained to tell ends from pauses, where the encoder as
shipped places words by what they are about). Its log-odds are then weighed with what it reads
poorly or cannot see (``turn_end_wait.npz``: a logistic regression over a few pieces of ``evidence``, fitted on
the head's out-of-fold log-odds): whether the words ask something, whether the turn is a *story* (it went on
after a pause that followed finished words: a statement there is rarely the end, a question is), whether the
learned :class:`Intent` reads them as a *command* the policy carries out whole (a timer with its time, a live mode,
a cue with what to watch for, stopping one of them, going on: ``command``; on the training pauses such words
ended the turn at 18 of 19), and, when the session sent it, the conversation model's P(the line ends) (a
``TurnEndSignal`` from ``"model"``, or from ``"server"``: an OpenAI-compatible server's top log-probabilities,
calibrated onto the embedded model's scale, which tell much less, so they are weighed by a combination of their
own, ``TurnEndFit.server``, with a cost of delay of their own). An audio detector's probability (from
``"audio"``) is added as independent evidence: its log-odds, weight ``AUDIO_WEIGHT``, not fitted (there is no
audio in the training data).

**The wait.** The silence to allow minimises the expected cost of the two mistakes: answering late after a real
end (``delay_cost`` per second, times the probability it is over) and talking into a mid-turn pause (one, times
the chance the user goes on and pauses longer than the wait: mid-turn pauses are log-normal, fitted on the
training set's). So a clear end waits ``Waits.complete``, a clear middle the rules' wait after unfinished words
for this speaker (``incomplete_wait``, which grows with their pauses), and the grey zone in between. The cost is
chosen by cross-validation on the training examples (``_turn_end_fit.py``): the smallest that still answers most
real ends at once, one for the words alone, one with the model's probability, which is sharper, and one with a
server's. Typed words without Enter wait as the rules make them (``typed_wait``): a typed pause is not an end,
Enter is.

**Backchannels** fit a spoken pause that is not over (below one half) after unfinished words, or in a turn that
already went on after a pause; not after a turn's first finished words, which may be all of it.

Everything was fitted on ``eval/trainset`` and the development set's ``-train`` cases (``_turn_end_fit.py``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from microturn._core._language import Shape, shape
from microturn._policies._full_duplex._decisions._interfaces import (
    Intent,
    IntentContext,
    IntentReading,
    ModelReading,
    TurnEndContext,
    TurnEndEstimate,
    Waits,
)
from microturn._policies._full_duplex._decisions._learned._intent import LearnedIntent
from microturn._policies._full_duplex._decisions._rules_turn_end import incomplete_wait, typed_wait
from microturn._sentences import Head, SentenceEncoder, load_head, sentence_encoder
from microturn.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "HEAD",
    "WAIT",
    "LearnedTurnEnd",
    "TurnEndFit",
    "Waiting",
    "command",
    "evidence",
    "head_features",
    "head_log_odds",
    "linear",
    "load_fit",
    "log_odds_of",
    "tail",
    "turn_shape",
]

HEAD = Path(__file__).with_name("turn_end_head.npz")
WAIT = Path(__file__).with_name("turn_end_wait.npz")
END = "end"
"""The head's label for a turn that is over (the other is ``continue``)."""
TAIL_WORDS = 48
"""The head reads the turn's last words: how it ends says whether it is over, and long turns stay cheap."""
SHAPES = (Shape.INCOMPLETE, Shape.COMPLETE, Shape.QUESTION)
AUDIO_WEIGHT = 1.0
"""The audio detector's log-odds are added as they are (naive Bayes): no audio to fit a weight on yet."""
BACKCHANNEL_BELOW = 0.5
"""A spoken pause after unfinished words, or in a turn that went on after a pause, whose probability of an end is
below this is a listener's moment (the policy backchannels only in a long turn)."""
STEP = 0.01
"""Seconds between the waits the cost is weighed at. Every wait is rounded to the microsecond, as the session's
moments are: a deadline between two of them would never be reached."""
CLIP = 1e-4
"""Probabilities are read within [CLIP, 1 - CLIP]: a detector's 0 or 1 is strong evidence, not infinite."""
COMMANDS = frozenset({"timer", "cancel_timer", "cue", "cancel_cue", "live_start", "live_stop", "resume"})
"""The labels of requests the policy carries out whole."""


@dataclass(frozen=True, slots=True)
class TurnEndFit:
    """What ``_turn_end_fit.py`` fitted besides the head (``turn_end_wait.npz``)."""

    text: tuple[float, ...]
    """Weights of ``evidence`` without the model (the head's log-odds, the words ask, a story, a story's question, a
    command) and a bias: the log-odds of an end from the words."""
    model: tuple[float, ...]
    """Weights of ``evidence`` with the model (those, the model's log-odds, in a story, typed) and a bias."""
    server: tuple[float, ...]
    """The same with a server's calibrated reading in the model's place (``ModelReading`` ``"server"``)."""
    pause_log_mean: float
    """The mean of the logarithm of mid-turn pauses (spoken, seconds)."""
    pause_log_sd: float
    """Its standard deviation."""
    delay_cost: float
    """The cost of a second's delay after a real end, against 1 for talking into a pause, from the words alone."""
    model_delay_cost: float
    """The same with the model's probability (``model``): that probability is sharper, so its cost is chosen apart."""
    server_delay_cost: float
    """The same with a server's (``server``)."""
    examples_sha256: str
    server_sha256: str
    """The sha256 of the server readings ``server`` was fitted on (``_turn_end_fit.server_sha256``)."""

    def combination(self, reading: ModelReading | None) -> tuple[tuple[float, ...], float]:
        """The weights of ``evidence`` and the cost of delay with a model reading of this kind (None: none)."""
        if reading is None:
            return self.text, self.delay_cost
        if reading == "server":
            return self.server, self.server_delay_cost
        return self.model, self.model_delay_cost

    def save(self, path: Path) -> None:
        import numpy as np

        with path.open("wb") as file:
            np.savez(
                file,
                text=np.array(self.text),
                model=np.array(self.model),
                server=np.array(self.server),
                pause_log=np.array([self.pause_log_mean, self.pause_log_sd]),
                delay_cost=np.array([self.delay_cost, self.model_delay_cost, self.server_delay_cost]),
                examples_sha256=np.array(self.examples_sha256),
                server_sha256=np.array(self.server_sha256),
            )


def load_fit(path: Path) -> TurnEndFit:
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as data:
            mean, sd = (float(value) for value in data["pause_log"])
            words, model, server = (float(value) for value in data["delay_cost"])
            return TurnEndFit(
                text=tuple(float(value) for value in data["text"]),
                model=tuple(float(value) for value in data["model"]),
                server=tuple(float(value) for value in data["server"]),
                pause_log_mean=mean,
                pause_log_sd=sd,
                delay_cost=words,
                model_delay_cost=model,
                server_delay_cost=server,
                examples_sha256=str(data["examples_sha256"]),
                server_sha256=str(data["server_sha256"]),
            )
    except (OSError, KeyError, ValueError, TypeError) as error:  # TypeError: a file of another shape
        raise ConfigError(f"cannot load the turn-end fit {path} ({error}): reinstall microturn") from None


def head_features(encoder: SentenceEncoder, text: str, *, typed: bool, agent_asked: bool) -> npt.NDArray[np.float32]:
    """What the head reads: the embedding of the turn's last words, their shape, typed, the agent asked."""
    import numpy as np

    form = shape(text)
    flags = [form is kind for kind in SHAPES] + [typed, agent_asked]
    return np.concatenate([encoder.encode(tail(text)), np.array(flags, np.float32)])


def tail(text: str) -> str:
    """The turn's last ``TAIL_WORDS`` words: what the head and the command read (a 64 KB turn stays cheap)."""
    return " ".join(text.split()[-TAIL_WORDS:])


def head_log_odds(head: Head, features: npt.NDArray[np.float32]) -> float:
    """The head's log-odds that the turn is over."""
    probabilities = head.probabilities(features)
    return log_odds_of(probabilities[END])


def command(reading: IntentReading) -> bool:
    """``reading`` is of a request the policy carries out whole, with what it needs ("set a timer for ten minutes",
    "translate into French as I speak", "stop"): such words are all the user meant to say, whatever they sound
    like. Not a negated one, nor one still missing its slot ("set a timer for")."""
    return reading.label in COMMANDS and reading.ready


def turn_shape(text: str, stretch_start: int, *, typed: bool) -> tuple[bool, bool]:
    """Whether the words ask something (the turn, or its words since the latest pause), and whether they are a
    *story*: a spoken turn that went on after a pause that followed finished words (after "and" or "um", the
    words that follow finish the sentence; after a finished sentence, they begin another)."""
    asks = shape(text) is Shape.QUESTION or (stretch_start > 0 and shape(text[stretch_start:]) is Shape.QUESTION)
    story = not typed and stretch_start > 0 and shape(text[:stretch_start]) is not Shape.INCOMPLETE
    return asks, story


class Waiting:
    """The spoken wait for a probability: the one, from ``shortest`` up to the longest allowed, that minimises
    ``p * delay_cost * wait + (1 - p) * P(a mid-turn pause outlasts it)`` (the fit's pauses)."""

    def __init__(self, shortest: float, fit: TurnEndFit) -> None:
        self._shortest = shortest
        self._fit = fit
        self._grid_for: tuple[float, tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]] | None = None

    def wait(self, probability: float, longest: float, delay_cost: float) -> float:
        import numpy as np

        waits, outlasts = self._grid(longest)
        cost = probability * delay_cost * waits + (1.0 - probability) * outlasts
        return round(float(waits[int(np.argmin(cost))]), 6)

    def _grid(self, longest: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """The waits weighed, and the chance a mid-turn pause outlasts each (the latest kept: ``longest`` changes
        only when the speaker pauses)."""
        import numpy as np

        if self._grid_for is not None and self._grid_for[0] == longest:
            return self._grid_for[1]
        steps = max(0, math.floor((longest - self._shortest) / STEP + 1e-9))
        waits = self._shortest + STEP * np.arange(steps + 1, dtype=np.float64)
        mean, spread = self._fit.pause_log_mean, self._fit.pause_log_sd * math.sqrt(2.0)
        outlasts = np.array([0.5 * math.erfc((math.log(max(w, CLIP)) - mean) / spread) for w in waits])
        self._grid_for = (longest, (waits, outlasts))
        return waits, outlasts


@functools.cache
def _shipped() -> tuple[Head, TurnEndFit]:
    """The shipped head and fit, read once per process: every session's turn end shares them (nothing changes
    them), and reading them per session cost ~1.7 ms each, 3.4 s of CPU to start 2,000 sessions."""
    return load_head(HEAD), load_fit(WAIT)


class LearnedTurnEnd:
    """``intent`` reads whether the words are a command (``command``); the learned one unless given another."""

    def __init__(self, waits: Waits, intent: Intent | None = None) -> None:
        self._waits = waits
        self._intent = intent if intent is not None else LearnedIntent()
        self._head, self._fit = _shipped()
        self._encoder = sentence_encoder(self._head.adapter)
        self._waiting = Waiting(waits.complete, self._fit)

    def estimate(self, text: str, context: TurnEndContext) -> TurnEndEstimate:
        typed = context.typed
        asked = context.agent_line.rstrip().endswith("?")
        words = head_log_odds(self._head, head_features(self._encoder, text, typed=typed, agent_asked=asked))
        asks, story = turn_shape(text, context.stretch_start, typed=typed)
        commands = command(self._intent.read(tail(text), IntentContext()))
        model = context.model_end_probability
        weights, delay_cost = self._fit.combination(None if model is None else context.model_end_source)
        found = evidence(words, asks=asks, story=story, command=commands, model=model, typed=typed)
        log_odds = linear(weights, found)
        if context.audio_end_probability is not None:
            log_odds += AUDIO_WEIGHT * log_odds_of(context.audio_end_probability)
        probability = 1.0 / (1.0 + math.exp(-log_odds))
        unfinished = shape(text) is Shape.INCOMPLETE
        if typed:  # Enter ends a typed turn: a pause in typing is not the end, whatever the words
            return TurnEndEstimate(probability, typed_wait(self._waits, unfinished=unfinished))
        wait = self._waiting.wait(probability, incomplete_wait(self._waits, context.pauses), delay_cost)
        listener = unfinished or context.stretch_start > 0  # a turn's first finished words are not a story yet
        return TurnEndEstimate(probability, wait, backchannel=listener and probability < BACKCHANNEL_BELOW)


def evidence(words: float, *, asks: bool, story: bool, command: bool, model: float | None, typed: bool) -> list[float]:
    """What the combination weighs: the head's log-odds ``words``, the words ask, a story, a story's question, a
    command; with the model's probability (``TurnEndFit.model``, or ``.server`` for a server's) its log-odds too,
    alone, in a story, typed; without it, ``TurnEndFit.text``."""
    known = [words, float(asks), float(story), float(story and asks), float(command)]
    if model is None:
        return known
    said = log_odds_of(model)
    return [*known, said, story * said, typed * said]


def linear(weights: Sequence[float], values: Sequence[float]) -> float:
    """``weights`` over ``values``, the last weight a bias."""
    return sum(w * x for w, x in zip(weights[:-1], values, strict=True)) + weights[-1]


def log_odds_of(probability: float) -> float:
    """``log(p / (1 - p))`` of ``probability`` clipped to [CLIP, 1 - CLIP]."""
    p = min(max(probability, CLIP), 1.0 - CLIP)
    return math.log(p / (1.0 - p))
