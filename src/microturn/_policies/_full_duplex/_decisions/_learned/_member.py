"""Whether a word the user says is one of a kind of thing a cue listens for ("say ding whenever I mention a colour").

No list of colours, animals or cities: the kind's name, the word and the words said before it are read together
(``member_text``) by an encoder tuned for it (a low-rank adapter, ``_sentences/_tune.py``, stored in
``member.npz`` with its head), so that a member is read in the meaning it has where it is said: "navy" in "a deep
navy dress" is a colour, "feeling a bit blue" is not; "violet rang earlier" is a person; "paint" and "faded" are
about colour and are none.

Fitted on the ``train`` kinds of ``eval/categories/`` (84 kinds, every word of 1,207 sentences; written for it,
split by kind), cross-fitted by kind; measured on its 17 ``dev`` kinds, which no fit has seen, and out of fold by
``bench/category_cues.py`` (dev: precision 0.68, recall 0.49; docs/decisions.md). The word is read when it is
heard, with the words before it only: a cue answers without waiting for the rest of the sentence. Known gap: the
set has few plain, prototypical members, and "my car is red" reads as none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from microturn._policies._full_duplex._decisions._learned._heads import MEMBER, head

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from microturn._sentences import Adapter, SentenceEncoder

__all__ = ["BEFORE", "SURE_MEMBER", "LearnedMember", "member_features", "member_text"]

BEFORE = 12
"""How many of the words before it a word is read with: the clause it is in, rarely more."""
SURE_MEMBER = 0.6
"""How likely a member a word must be for a cue to fire on it. Chosen on the train kinds out of fold
(``bench/category_cues.py --split train``): the best F0.5 (a false "ding" costs twice a missed one), 0.66 against
0.65 from 0.5 and 0.65 from 0.7."""


def member_text(kind: str, word: str, before: Sequence[str]) -> str:
    """The kind, the word, and the word where it was said, as the encoder reads them together."""
    said = " ".join([*before[-BEFORE:], word])
    return f"{kind} . {word} . {said}"


def member_features(
    kind: str,
    word: str,
    before: Sequence[str],
    adapter: Adapter | None = None,
    *,
    encoder: SentenceEncoder | None = None,
) -> npt.NDArray[np.float32]:
    """The mean and max pooling of ``member_text`` through the encoder tuned with ``adapter`` (the head's), or
    through ``encoder``."""
    import numpy as np

    from microturn._sentences import sentence_encoder

    pooled = (encoder or sentence_encoder(adapter)).pooled(member_text(kind, word, before))
    return np.concatenate([pooled.mean, pooled.max])


class LearnedMember:
    """``Member`` by the shipped head: a word is a member at ``sure`` or above."""

    def __init__(self, sure: float = SURE_MEMBER) -> None:
        self._head = head(MEMBER)
        self._sure = sure

    def probability(self, kind: str, word: str, before: Sequence[str]) -> float:
        """How likely ``word``, said after ``before``, is one of ``kind``."""
        features = member_features(kind, word, before, self._head.adapter)
        return self._head.probabilities(features)["member"]

    def is_member(self, category: str, word: str, before: Sequence[str]) -> bool:
        return self.probability(category, word, before) >= self._sure
