"""An answer to a yes/no approval read by the head and the rules together, failing closed.

The head (``approval.npz``: yes / no / unclear, fitted on examples) reads paraphrases the rules' phrase lists do
not know ("yeah bin em", "crack on"); the rules (``_answers.py``) read the plain ones without doubt. A yes runs a
risky tool nobody else approved, so it needs either both to say yes, or the head to be all but certain
(``SURE``) of an answer with no negation, no question and nothing the rules read as a no. An answer of filler
alone ("okay", "fine") is a yes when the head reads it so: every such answer of the examples is one. A no is
taken from either. Anything else is unclear, and the agent asks again.

``SURE`` was chosen by 5-fold cross-validation on the training examples (``bench/decisions_cross_validation.py
approval``): the lowest probability at which no answer that was not a yes read as one, with a margin.
"""

from __future__ import annotations

from microturn._policies._full_duplex._answers import only_filler, yes_or_no
from microturn._policies._full_duplex._decisions._learned._features import features, tokens
from microturn._policies._full_duplex._decisions._learned._negation import NEGATED, is_cue, mark
from microturn._sentences import Head

__all__ = ["SURE", "read_answer"]

SURE = 0.95
"""The head's probability of a yes that approves without the rules."""


def read_answer(text: str, answers: Head, *, sure: float = SURE) -> str:
    """``yes``, ``no`` or ``unclear``: what ``text`` answers to a yes/no question, by the head ``answers``."""
    rules = yes_or_no(text)
    said = tokens(text)
    if not any(token[0].isalnum() for token in said):
        return "unclear"
    chances = answers.probabilities(features(text))
    yes, no = chances["yes"], chances["no"]
    if rules is True:
        return "yes" if yes >= max(no, chances["unclear"]) else "unclear"
    if rules is False or no > max(yes, chances["unclear"]):
        return "no"
    if only_filler(text):
        return "yes" if yes > chances["unclear"] else "unclear"
    doubted = "?" in text or any(is_cue(token) or token.startswith(NEGATED) for token in mark(said))
    return "yes" if yes >= sure and not doubted else "unclear"
