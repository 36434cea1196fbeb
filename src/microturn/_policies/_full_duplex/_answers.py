"""The user's answer to a yes/no question ("May I delete these files?"), read so that it fails closed.

Only a clear yes approves: an answer made up of nothing but yes phrases ("yes", "sure, go ahead",
"yep do it") and polite filler ("okay", "please", "then"). A clear no declines ("no", "don't", "not
yet", "I don't think so"). Anything else is *unclear* and the agent asks again: a question back
("okay, what exactly will it delete?"), a hesitation ("alright hold on", "hmm"), a request to explain,
a mix ("yes... actually no", "sure, but not now"), a bare "okay", other talk, and anything it cannot
read (digits, emoji, another script: "yes нет" may mean no). Guessing yes from words
that were not a yes would run a risky tool nobody approved; an unclear answer costs one more question.
"""

from __future__ import annotations

import re

__all__ = ["only_filler", "yes_or_no"]

_YES = {
    "yes", "yeah", "yea", "yep", "yup", "yes please", "sure", "sure thing", "absolutely", "definitely",
    "certainly", "of course", "by all means", "go ahead", "go ahead with it", "go ahead and do it", "go for it",
    "do it", "do that", "please do", "let's do it", "proceed", "approved", "i approve", "approve it",
    "you may", "you can", "that's fine", "sounds good", "no problem", "affirmative", "permission granted",
    "you have my permission",
}  # fmt: skip
_NO = {
    "no", "nope", "nah", "no thanks", "no thank you", "don't", "dont", "do not", "don't do it", "do not do it",
    "don't do that", "don't bother", "not now", "not yet", "not today", "not right now", "not at all", "never",
    "never mind", "no way", "absolutely not", "definitely not", "certainly not", "of course not",
    "i don't think so", "i do not think so", "i'd rather not", "rather not", "better not", "stop", "cancel",
    "cancel it", "cancel that", "forget it", "skip it", "leave it", "negative", "denied", "i refuse",
    "you may not", "you can't", "you cannot",
}  # fmt: skip
_FILLER = {
    "okay", "ok", "alright", "all right", "please", "thanks", "thank you", "then", "now", "just", "fine", "i said",
}  # fmt: skip
"""Words that go with an answer but are none: "okay" alone could be "okay, let me think"."""

_PHRASES = {
    **{tuple(phrase.split()): "yes" for phrase in _YES},
    **{tuple(phrase.split()): "no" for phrase in _NO},
    **{tuple(phrase.split()): "" for phrase in _FILLER},
}
_LONGEST = max(len(phrase) for phrase in _PHRASES)
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")
_BETWEEN = re.compile(r"[\s.,!;:'\"()\-\u2013\u2014\u2026]*")
"""What may stand between the words: anything else (digits, emoji, another script) may be a "no" unread."""
_MAX_CHARS = 160  # an answer is short; anything longer is talk, and is never read word by word
_MAX_TOKENS = 12


def yes_or_no(text: str) -> bool | None:
    """True for a clear yes, False for a clear no, None when the answer is unclear (ask again)."""
    said = _meanings(text)
    if said == {"yes"}:
        return True
    if said == {"no"}:
        return False
    return None  # unreadable, only filler ("okay"), or both ("yes no", "no problem... no")


def only_filler(text: str) -> bool:
    """The answer is nothing but filler ("okay", "alright then"): no yes or no in words, unclear by these
    rules; a learned reader may know more (``_decisions/_learned/_approval.py``)."""
    return _meanings(text) == set()


def _meanings(text: str) -> set[str] | None:
    """What the answer's phrases say: ``yes``, ``no``, both or neither; None when it cannot be read so."""
    if len(text) > _MAX_CHARS or "?" in text:
        return None  # a question back is never a yes
    lowered = text.lower().replace("\u2019", "'")
    tokens = _TOKEN.findall(lowered)
    if not tokens or len(tokens) > _MAX_TOKENS or not _BETWEEN.fullmatch(_TOKEN.sub("", lowered)):
        return None
    said: set[str] = set()
    position = 0
    while position < len(tokens):
        for size in range(min(_LONGEST, len(tokens) - position), 0, -1):
            meaning = _PHRASES.get(tuple(tokens[position : position + size]))
            if meaning is not None:
                said.add(meaning)
                position += size
                break
        else:
            return None  # a word that is part of no answer: "hold on", "what", "but", "actually"
    said.discard("")
    return said
