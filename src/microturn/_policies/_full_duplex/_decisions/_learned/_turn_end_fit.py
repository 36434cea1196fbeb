"""Fitting the learned turn end (``_turn_end.py``) on TRAIN only: its head, the evidence it weighs, the pauses, the
cost of a delay. ``fit_turn_end()`` writes ``turn_end_head.npz`` and ``turn_end_wait.npz``; the same examples
always give the same files (full-batch fits from zeros, folds by a hash of the case's id).

The examples, none of them a development ``-dev`` case:

* **pauses**: ``eval/trainset/pause.jsonl`` and the devset's ``-train`` pause cases: the words before a pause,
  and whether the turn ended there;
* **later pauses**: ``eval/trainset/pause2.jsonl``: a turn that went on after a mid-turn pause (``first``, then
  ``first_pause`` seconds, then ``before``), and whether it ended at the pause after ``before``;
* **stories**: ``eval/trainset/narrative.jsonl`` and the devset's ``-train`` narratives, cut after each sentence:
  every cut but the last goes on, and every cut after the first is in a turn that went on after a pause (a story,
  if the sentence before was finished: ``turn_shape``).

Then:

1. the head is fitted on the examples that are a turn's first words (every pause, a story's first sentence) and,
   if ``LATER_FIT`` is ``"head"``, the later pauses' whole turns. It reads them through an encoder tuned for it
   (``_sentences/_tune.py``: a low-rank adapter trained to tell the ends from the pauses), on cross-fitted
   features (``cross_fitted``: each example through an adapter trained without it), as the intent head does;
2. every example gets the head's log-odds from a head fitted without its case (five folds, each with adapters
   trained on its other folds only), so the weights that combine them with the rest are fitted on log-odds like
   those of words never seen;
3. the combinations (``TurnEndFit.text``, ``.model`` and ``.server``) are logistic regressions over
   ``evidence``; the model's probabilities are the embedded model's P(end), read once by
   ``bench/end_of_turn_signals.py`` into ``eval/signals/model_end_of_turn.json``, and a server's are its recorded
   top log-probabilities, calibrated (``_turn_end_server.py``): the fit runs no model;
4. mid-turn pauses are log-normal, fitted on the spoken ``continue`` pauses;
5. the costs of delay (``delay_cost`` from the words alone, ``model_delay_cost`` with the model's probability: it
   is sharper; ``server_delay_cost`` with a server's) are each the smallest on a grid for which ``FAST_SHARE`` of
   the spoken real ends are answered within ``FAST`` seconds, out of fold: every example's probability comes from
   a head and a combination fitted without its case's fold, and the policy's timing is played back on them
   (``_turn_end_cv.py``, which also says how many mid-turn pauses each cost talks into and how many stories it
   listens to: ``bench/decisions_cross_validation.py turn-end``).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from microturn._policies._full_duplex._decisions._interfaces import Intent, IntentContext
from microturn._policies._full_duplex._decisions._learned._examples import (
    REPOSITORY,
    Example,
    examples,
    examples_sha256,
)
from microturn._policies._full_duplex._decisions._learned._intent import LearnedIntent
from microturn._policies._full_duplex._decisions._learned._turn_end import (
    END,
    HEAD,
    WAIT,
    TurnEndFit,
    command,
    evidence,
    head_features,
    head_log_odds,
    linear,
    tail,
    turn_shape,
)
from microturn._policies._full_duplex._decisions._learned._turn_end_cv import (
    DEFAULT_WAITS,
    FAST,
    SHORTEST_PAUSE,
    Outcome,
    outcome,
)
from microturn._policies._full_duplex._decisions._learned._turn_end_server import server_readings, server_sha256
from microturn._sentences import Adapter, Head, SentenceEncoder, fit_head, fit_logistic, sentence_encoder
from microturn.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "DEFAULT_WAITS",
    "FAST",
    "CrossValidated",
    "TurnEndExample",
    "candidates",
    "choose",
    "commands_of",
    "cross_validated",
    "evidence_rows",
    "fit_turn_end",
    "is_later",
    "turn_end_examples",
    "turn_end_sha256",
]

SIGNALS = Path("eval") / "signals" / "model_end_of_turn.json"
"""In the checkout: the embedded model's P(line ends) for each example (``bench/end_of_turn_signals.py``)."""
LATER = Path("eval") / "trainset" / "pause2.jsonl"
"""In the checkout: the later pauses (a training set's file only: the development set has none)."""
LATER_FAMILY = "pause2"
"""Their ids begin with it."""
LaterFit = Literal["measured", "combination", "head"]
"""What is fitted on the later pauses: nothing (they are only measured), the combinations, or the head too."""
LATER_FIT: LaterFit = "head"
"""Chosen by cross-validation (``bench/decisions_cross_validation.py turn-end``)."""
L2 = 0.01
"""The head's regularisation: chosen by five-fold cross-validation on TRAIN (the AUC of spoken pauses, among
0.0001, 0.003, 0.01, 0.03 and 0.1)."""
COMBINATION_L2 = 1e-4
"""The combinations' regularisation, per example: chosen by cross-validation on TRAIN among 1e-5, 1e-4, 3e-4 and
1e-3 (the played-back outcomes: equal or better on every measure from 1e-3 down, best at 1e-4 with the model).
Light, since they weigh a few pieces of evidence on two thousand examples; a rare one (a command: 19 pauses)
keeps the weight its examples give it (1.9 log-odds on words alone, where 1e-3 shrank it by about a third)."""
FOLDS = 5
FAST_SHARE = 0.6
"""The share of spoken real ends to answer within ``FAST``, out of fold: issue 13 asks for their median within
it (one half), and 0.6 leaves a margin for words read less well than the training folds."""
DELAY_COSTS = tuple(round(0.02 * 1.1**step, 4) for step in range(66))
"""The grid ``delay_cost`` is chosen on (0.02 to 9.8, 10% apart)."""


@dataclass(frozen=True, slots=True)
class TurnEndExample:
    id: str
    case: str
    """The case it comes from: a story's cuts share theirs (and their fold)."""
    text: str
    typed: bool
    agent_asked: bool
    stretch_start: int
    """Where the words since the turn's latest pause begin in ``text`` (0: no pause)."""
    end: bool
    pause: float | None
    """The pause after the words (none after a story's last sentence)."""
    model: float
    """The embedded model's P(line ends) after the words."""
    earlier: tuple[float, ...] = ()
    """The speaker's pauses in the turn before the words (those the policy's wait learns from)."""


def turn_end_examples(root: Path = REPOSITORY) -> list[TurnEndExample]:
    """The training examples (see the module's docstring), each with the model's probability."""
    model = _model_probabilities(root)
    found: list[TurnEndExample] = []
    for case in examples("pause", root):
        found.append(
            TurnEndExample(
                id=case["id"],
                case=case["id"],
                text=case["before"],
                typed=case["modality"] == "typed",
                agent_asked=_agent_asked(case),
                stretch_start=0,
                end=case["label"] == "end",
                pause=case["pause"],
                model=_probability(model, case["id"]),
            )
        )
    for case in _later_pauses(root):
        found.append(
            TurnEndExample(
                id=case["id"],
                case=case["id"],
                text=f"{case['first']} {case['before']}",
                typed=case["modality"] == "typed",
                agent_asked=_agent_asked(case),
                stretch_start=len(case["first"]) + 1,
                end=case["label"] == "end",
                pause=case["pause"],
                model=_probability(model, case["id"]),
                earlier=_learnt((case["first_pause"],)),
            )
        )
    for case in examples("narrative", root):
        sentences: list[str] = case["sentences"]
        for cut in range(len(sentences)):
            text = " ".join(sentences[: cut + 1])
            last = cut == len(sentences) - 1
            found.append(
                TurnEndExample(
                    id=f"{case['id']}#{cut}",
                    case=case["id"],
                    text=text,
                    typed=False,
                    agent_asked=False,
                    stretch_start=len(text) - len(sentences[cut]) if cut else 0,
                    end=last,
                    pause=None if last else case["pauses"][cut],
                    model=_probability(model, f"{case['id']}#{cut}"),
                    earlier=_learnt(case["pauses"][:cut]),
                )
            )
    return found


def turn_end_sha256(found: list[TurnEndExample]) -> str:
    """The sha256 the head and the rest are stored with: a test compares it with the examples as they are."""
    return examples_sha256([asdict(example) for example in found])


@dataclass(frozen=True, slots=True)
class CrossValidated:
    """The fit on every example (its delay costs not chosen yet), and each example's probability from a fit
    without its case (its fold): from the words alone, with the model's probability, and with a server's."""

    found: list[TurnEndExample]
    head: Head
    fit: TurnEndFit
    head_log_odds: list[float]
    """Each example's head log-odds from a head fitted without its case's fold."""
    words: list[float]
    with_model: list[float]
    with_server: list[float]
    server: list[float]
    """Each example's server reading (``server_readings``)."""


def cross_validated(root: Path = REPOSITORY, later: LaterFit = LATER_FIT, *, tune: bool = True) -> CrossValidated:
    """Fit the head and the combinations on the examples in the checkout at ``root``, and out of fold; ``later``
    says what is fitted on the later pauses (every one of them is measured out of fold). With ``tune`` the head
    reads through an encoder tuned for it (``_tuned``); without, through the encoder as shipped (a fit that writes
    the same bytes every time: an adapter's training differs in its last bits)."""
    import numpy as np

    found = turn_end_examples(root)
    digest = turn_end_sha256(found)
    server = server_readings(root, found)  # first: a recording that misses a key fails before the long fits
    ends = np.array([e.end for e in found])
    fitted = np.array([later != "measured" or not is_later(e) for e in found])
    heads = np.array([not e.stretch_start or (later == "head" and is_later(e)) for e in found])
    featurise = _tuned(found, ends) if tune else _frozen(found)
    rows, _, adapter = featurise(np.flatnonzero(heads).tolist())
    head = replace(fit_head(rows, _labels(ends[heads]), examples_sha256=digest, l2=L2), adapter=adapter)
    words = _out_of_fold(featurise, ends, found, digest, heads)
    commands = commands_of(found, LearnedIntent())
    text = evidence_rows(found, words, commands, [None] * len(found))
    both = evidence_rows(found, words, commands, [e.model for e in found])
    served = evidence_rows(found, words, commands, server)
    spoken_pauses = [
        math.log(e.pause)
        for e, fits in zip(found, fitted, strict=True)
        if fits and e.case.startswith("pause") and e.pause is not None and not e.typed and not e.end
    ]
    fit = TurnEndFit(
        text=_logistic(text[fitted], ends[fitted]),
        model=_logistic(both[fitted], ends[fitted]),
        server=_logistic(served[fitted], ends[fitted]),
        pause_log_mean=float(np.mean(spoken_pauses)),
        pause_log_sd=float(np.std(spoken_pauses)),
        delay_cost=0.0,
        model_delay_cost=0.0,
        server_delay_cost=0.0,
        examples_sha256=digest,
        server_sha256=server_sha256(found, server),
    )
    return CrossValidated(
        found,
        head,
        fit,
        words,
        _combined_out_of_fold(text, ends, found, fitted),
        _combined_out_of_fold(both, ends, found, fitted),
        _combined_out_of_fold(served, ends, found, fitted),
        server,
    )


Reader = Callable[[int], "npt.NDArray[np.float32]"]
"""Example ``index``'s features as a head fitted on some examples reads it."""
Featurise = Callable[[list[int]], "tuple[npt.NDArray[np.float32], Reader, Adapter | None]"]
"""Given the examples a head is fitted on: their features as it is fitted on them, how it reads any example, and
the adapter of the encoder it reads through."""


def _frozen(found: list[TurnEndExample]) -> Featurise:
    """Every example read once through the encoder as shipped."""
    import numpy as np

    encoder = sentence_encoder()
    features = np.stack([_read(found)(encoder, index) for index in range(len(found))])
    return lambda fitted: (features[fitted], features.__getitem__, None)


def _tuned(found: list[TurnEndExample], ends: npt.NDArray[np.bool_]) -> Featurise:
    """The head's examples read cross-fitted (``cross_fitted``: each through an adapter trained without it), the
    others through the adapter trained on all the head's examples, as the product reads them."""

    from microturn._sentences._tune import TunedEncoder, cross_fitted, fit_time_encoder

    tuner = TunedEncoder()
    read = _read(found)
    texts, labels = [tail(e.text) for e in found], _labels(ends)

    def featurise(fitted: list[int]) -> tuple[npt.NDArray[np.float32], Reader, Adapter]:
        rows, adapter = cross_fitted(
            [texts[i] for i in fitted], [labels[i] for i in fitted], lambda e, k: read(e, fitted[k]), encoder=tuner
        )
        encoder = fit_time_encoder(adapter)
        return rows, lambda index: read(encoder, index), adapter

    return featurise


def _read(found: list[TurnEndExample]) -> Callable[[SentenceEncoder, int], npt.NDArray[np.float32]]:
    """Example ``index``'s head features through an encoder."""
    return lambda encoder, index: head_features(
        encoder, found[index].text, typed=found[index].typed, agent_asked=found[index].agent_asked
    )


def is_later(example: TurnEndExample) -> bool:
    """Is ``example`` a later pause (``LATER``)?"""
    return example.case.startswith(f"{LATER_FAMILY}-")


def candidates(folds: CrossValidated, probabilities: Sequence[float]) -> list[Outcome]:
    """Every delay cost of the grid played back on out-of-fold ``probabilities`` (``folds.words``,
    ``.with_model`` or ``.with_server``)."""
    return [outcome(folds.fit, cost, folds.found, probabilities) for cost in DELAY_COSTS]


def choose(outcomes: list[Outcome]) -> Outcome:
    """The smallest delay cost (the longest waits: the fewest pauses talked into) that answers ``FAST_SHARE`` of
    the spoken real ends within ``FAST``."""
    for found in sorted(outcomes, key=lambda o: o.delay_cost):
        if found.fast >= FAST_SHARE:
            return found
    raise ConfigError(f"no delay cost up to {DELAY_COSTS[-1]} answers {FAST_SHARE:.0%} of the real ends at once")


def fit_turn_end(root: Path = REPOSITORY, head: Path = HEAD, wait: Path = WAIT, *, tune: bool = True) -> None:
    """Fit on the examples in the checkout at ``root``, choose the delay costs by cross-validation, and write the
    head and the rest (by default beside ``_turn_end.py``); ``tune`` as ``cross_validated``."""
    folds = cross_validated(root, tune=tune)
    words, model, server = (
        choose(candidates(folds, probabilities)).delay_cost
        for probabilities in (folds.words, folds.with_model, folds.with_server)
    )
    folds.head.save(head)
    replace(folds.fit, delay_cost=words, model_delay_cost=model, server_delay_cost=server).save(wait)


def _combined_out_of_fold(
    evidence_rows: npt.NDArray[np.float64],
    ends: npt.NDArray[np.bool_],
    found: list[TurnEndExample],
    fits: npt.NDArray[np.bool_],
) -> list[float]:
    """Each example's probability from a combination fitted on the other folds' examples (those ``fits`` marks)."""

    def fit(fitted: list[int]) -> Callable[[int], float]:
        weights = _logistic(evidence_rows[fitted], ends[fitted])
        return lambda i: _probability_of(linear(weights, evidence_rows[i].tolist()))

    return _each_out_of_fold(found, fits, fit)


def _out_of_fold(
    featurise: Featurise,
    ends: npt.NDArray[np.bool_],
    found: list[TurnEndExample],
    digest: str,
    heads: npt.NDArray[np.bool_],
) -> list[float]:
    """Each example's head log-odds from a head fitted on the other folds' examples that ``heads`` marks, each
    read as ``featurise`` reads them (through an encoder tuned on those examples only, if tuned)."""

    def fit(fitted: list[int]) -> Callable[[int], float]:
        rows, read, _ = featurise(fitted)
        head = fit_head(rows, _labels(ends[fitted]), examples_sha256=digest, l2=L2)
        return lambda index: head_log_odds(head, read(index))

    return _each_out_of_fold(found, heads, fit)


def _each_out_of_fold(
    found: list[TurnEndExample], marks: npt.NDArray[np.bool_], fit: Callable[[list[int]], Callable[[int], float]]
) -> list[float]:
    """Each example's reading by what ``fit`` made of the other folds' examples that ``marks`` marks."""
    folds = _folds(found)
    readings = [0.0] * len(found)
    for fold in range(FOLDS):
        read = fit([i for i, e in enumerate(found) if folds[e.case] != fold and marks[i]])
        for i, e in enumerate(found):
            if folds[e.case] == fold:
                readings[i] = read(i)
    return readings


def _folds(found: list[TurnEndExample]) -> dict[str, int]:
    """Each case's fold, by a hash of its id: a story's cuts are in one."""
    return {case: rank % FOLDS for rank, case in enumerate(sorted({e.case for e in found}, key=_hashed))}


def commands_of(found: Sequence[TurnEndExample], intent: Intent) -> list[bool]:
    """Whether ``intent`` reads each example's words as a ``command``."""
    return [command(intent.read(tail(example.text), IntentContext())) for example in found]


def evidence_rows(
    found: Sequence[TurnEndExample],
    words: Sequence[float],
    commands: Sequence[bool],
    models: Sequence[float | None],
) -> npt.NDArray[np.float64]:
    """Each example's ``evidence``, given its head log-odds, whether it is a command (``commands_of``) and a model
    reading (None: none, the words alone)."""
    import numpy as np

    rows = []
    for example, said, commanded, model in zip(found, words, commands, models, strict=True):
        asks, story = turn_shape(example.text, example.stretch_start, typed=example.typed)
        rows.append(evidence(said, asks=asks, story=story, command=commanded, model=model, typed=example.typed))
    return np.array(rows)


def _logistic(x: npt.NDArray[np.float64], y: npt.NDArray[np.bool_], l2: float = COMBINATION_L2) -> tuple[float, ...]:
    """Weights and a bias (last) of a logistic regression (``fit_logistic``), rounded to be stored."""
    return tuple(round(float(w), 6) for w in fit_logistic(x, y, l2))


def _agent_asked(case: Example) -> bool:
    """Did the agent's last line of the case's context ask something?"""
    agent = [turn["text"] for turn in case["context"] if turn["speaker"] == "agent"]
    return bool(agent) and agent[-1].rstrip().endswith("?")


def _learnt(pauses: Sequence[float]) -> tuple[float, ...]:
    """The pauses the policy's wait learns from (``EndOfTurn``: the latest eight of ``SHORTEST_PAUSE`` or more)."""
    return tuple(pause for pause in pauses if pause >= SHORTEST_PAUSE)[-8:]


def _later_pauses(root: Path) -> list[Example]:
    path = root / LATER
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ConfigError(f"the learned turn end is fitted in a checkout with {LATER} ({error})") from None
    return [json.loads(line) for line in lines if line.strip()]


def _labels(ends: npt.NDArray[np.bool_]) -> list[str]:
    return [END if end else "continue" for end in ends.tolist()]


def _probability_of(log_odds: float) -> float:
    return 1.0 / (1.0 + math.exp(-log_odds))


def _hashed(case: str) -> str:
    return hashlib.sha256(case.encode()).hexdigest()


def _model_probabilities(root: Path) -> dict[str, float]:
    path = root / SIGNALS
    try:
        probabilities: dict[str, float] = json.loads(path.read_text(encoding="utf-8"))["probabilities"]
    except (OSError, KeyError, ValueError) as error:
        raise ConfigError(f"cannot read {path} ({error}): run bench/end_of_turn_signals.py") from None
    return probabilities


def _probability(model: dict[str, float], example: str) -> float:
    try:
        return model[example]
    except KeyError:
        raise ConfigError(f"no model probability for {example}: run bench/end_of_turn_signals.py again") from None
