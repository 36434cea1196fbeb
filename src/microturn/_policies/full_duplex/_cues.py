"""Cues the user set ("tell me when I say a number"), checked on every word as it arrives."""

from __future__ import annotations

from dataclasses import dataclass, field

from microturn._language import is_noise, number_value, parse_arithmetic, say_number, words
from microturn._policies.full_duplex._intents import CueRequest

__all__ = ["Cue", "Hit"]


@dataclass(frozen=True, slots=True)
class Hit:
    matched: str
    say: str


@dataclass
class Cue:
    """One active cue and what it has heard since it was set."""

    name: str
    request: CueRequest
    heard: list[str] = field(default_factory=list)
    _reported: set[tuple[int, int]] = field(default_factory=set)

    def hear(self, text: str) -> Hit | None:
        """Add the user's next word(s); return a hit if the cue fires on them."""
        start = len(self.heard)
        self.heard.extend(token for token in words(text) if not is_noise(token))
        kind = self.request.kind
        if kind == "number":
            return self._number(start)
        if kind == "phrase":
            return self._phrase() if any(t not in _PUNCTUATION for t in self.heard[start:]) else None
        return self._wrong_fact()

    def _number(self, start: int) -> Hit | None:
        for index in range(start, len(self.heard)):
            token = self.heard[index]
            if number_value(token) is None:
                continue
            previous_is_number = index > 0 and number_value(self.heard[index - 1]) is not None
            if previous_is_number:
                continue  # the same number going on ("twenty five")
            return Hit(matched=token, say=f"Number: {token}.")
        return None

    def _phrase(self) -> Hit | None:
        phrase = list(self.request.phrase)
        content = [token for token in self.heard if token not in {",", ".", "?", "!"}]
        if len(content) < len(phrase) or content[-len(phrase) :] != phrase:
            return None
        said = " ".join(phrase)
        if self.request.interrupt:
            return Hit(matched=said, say=f"Stop! You said {said}.")
        return Hit(matched=said, say=f"You said {said}.")

    def flush(self) -> Hit | None:
        """The user paused: a number that might have gone on ("twenty ...") is now complete."""
        return self._wrong_fact(final=True) if self.request.kind == "wrong-fact" else None

    def _wrong_fact(self, *, final: bool = False) -> Hit | None:
        # Check the claim that ends with the newest complete number: "two plus two is five".
        tokens = self.heard
        end = len(tokens) - 1
        if end < 0:
            return None
        if number_value(tokens[end]) is None:
            end -= 1  # a word after the number: the number before it is complete
        elif tokens[end] in _TENS and not final:
            return None  # "twenty" may be "twenty four"
        if end < 0 or number_value(tokens[end]) is None:
            return None
        equals = [i for i in range(end) if tokens[i] in _EQUALS]
        if not equals or any(number_value(token) is None for token in tokens[equals[-1] + 1 : end + 1]):
            return None  # the number just finished is not what a claim says something "is"
        # The expression is everything before the equals word that reads as arithmetic.
        begin = equals[-1]
        while begin > 0 and (number_value(tokens[begin - 1]) is not None or tokens[begin - 1] in _ARITHMETIC):
            begin -= 1
        if (begin, end) in self._reported:
            return None
        claim = parse_arithmetic(" ".join(tokens[begin : end + 1]))
        if claim is None or claim.claimed is None:
            return None
        self._reported.add((begin, end))
        try:
            value = claim.value()
        except ZeroDivisionError:
            return None
        if abs(value - claim.claimed) < 1e-9:
            return None
        matched = " ".join(tokens[begin : end + 1])
        return Hit(matched=matched, say=f"Wait, {claim.spoken} is {say_number(value)}.")


_EQUALS = frozenset({"is", "equals", "makes", "="})
_ARITHMETIC = frozenset("plus minus times x multiplied divided by over add + - * /".split())
_PUNCTUATION = frozenset({",", ".", "?", "!", "-", "…"})
_TENS = frozenset("twenty thirty forty fifty sixty seventy eighty ninety".split())
