"""What a cue is to say when it fires, as the user asked: "whenever I say a number just shout bingo", "say ding
when I say banana". Read alike by the rules and the learned intent (a slot, not a decision): the words after a
verb of saying that is not the user's own speech ("when I say ..." is what the cue listens to), up to the end of
their clause.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["cue_reply"]

_REPLYING = frozenset({"say", "saying", "shout", "shouting", "yell", "answer", "reply", "respond"})
"""Verbs of what to say when a cue fires: "... just say ding", "by shouting bingo", "answer with snap"."""
USERS = frozenset({"i", "we", "me", "they", "he", "she"})
"""A "say" after these is the speech a cue listens to ("when I say", "if you hear me say"), not its answer."""
_SKIPPED = frozenset({"with", "the", "word", "words"})
"""What may come between the verb and the answer: "answer with snap", "say the word ding"."""
_ENDS = frozenset(
    ", . ? ! ; when whenever once if as every each so because please pls thanks thank ta and then".split()
)
"""What ends the answer: punctuation, a condition ("say ding when ..."), a courtesy, the next clause."""
_LONGEST = 6
"""The longest answer read ("shout bingo bango bongo"): longer words are not an answer to a cue."""


def cue_reply(said: Sequence[str]) -> str | None:
    """The answer a cue request's lower-case words ``said`` ask for, if they do."""
    for index, token in enumerate(said):
        if token not in _REPLYING or (index and said[index - 1] in USERS):
            continue
        start = index + 1
        while start < len(said) and said[start] in _SKIPPED:
            start += 1
        words: list[str] = []
        for word in said[start:]:
            if word in _ENDS:
                break
            words.append(word)
        if 0 < len(words) <= _LONGEST:
            return " ".join(words)
    return None
