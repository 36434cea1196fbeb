"""Negation scope: which words of a turn a "don't", "not", "never" or "no need to" applies to.

Sentence embeddings cannot see negation ("cancel the timer" and "don't cancel the timer" are 0.96 alike), so
the learned intent reads it explicitly, as sentiment classifiers long have (Das & Chen 2001; Pang, Lee &
Vaithyanathan 2002): a negation cue opens a scope that runs to the end of its clause, and every word in it is
marked (``NOT_stop``). The classifier's head then learns from examples what a negated word means
("don't stop" keeps something going, "don't need ... anymore" ends it), and a turn whose request lies wholly
inside a scope reads as negated.

A clause ends at punctuation, at a conjunction or discourse word that starts a new one ("but", "just",
"instead"), or at a new subject ("i", "we", "she": "don't remind me i know"); a scope is at most
``SCOPE_WORDS`` long. "no" is a cue only when it quantifies what follows ("no need to", "no more
timers"), not as an answer ("no, cancel the timer", "no not the search").
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

__all__ = ["NEGATED", "SCOPE_WORDS", "is_cue", "mark", "negates_all"]

NEGATED = "NOT_"
"""The prefix of a word inside a negation scope."""
SCOPE_WORDS = 6

_CUES = frozenset({"not", "never", "no", "nothing", "without", "nor", "neither", "cannot"})
_CONTRACTED = frozenset({"dont", "didnt", "doesnt", "wont", "cant", "isnt", "arent", "shouldnt", "needn"})
"""Contractions typed without their apostrophe."""
_CLAUSE_ENDS = frozenset(
    {",", ".", "?", "!", ";", "but", "and", "so", "just", "then", "because", "cause", "or", "instead", "rather"}
)
_SUBJECTS = frozenset({"i", "we", "he", "she", "they"})
_NOT_QUANTIFIED = frozenset({"you", "it", "that", "thanks", "thank", "wait", "sorry", "actually"})
"""After "no", these show it is an answer or an interjection ("no you misheard", "no thanks", "no wait, make it
three"), not a quantifier."""
_ENDING = frozenset({"anymore", "longer", "keep", "keeping", "carry", "continue", "continuing"})
"""Words that make a negation end something already going on: "don't ... anymore", "no longer", "don't keep
...", "don't carry on"; and pairs: "any more", "after all", "no more", and the idiom "never mind"."""
_ENDING_PAIRS = frozenset({("any", "more"), ("after", "all"), ("no", "more"), ("never", "mind")})
_OPENERS = frozenset(
    "um umm uh er erm oh okay ok so well please pls just and but no nah i we you let's lets actually".split()
)
"""What may come before the negation of a whole request: fillers, politeness, its subject."""


def is_cue(token: str) -> bool:
    """``token`` negates what follows it: "not", "never", "don't", "can't", "dont"."""
    return token in _CUES or token.endswith("n't") or token in _CONTRACTED


def mark(tokens: Sequence[str]) -> list[str]:
    """``tokens`` with every word inside a negation scope prefixed by ``NEGATED``; cues themselves unmarked."""
    marked: list[str] = []
    scope = 0
    for index, token in enumerate(tokens):
        if is_cue(token):
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            answer = token == "no" and (
                not following or is_cue(following) or following in _CLAUSE_ENDS | _SUBJECTS | _NOT_QUANTIFIED
            )
            scope = 0 if answer else SCOPE_WORDS
            marked.append(token)
            continue
        if token in _CLAUSE_ENDS or token in _SUBJECTS:
            scope = 0
        if scope:
            marked.append(NEGATED + token)
            scope -= 1
        else:
            marked.append(token)
    return marked


def negates_all(tokens: Sequence[str]) -> bool:
    """The whole request is negated: its words, after an opening of fillers or a subject, lie inside negation
    scopes, and none of them ends something going on ("don't stop the timer", "please don't cancel the search",
    "let's not look into that"; not "don't need the timer anymore", "don't carry on with the search")."""
    marked = [token for token in mark(tokens) if token not in _CLAUSE_ENDS or token == "no"]
    first = next((index for index, token in enumerate(marked) if is_cue(token)), None)
    if first is None or not all(token in _OPENERS for token in marked[:first]):
        return False
    rest = marked[first:]
    if not all(is_cue(token) or token.startswith(NEGATED) or token in _OPENERS for token in rest):
        return False
    words = [token.removeprefix(NEGATED) for token in rest]
    return not (_ENDING & set(words) or any(pair in _ENDING_PAIRS for pair in itertools.pairwise(words)))
