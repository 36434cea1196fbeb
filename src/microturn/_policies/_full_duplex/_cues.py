"""Cues the user set ("tell me when I say a number"), checked on every word of the user's as it arrives.

A cue hears the user's words only, and its interjection never cuts the agent off: said while the agent is
talking, it comes right after what the agent is saying (in the same utterance), and only a held agent (quiet
for the user already) gives way to it. When it is set, the agent says how to cancel it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from microturn._core._actions import Action, ClearTurn, Record, Say
from microturn._core._events import CueFired, CueSet, SpeechPurpose
from microturn._core._floor import FloorState
from microturn._core._language import is_noise, number_value, parse_arithmetic, say_number, words
from microturn._policies._full_duplex._decisions import Member, RulesMember
from microturn._policies._full_duplex._feature import Feature, Names
from microturn._policies._full_duplex._intents import CueRequest, Request, StopCues

__all__ = ["Cue", "Cues", "Hit"]


@dataclass(frozen=True, slots=True)
class Hit:
    matched: str
    say: str


class Cues(Feature):
    """The cues the user set: each hears the user's words as they are finished, and interjects on a hit."""

    def __init__(self, names: Names, member: Member | None = None) -> None:
        """``member`` reads a word for a cue on a kind of thing (the policy's decisions'; the rules' if none)."""
        self._names = names
        self._member = member or RulesMember()
        self._cues: list[Cue] = []

    def handle(self, state: FloorState, intent: Request) -> list[Action] | None:
        """Set a cue, or stop them all."""
        if isinstance(intent, CueRequest):
            cue = Cue(self._names.new("cue"), intent, self._member)
            self._cues.append(cue)
            heard = f"I'll stop you at {intent.watch}" if intent.interrupt else f"Listening for {intent.watch}"
            if intent.reply:
                heard += f", and I'll say {intent.reply}"
            return [
                ClearTurn(),
                Record(CueSet(cue=cue.name, watch=intent.watch, interrupt=intent.interrupt)),
                Say(f"{heard}. {_HOW_TO_STOP}"),
            ]
        if isinstance(intent, StopCues):
            self._cues.clear()
            return [ClearTurn(), Say("Okay, I've stopped listening for that.")]
        return None

    def hear(self, state: FloorState, text: str) -> list[Action]:
        """Let every cue hear the user's newly finished words: an interjection for each hit, while they talk."""
        if not text.strip():
            return []
        return [action for cue in self._cues for action in _fired(state, cue, cue.hear(text))]

    def flush(self, state: FloorState) -> list[Action]:
        """The user's turn ended: what a cue held back for the rest of a number is complete now."""
        return [action for cue in self._cues for action in _fired(state, cue, cue.flush())]


def _fired(state: FloorState, cue: Cue, hit: Hit | None) -> list[Action]:
    if hit is None:
        return []
    # After the agent's words (a new utterance if it is silent), never in their place; a held agent gives way.
    interjection = Say(hit.say, SpeechPurpose.INTERJECTION, append=not state.agent_held)
    return [Record(CueFired(cue=cue.name, matched=hit.matched)), interjection]


@dataclass
class Cue:
    """One active cue and what it has heard since it was set."""

    name: str
    request: CueRequest
    member: Member = field(default_factory=RulesMember)
    """Whether a word is one of a ``category`` cue's kind of thing (the policy's decisions')."""
    heard: list[str] = field(default_factory=list)
    _reported: set[tuple[int, int]] = field(default_factory=set)

    def hear(self, text: str) -> Hit | None:
        """Add the user's next word(s); return a hit if the cue fires on them.

        ``heard`` keeps only the last words (``_MEMORY``), so a check that reads back (a phrase, a claim)
        costs the same per word however long the user has talked.
        """
        self._forget()
        start = len(self.heard)
        self.heard.extend(token for token in words(text) if not is_noise(token))
        kind = self.request.kind
        if kind == "number":
            return self._number(start)
        if kind == "phrase":
            return self._phrase() if any(t not in _PUNCTUATION for t in self.heard[start:]) else None
        if kind == "category":
            return self._category(start)
        return self._wrong_fact()

    def _number(self, start: int) -> Hit | None:
        for index in range(start, len(self.heard)):
            token = self.heard[index]
            if number_value(token) is None:
                continue
            previous_is_number = index > 0 and number_value(self.heard[index - 1]) is not None
            if previous_is_number:
                continue  # the same number going on ("twenty five")
            return Hit(matched=token, say=self.request.reply or f"Number: {token}.")
        return None

    def _category(self, start: int) -> Hit | None:
        """The first new word that is one of the kind, read with the words before it (punctuation left out; how many
        of them matter is the member's to say, and ``heard`` is bounded)."""
        said = [token for token in self.heard if token not in _PUNCTUATION]
        new = sum(token not in _PUNCTUATION for token in self.heard[start:])
        for at in range(len(said) - new, len(said)):
            word = said[at]
            if self.member.is_member(self.request.category, word, said[:at]):
                answer = self.request.reply or f"{self.request.category.capitalize()}: {word}."
                return Hit(matched=word, say=f"Stop! {answer}" if self.request.interrupt else answer)
        return None

    def _forget(self) -> None:
        """Drop the oldest words once ``heard`` is twice what a check reads, keeping the reported claims in step."""
        if len(self.heard) < 2 * _MEMORY:
            return
        cut = len(self.heard) - _MEMORY
        del self.heard[:cut]
        self._reported = {(begin - cut, end - cut) for begin, end in self._reported if begin >= cut}

    def _phrase(self) -> Hit | None:
        phrase = list(self.request.phrase)
        content: list[str] = []
        for token in reversed(self.heard):  # the last len(phrase) words, punctuation left out
            if len(content) == len(phrase):
                break
            if token not in {",", ".", "?", "!"}:
                content.append(token)
        if content[::-1] != phrase:
            return None
        said = " ".join(phrase)
        answer = self.request.reply or f"You said {said}."
        return Hit(matched=said, say=f"Stop! {answer}" if self.request.interrupt else answer)

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
        # Back over the number just finished to the equals word before it ("is"), or give up at any other word.
        equals = end
        while equals >= 0 and tokens[equals] not in _EQUALS:
            if number_value(tokens[equals]) is None:
                return None  # the number just finished is not what a claim says something "is"
            equals -= 1
        if equals < 0:
            return None
        # The expression is everything before the equals word that reads as arithmetic.
        begin = equals
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


_HOW_TO_STOP = "Say 'cancel the cue' to stop."
"""Said with every cue set (short: the user may already be talking again)."""
_MEMORY = 256
"""Words a cue keeps (up to twice as many): every check reads back at most this far, and a phrase or a claim
longer than this is not one anybody says."""
_EQUALS = frozenset({"is", "equals", "makes", "="})
_ARITHMETIC = frozenset("plus minus times x multiplied divided by over add + - * /".split())
_PUNCTUATION = frozenset({",", ".", "?", "!", "-", "…"})
_TENS = frozenset("twenty thirty forty fifty sixty seventy eighty ninety".split())
