"""Arithmetic as people say or type it, read into an expression the calculator evaluates.

"seventeen times twenty-three", "12 divided by 4", "2 to the power of 10", "15 percent of 80", "the square
root of 144", "what's 3 plus 4 times 2?", "(3+4)*2": :func:`read_spoken` turns such words into a Python
arithmetic expression plus the same calculation said back in plain words ("17 times 23"), so the answer
can be a sentence the talking model simply repeats. :data:`TRIGGER` finds such a calculation in a user's
words while they talk (see ``ToolSpec.trigger``), so the calculator is called before they finish.

Precedence is arithmetic's, not the order of speech: "3 plus 4 times 2" is 11, as a calculator says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from microturn._core._language import NUMBER_WORDS

__all__ = ["TRIGGER", "Spoken", "read_spoken"]

_LARGE = {"million": 10**6, "billion": 10**9}
_VALUES = {**NUMBER_WORDS, **_LARGE}
_SCALE_WORDS = frozenset({"hundred", "thousand", *_LARGE})

_TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d[\d_]*(?:\.\d+)?|[a-z]+(?:'[a-z]+)?|\*\*|//|[-+*/^%()×÷]")

# Phrases, longest first, each read as one piece of the expression: (python, said).
_BINARY: dict[tuple[str, ...], tuple[str, str]] = {
    ("to", "the", "power", "of"): ("**", "to the power of"),
    ("raised", "to", "the", "power", "of"): ("**", "to the power of"),
    ("raised", "to"): ("**", "to the power of"),
    ("to", "the", "power"): ("**", "to the power of"),
    ("multiplied", "by"): ("*", "times"),
    ("divided", "by"): ("/", "divided by"),
    ("percent", "of"): ("/ 100 *", "percent of"),
    ("%", "of"): ("/ 100 *", "percent of"),
    ("plus",): ("+", "plus"),
    ("+",): ("+", "plus"),
    ("minus",): ("-", "minus"),
    ("less",): ("-", "minus"),
    ("-",): ("-", "minus"),
    ("times",): ("*", "times"),
    ("x",): ("*", "times"),
    ("*",): ("*", "times"),
    ("×",): ("*", "times"),
    ("over",): ("/", "divided by"),
    ("/",): ("/", "divided by"),
    ("÷",): ("/", "divided by"),
    ("**",): ("**", "to the power of"),
    ("^",): ("**", "to the power of"),
    ("//",): ("//", "divided without remainder by"),
    ("mod",): ("%", "modulo"),
    ("modulo",): ("%", "modulo"),
}
_PREFIX: dict[tuple[str, ...], tuple[str, str]] = {
    ("the", "square", "root", "of"): ("sqrt(", "the square root of"),
    ("square", "root", "of"): ("sqrt(", "the square root of"),
    ("sqrt",): ("sqrt(", "the square root of"),
    ("half", "of"): ("0.5 * (", "half of"),
    ("minus",): ("-(", "minus"),
    ("negative",): ("-(", "minus"),
    ("-",): ("-(", "minus"),
}
_POSTFIX: dict[tuple[str, ...], tuple[str, str]] = {
    ("squared",): ("** 2", "squared"),
    ("cubed",): ("** 3", "cubed"),
    ("percent",): ("/ 100", "percent"),
    ("%",): ("/ 100", "percent"),
}
_LONGEST = max(len(phrase) for table in (_BINARY, _PREFIX, _POSTFIX) for phrase in table)

_LEAD = frozenset(
    "what what's whats is how much calculate compute work out solve tell me please can you the answer to "
    "of so ok okay hey and um uh quick".split()
)
"""Words a calculation is asked with; they may come before it (and "is", "equals", ... after it)."""
_TAIL = frozenset("is equals equal to make makes please exactly then right now again".split())


@dataclass(frozen=True, slots=True)
class Spoken:
    """A calculation read from words: ``expression`` for the evaluator, ``said`` to answer with."""

    expression: str
    said: str


def read_spoken(text: str) -> Spoken | None:
    """The calculation in ``text``, or None when it is not one calculation from end to end.

    Asking words around it ("what's", "please", "equals") are dropped; any other word inside it, an
    operator without a number after it, or an unbalanced bracket makes it no calculation at all.
    """
    tokens = _TOKEN.findall(re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text.lower().replace("\u2019", "'")))
    start = 0
    while start < len(tokens) and tokens[start] in _LEAD and not _starts_operand(tokens, start):
        start += 1
    end = len(tokens)
    while end > start and tokens[end - 1] in _TAIL:
        end -= 1
    return _Reader(tokens[start:end]).read()


def _starts_operand(tokens: list[str], at: int) -> bool:
    """``the`` opens "the square root of"; elsewhere it is an asking word."""
    return tuple(tokens[at : at + 4]) in _PREFIX


class _Reader:
    """One pass over the tokens, alternating operand and operator, building both forms as it goes."""

    def __init__(self, tokens: list[str]) -> None:
        self._tokens = tokens
        self._at = 0
        self._python: list[str] = []
        self._said: list[str] = []
        self._closes: list[int] = []  # a prefix's ")" goes after the operand it applies to
        self._depth = 0
        self._operations = 0

    def read(self) -> Spoken | None:
        if not self._tokens:
            return None
        while True:
            if not self._operand():
                return None
            self._postfixes()
            if self._at == len(self._tokens):
                break
            binary = self._phrase(_BINARY)
            if binary is None:
                return None
            self._emit(*binary)
            self._operations += 1
        if self._depth or not self._operations:
            return None
        # Brackets are not said: "(3 plus 4) times 2" is "3 plus 4, times 2", as a person would put it.
        said = " ".join(self._said).replace("( ", "").replace(" ) ", ", ").replace(" )", "")
        return Spoken(" ".join(self._python), said)

    def _operand(self) -> bool:
        """Prefixes and brackets, then a number (digits or words), then the brackets that close there."""
        while True:
            if self._peek() == "(":
                self._at += 1
                self._depth += 1
                self._emit("(", "(")
                continue
            prefix = self._phrase(_PREFIX)
            if prefix is None:
                break
            self._emit(*prefix)
            self._closes.append(self._depth)
            self._operations += prefix[1] != "minus"  # "the square root of 144" is a calculation, "-5" is not
        number = self._number()
        if number is None:
            return False
        self._emit(number, number)
        self._close_prefixes()
        return True

    def _postfixes(self) -> None:
        while self._at < len(self._tokens):
            if self._peek() == ")" and self._depth:
                self._at += 1
                self._depth -= 1
                self._emit(")", ")")
                self._close_prefixes()
                continue
            if self._peek() in ("percent", "%") and self._peek(1) == "of":
                break  # "15 percent of 80" is an operator
            postfix = self._phrase(_POSTFIX)
            if postfix is None:
                break
            self._emit(*postfix)
            self._operations += 1

    def _close_prefixes(self) -> None:
        while self._closes and self._closes[-1] == self._depth:
            self._closes.pop()
            self._python.append(")")

    def _number(self) -> str | None:
        """Digits ("1,000", "2.5") or number words ("one hundred and five", "three point one four")."""
        token = self._peek()
        if token is None:
            return None
        if token[0].isdigit():
            self._at += 1
            written = token.replace(",", "").replace("_", "")
            if self._peek() in _LARGE:
                self._at += 1
                return _plain(float(written) * _LARGE[str(self._previous())])  # "1.5 million"
            return _plain(float(written)) if "." in written else str(int(written))
        if token == "a" and self._peek(1) in _SCALE_WORDS:
            self._tokens[self._at] = "one"  # "a hundred"
        return self._number_words()

    def _number_words(self) -> str | None:
        total, current, seen = 0, 0, False
        while (token := self._peek()) is not None:
            if token == "and" and seen and self._previous() in _SCALE_WORDS and self._peek(1) in _VALUES:
                self._at += 1  # "one hundred and five"
                continue
            value = _VALUES.get(token)
            if value is None:
                break
            small = current % 100
            if token in _SCALE_WORDS and token != "hundred":
                total += max(current, 1) * value
                current = 0
            elif token == "hundred":
                current = max(current, 1) * 100
            elif small == 0 or (small >= 20 and small % 10 == 0 and value < 10):
                current += value  # "twenty" then "three"
            else:
                break  # "three four", "twenty thirty": two numbers, not one
            seen = True
            self._at += 1
        if not seen:
            return None
        whole = total + current
        if self._peek() == "point" and self._peek(1) in _UNITS:
            self._at += 1
            digits = ""
            while (token := self._peek()) is not None and token in _UNITS:
                digits += str(_UNITS[token])
                self._at += 1
            return f"{whole}.{digits}"
        return str(whole)

    def _phrase(self, table: dict[tuple[str, ...], tuple[str, str]]) -> tuple[str, str] | None:
        for size in range(min(_LONGEST, len(self._tokens) - self._at), 0, -1):
            found = table.get(tuple(self._tokens[self._at : self._at + size]))
            if found is not None:
                self._at += size
                return found
        return None

    def _emit(self, python: str, said: str) -> None:
        self._python.append(python)
        self._said.append(said)

    def _peek(self, ahead: int = 0) -> str | None:
        at = self._at + ahead
        return self._tokens[at] if at < len(self._tokens) else None

    def _previous(self) -> str | None:
        return self._tokens[self._at - 1] if self._at else None


_UNITS = {word: value for word, value in NUMBER_WORDS.items() if value < 10}


def _plain(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


# --- the trigger: a calculation in the user's words so far ----------------------------------------------
# It reads ``words()`` text (lower case, one space between tokens, no , . ? !; brackets, ^ and % kept).


def _either(phrases: Iterable[tuple[str, ...]]) -> str:
    """Any of ``phrases`` (longest first, so that "to the power of" wins over "to the power")."""
    written = {" ".join(re.escape(token) for token in phrase) for phrase in phrases}
    return "(?:" + "|".join(sorted(written, key=len, reverse=True)) + ")"


_NUMBER_WORD = _either((word,) for word in _VALUES)
_NUMBER = rf"(?:\d+(?:[.,]\d+)?|{_NUMBER_WORD}(?:-{_NUMBER_WORD})?)"
_NUMBERS = rf"{_NUMBER}(?: (?:(?<=hundred )and |(?<=thousand )and |point )?{_NUMBER})*"
_SYMBOLS = frozenset({"+", "-", "*", "/", "^", "**", "//", "×", "÷"})
_WORD_PREFIX = _either(phrase for phrase in _PREFIX if phrase[0] not in _SYMBOLS)
_WORD_POSTFIX = _either(phrase for phrase in _POSTFIX if phrase[0] not in _SYMBOLS | {"%", "percent"})
# "what is 15 percent" is not yet a question: "... of 80" usually follows
_PREFIXES = rf"(?:(?:{_either(_PREFIX)}|\() )*"
_POSTFIXES = rf"(?: (?:{_either(_POSTFIX)}|\)))*"
_OPERAND = rf"{_PREFIXES}{_NUMBERS}{_POSTFIXES}"
_WORDY_OPERAND = (
    rf"(?:{_PREFIXES}{_WORD_PREFIX} {_PREFIXES}{_NUMBERS}{_POSTFIXES}"
    rf"|{_PREFIXES}{_NUMBERS}{_POSTFIXES} {_WORD_POSTFIX}{_POSTFIXES})"
)
_ANY_OPERATOR = _either(_BINARY)
_WORD_OPERATOR = _either(phrase for phrase in _BINARY if phrase[0] not in _SYMBOLS | {"%"})


def _calculation(operator: str) -> str:
    """Operands joined by operators, with at least one ``operator`` or a worded operand ("4 squared")."""
    return (
        rf"(?:{_OPERAND} {_ANY_OPERATOR} )*"
        rf"(?:{_OPERAND} {operator} {_OPERAND}|{_WORDY_OPERAND})"
        rf"(?: {_ANY_OPERATOR} {_OPERAND})*"
    )


_ASKING = r"(?:what's|whats|what is|how much is|calculate|compute|work out|solve)"
TRIGGER = (
    r"(?P<expression>"
    rf"\b{_ASKING} {_calculation(_ANY_OPERATOR)}"  # "what's 17*23": symbols are fine when asked
    rf"|^{_calculation(_ANY_OPERATOR)}$"  # "17*23" and nothing else
    rf"|(?<![\w-]){_calculation(_WORD_OPERATOR)}"  # "seventeen times twenty three", anywhere
    r")(?![\w-])"
)
"""Symbols alone ("5-6", "12/25") are a calculation only when asked for or typed alone: in the middle of
a sentence they are more often a range, a date or a phone number."""
