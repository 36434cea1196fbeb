"""The embedded model's end of turn read from its whole next-token distribution, not from P(line break) alone.

After the user's latest word the model has a distribution over every next token. P(a line break) is its guess
that the line ends there, but the rest of the distribution says more: a word after which the model expects a
comma, "and" or "because" is seldom the end of a turn, one after which it expects a full stop or is sure of
little often is. So the reading is a small logistic regression (``end_of_turn_head.npz``) over ``features`` of
the distribution, all from the logits the reading already has (no second decode):

* the log-probability of each of seven classes of token (``CLASSES``, by the text of its piece): a line break
  (P(line break) itself, the reading before this head), end punctuation (. ! ?), mid punctuation (, ; : and
  dashes), a token that starts a new word (space-prefixed), the rest of a word, a bracket or quote, other;
* the distribution's entropy and its top-1 probability (how sure the model is of what comes next);
* the log-probability of ``COMMON`` words as the next word (a space, then the word): a fixed list of English
  function words and fillers, chosen before any fit, not from data.

The class map is built once per weights file from the tokenizer's pieces (``vocabulary``: about a second over
Gemma's 262,144 pieces, as the model loads) and applied to the logits in a few vectorised passes (~1.2 ms a
reading). The head was fitted on the training set's readings only, with its regularisation chosen by
cross-validation (``_end_of_turn_head_fit.py``), and it is stored with the sha256 of the recorded features it was
fitted on, so a stale head is caught by a test. It was fitted at pauses and story cuts, the places the turn end
weighs it: mid-sentence, where P(line break) is near 0, it is less sure (the session's speculation threshold is
chosen with that in mind: ``_end_of_turn_speculation.py``). It was fitted on Gemma 3 270M's distribution; another
GGUF gets the same features read the same way (a common word its tokenizer splits is read by its first token).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from microturn.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "CLASSES",
    "COMMON",
    "FEATURES",
    "HEAD",
    "EndOfTurnHead",
    "Vocabulary",
    "classify",
    "features",
    "load_end_of_turn_head",
    "shipped_head",
    "vocabulary",
    "vocabulary_of",
]

HEAD = Path(__file__).with_name("end_of_turn_head.npz")
CLASSES = ("line break", "end punctuation", "mid punctuation", "new word", "rest of word", "bracket or quote", "other")
LINE_BREAK, END, MID, NEW_WORD, REST, BRACKET, OTHER = range(len(CLASSES))
COMMON = (
    *("and", "but", "so", "because", "or", "then", "if", "when", "that", "which", "what", "like", "just"),
    *("um", "uh", "maybe", "actually", "please", "the", "a", "my", "this", "to", "of", "in", "for", "with"),
    *("about", "on", "at", "not", "it", "is", "was", "I", "i", "you", "we", "me", "there"),
)
"""Words whose probability as the next word says whether the line goes on: conjunctions, fillers, prepositions,
articles, pronouns ("i" too: transcripts are often lower case). A fixed list, not chosen on any data."""
FEATURES = (*(f"log P({name})" for name in CLASSES), "entropy", "top-1", *(f"log P( {word})" for word in COMMON))
"""The names of ``features``' values, in order; the head stores them and is refused if they differ."""
FLOOR = -20.0
"""Log-probabilities are read no lower than this: below it a token is simply not expected, however unlikely."""
_END = frozenset(".!?…")
_MID = frozenset(",;:-–—")
_BRACKETS = frozenset("()[]{}\"“”«»'‘’")
_APOSTROPHES = frozenset("'’")


def classify(piece: bytes) -> int:
    """The class (an index into ``CLASSES``) of a token by its text: its first character, and whether it starts
    with a space (a new word). An apostrophe right after a word ("it" then "'s") goes on with the word."""
    text = piece.decode("utf-8", errors="replace")
    if text.startswith("\n"):
        return LINE_BREAK
    bare = text.lstrip(" ")
    spaced = len(bare) < len(text)
    first = bare[:1]
    if not first:
        return OTHER  # control tokens (<eos>, <end_of_turn>) and bare spaces
    if first in _END:
        return END
    if first in _MID:
        return MID
    if first in _APOSTROPHES and not spaced:
        return REST
    if first in _BRACKETS:
        return BRACKET
    if first.isalnum():
        return NEW_WORD if spaced else REST
    return OTHER


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """What ``features`` needs of a model's vocabulary: each token's class, and the ids of ``COMMON`` words."""

    classes: npt.NDArray[np.intp]
    common: npt.NDArray[np.intp]


def vocabulary_of(pieces: Sequence[bytes], common: Sequence[int]) -> Vocabulary:
    """The vocabulary whose token ``i`` has the text ``pieces[i]``, with ``common`` the ids of ``COMMON``."""
    import numpy as np

    if len(common) != len(COMMON):
        raise ValueError(f"{len(common)} common-word ids for {len(COMMON)} common words")
    return Vocabulary(np.array([classify(p) for p in pieces], np.intp), np.array(common, np.intp))


_VOCABULARIES: dict[str, Vocabulary] = {}
"""By weights file: every context loaded from it has the same vocabulary."""


def vocabulary(llama: Any) -> Vocabulary:
    """The vocabulary of ``llama``'s weights, built the first time they are loaded (about a second for Gemma's
    262,144 pieces: ``EmbeddedModel`` does it as it loads, not at the user's first word) and kept.

    Each piece's text is asked of ``detokenize``; a common word's id is the first token of " word" as the
    tokenizer splits it (one token for each of them in Gemma's vocabulary).
    """
    if (found := _VOCABULARIES.get(llama.model_path)) is not None:
        return found
    pieces = [llama.detokenize([token]) for token in range(llama.n_vocab())]
    common = [llama.tokenize(f" {word}".encode(), add_bos=False, special=False)[0] for word in COMMON]
    built = _VOCABULARIES[llama.model_path] = vocabulary_of(pieces, common)
    return built


def features(logits: npt.NDArray[np.float32], known: Vocabulary) -> npt.NDArray[np.float64]:
    """The values ``FEATURES`` names, from the next-token logits (one per token of ``known``'s vocabulary).

    One exponential over the vocabulary gives the softmax's total, from which the classes' probabilities (a
    weighted ``bincount``), the entropy (``log Z - E[logit - max]``) and the top-1 probability (``1 / Z``:
    the largest term is 1) follow without a second pass.
    """
    import numpy as np

    shifted = logits - logits.max()
    weights = np.exp(shifted)
    total = float(weights.sum(dtype=np.float64))
    log_total = math.log(total)
    classes = np.bincount(known.classes, weights=weights, minlength=len(CLASSES)) / total
    entropy = log_total - float((weights * shifted).sum(dtype=np.float64)) / total  # no BLAS: its threads contend
    common = shifted[known.common].astype(np.float64) - log_total
    with np.errstate(divide="ignore"):
        logged = np.log(classes)
    return np.concatenate([np.maximum(logged, FLOOR), [entropy, 1.0 / total], np.maximum(common, FLOOR)])


@dataclass(frozen=True, slots=True)
class EndOfTurnHead:
    """A logistic regression over standardised ``features``: P(the user's turn is over)."""

    mean: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]
    bias: float
    features_sha256: str
    """The sha256 of the recorded features it was fitted on (``_end_of_turn_head_fit.features_sha256``)."""

    def log_odds(self, row: npt.NDArray[np.float64]) -> float:
        return float((row - self.mean) / self.scale @ self.weights) + self.bias

    def probability(self, row: npt.NDArray[np.float64]) -> float:
        return 1.0 / (1.0 + math.exp(-self.log_odds(row)))

    def save(self, path: Path) -> None:
        import numpy as np

        with path.open("wb") as file:
            np.savez(
                file,
                names=np.array(FEATURES),
                mean=self.mean,
                scale=self.scale,
                weights=self.weights,
                bias=np.array(self.bias),
                features_sha256=np.array(self.features_sha256),
            )


def load_end_of_turn_head(path: Path = HEAD) -> EndOfTurnHead:
    """The head in ``path``; refused (``ConfigError``) if it is missing, unreadable or reads other features."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as data:
            names = tuple(str(name) for name in data["names"])
            head = EndOfTurnHead(
                mean=data["mean"].astype(np.float64),
                scale=data["scale"].astype(np.float64),
                weights=data["weights"].astype(np.float64),
                bias=float(data["bias"]),
                features_sha256=str(data["features_sha256"]),
            )
    except (OSError, KeyError, ValueError, TypeError) as error:
        raise ConfigError(f"cannot load the end-of-turn head {path} ({error}): reinstall microturn") from None
    if names != FEATURES or not head.mean.shape == head.scale.shape == head.weights.shape == (len(FEATURES),):
        raise ConfigError(f"the end-of-turn head {path} reads other features than this microturn: reinstall microturn")
    return head


@functools.cache
def shipped_head() -> EndOfTurnHead:
    """The head shipped beside this module, loaded at the first reading (a few kilobytes)."""
    return load_end_of_turn_head(HEAD)
