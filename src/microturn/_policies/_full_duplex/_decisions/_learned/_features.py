"""What a learned head reads of some words: their sentence embedding, and their words themselves.

A head sees two blocks side by side, each a unit vector:

* the MiniLM embedding (``_sentences``): what the words mean, across paraphrases;
* a bag of the words and word pairs, hashed into ``LEXICAL`` buckets, with every word in a negation scope
  marked (``_negation.py``: "don't stop" is ``NOT_stop``), numbers read as one token ``<number>`` and a span of
  time or a repeat (``_durations.py``) as ``<duration>`` / ``<every>``: what the embedding blurs (a negated verb,
  "stop translating" against "translate"), and what makes a timer whatever its numbers.

The intent head reads a third block between them (``intent_features``): the max-pooled token states of the same
forward pass (``Pooled.max``), where one telling word of a longer turn ("scrap", "instead") is not averaged
away. Out of fold on the intent examples it read more turns right on every fold; the other heads read the two
blocks above.

The weights of every block are learned from the examples (``_fit.py``); nothing here knows a label.
"""

from __future__ import annotations

import itertools
import zlib
from typing import TYPE_CHECKING

from microturn._core._language import number_value, words
from microturn._policies._full_duplex._decisions._learned._durations import bare_minutes, durations, every
from microturn._policies._full_duplex._decisions._learned._negation import NEGATED, mark

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from microturn._sentences import Adapter, SentenceEncoder

__all__ = ["LEXICAL", "PUNCTUATION", "features", "intent_features", "plain", "tokens"]

LEXICAL = 1024
"""Hash buckets of the lexical block."""
PUNCTUATION = frozenset({",", ".", "?", "!", ";", "…", "-", "+", "*", "/", "="})


def tokens(text: str) -> list[str]:
    """The lower-case words of ``text`` (punctuation included, curly apostrophes straightened)."""
    return words(text.lower().replace("\u2019", "'"))


def plain(text: str) -> str:
    """The words of ``text`` without punctuation, one space apart: speech as it is heard, a word at a time."""
    return " ".join(token for token in tokens(text) if token not in PUNCTUATION)


def features(text: str) -> npt.NDArray[np.float32]:
    """The embedding of ``text`` and its lexical block, side by side: what every head reads."""
    import numpy as np

    from microturn._sentences import sentence_encoder

    return np.concatenate([sentence_encoder().encode(text), _lexical(tokens(text))])


def intent_features(
    text: str, adapter: Adapter | None = None, *, encoder: SentenceEncoder | None = None
) -> npt.NDArray[np.float32]:
    """The embedding of ``text``, its max-pooled token states and its lexical block: what the intent head reads,
    the first two from the encoder tuned with ``adapter`` (the head's), or from ``encoder``."""
    import numpy as np

    from microturn._sentences import sentence_encoder

    pooled = (encoder or sentence_encoder(adapter)).pooled(text)
    return np.concatenate([pooled.mean, pooled.max, _lexical(tokens(text))])


def _lexical(said: list[str]) -> npt.NDArray[np.float32]:
    import numpy as np

    grams = [_normalised(token) for token in mark(said) if token not in PUNCTUATION]
    grams += [f"{first} {second}" for first, second in itertools.pairwise(grams)]
    spans = durations(said)
    if spans or bare_minutes(said) is not None:
        grams.append("<duration>")
    if every(said, spans) is not None:
        grams.append("<every>")
    vector = np.zeros(LEXICAL, np.float32)
    for gram in grams:
        vector[zlib.crc32(gram.encode()) % LEXICAL] += 1.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def _normalised(token: str) -> str:
    word = token.removeprefix(NEGATED)
    if number_value(word) is None:
        return token
    return NEGATED + "<number>" if token.startswith(NEGATED) else "<number>"
