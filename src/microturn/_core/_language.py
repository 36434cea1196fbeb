"""Small, pure pieces of English the runtime reads for itself: words, numbers, arithmetic, turn shape.

No model is involved: these are fast enough to run on every keystroke, deterministic, and good
enough to decide *when* to talk. *What* to say is the model's job.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

__all__ = [
    "Arithmetic",
    "Shape",
    "is_backchannel",
    "is_noise",
    "number_value",
    "numbers_in",
    "parse_arithmetic",
    "say_number",
    "shape",
    "words",
]

_WORD = re.compile(r"\[[a-z -]+\]|\d+(?:[.,]\d+)?|[a-z]+(?:['-][a-z]+)*|[-+*/?,.…=]")
_WRITTEN_ARITHMETIC = re.compile(r"\[[a-z -]+\]|\d+(?:[.,]\d+)?|[a-z]+(?:['-][a-z]+)*|[-+*/?,.…=()^%×÷]")
""":data:`_WORD` plus the brackets and signs arithmetic is typed with, which change what a calculation means."""

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
).split()
NUMBER_WORDS: dict[str, int] = {word: value for value, word in enumerate(_UNITS)} | {
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "thousand": 1000,
}


def words(text: str, *, arithmetic: bool = False) -> list[str]:
    """Lower-case tokens: words (with inner apostrophes/hyphens), numbers, ``[noise]`` tags, punctuation.

    With ``arithmetic``, brackets, ``^``, ``%``, ``×`` and ``÷`` are tokens too: "(3+4)*2" is not "3+4*2".
    """
    return (_WRITTEN_ARITHMETIC if arithmetic else _WORD).findall(text.lower())


def number_value(token: str) -> float | None:
    if token[:1].isdigit():
        return float(token.replace(",", ""))
    value = NUMBER_WORDS.get(token)
    return None if value is None else float(value)


def numbers_in(text: str) -> list[str]:
    """The number words and numerals in ``text``, as written."""
    return [token for token in words(text) if number_value(token) is not None]


def say_number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.4g}"


# --- arithmetic --------------------------------------------------------------------------------------

_OPERATORS = {
    "plus": "+",
    "+": "+",
    "add": "+",
    "minus": "-",
    "-": "-",
    "times": "*",
    "x": "*",
    "*": "*",
    "multiplied": "*",
    "divided": "/",
    "over": "/",
    "/": "/",
}
_SCALES = frozenset({"hundred", "thousand"})
_SPOKEN = {"+": "plus", "-": "minus", "*": "times", "/": "divided by"}
_EQUALS = {"is", "equals", "makes", "="}


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """An arithmetic expression, and the result claimed for it (``2 plus 2 is 5``), if any."""

    numbers: tuple[float, ...]
    operators: tuple[str, ...]
    claimed: float | None = None

    @property
    def spoken(self) -> str:
        parts = [say_number(self.numbers[0])]
        for op, value in zip(self.operators, self.numbers[1:], strict=True):
            parts += [_SPOKEN[op], say_number(value)]
        return " ".join(parts)

    def value(self) -> float:
        """Multiplication and division first, then addition and subtraction, left to right."""
        terms, pending = [self.numbers[0]], []
        for op, number in zip(self.operators, self.numbers[1:], strict=True):
            if op == "*":
                terms[-1] *= number
            elif op == "/":
                terms[-1] /= number  # ZeroDivisionError is the caller's to handle
            else:
                pending.append(op)
                terms.append(number)
        total = terms[0]
        for op, number in zip(pending, terms[1:], strict=True):
            total = total + number if op == "+" else total - number
        return total


def parse_arithmetic(text: str) -> Arithmetic | None:
    """The first arithmetic expression in ``text`` ("what is 2 plus 3", "two times six is twelve")."""
    numbers: list[float] = []
    operators: list[str] = []
    claimed: float | None = None
    after_equals = False
    for token in words(text):
        value = number_value(token)
        if after_equals:
            if value is not None:
                if claimed is not None and token in _SCALES:
                    claimed *= value  # "three hundred"
                    continue
                if claimed is not None and claimed >= 20 and value < 10 and token in NUMBER_WORDS:
                    claimed += value  # "twenty three"
                    continue
                if claimed is None:
                    claimed = value
                    continue
            if claimed is not None:
                break
            continue
        if token in _OPERATORS and len(numbers) == len(operators) + 1:
            operators.append(_OPERATORS[token])
        elif value is not None:
            if len(numbers) == len(operators):
                numbers.append(value)
            elif token in _SCALES:
                numbers[-1] *= value  # "three hundred"
            elif token in NUMBER_WORDS and numbers[-1] >= 20 and value < 10:
                numbers[-1] += value  # "twenty three", "one hundred and five" stays 100 then 5
        elif token in _EQUALS and operators and len(numbers) == len(operators) + 1:
            after_equals = True
    if not operators or len(numbers) != len(operators) + 1:
        return None
    return Arithmetic(tuple(numbers), tuple(operators), claimed)


# --- the shape of a turn -------------------------------------------------------------------------------


class Shape(enum.Enum):
    """How the user's words so far end: does it sound like they are done?"""

    INCOMPLETE = "incomplete"  # a trailing conjunction, preposition, filler, comma, ...
    COMPLETE = "complete"
    QUESTION = "question"


FILLERS = frozenset({"um", "uh", "er", "erm", "hmm", "uhm", "umm", "mm", "like", "well"})
_UNFINISHED = frozenset(
    # conjunctions and subordinators
    "and or but so because cause if when while although though unless until since then that which who whose "
    "where whereas than"
    # prepositions
    " to of in on at for with from by about into onto over under between through after before during "
    "without within across against toward towards around near"
    # determiners and possessives
    " a an the my your his her our their its this these those some any each every no another"
    # subjects, auxiliaries and copulas that cannot end a clause
    " i we they he she is are was were am be been being will would can could should shall must might may "
    "have has had do does did very really just also"
    # question words left hanging
    " what which how why".split()
)
_PREPOSITIONS = frozenset("to of in on at for with from by about into over under after before".split())
_DISCOURSE = frozenset("sorry so and oh ok okay well wait but hey um uh hmm yeah right actually also then".split())
_PRONOUN_OBJECTS = frozenset("that this there then it".split())
_PRONOUNS = frozenset("i you we they he she it".split())
_SO_VERBS = frozenset("think hope guess believe said suppose".split())
_QUESTION_START = frozenset(
    "what when where who whom whose why how which is are was were do does did can could will would should "
    "shall may might have has had am what's where's who's how's when's why's isn't aren't wasn't don't "
    "doesn't didn't can't won't wouldn't shouldn't couldn't haven't".split()
)
BACKCHANNELS = frozenset(
    "mm-hm mhm mm-hmm uh-huh mm yeah yep yes right okay ok sure wow oh ah huh cool nice exactly true "
    "indeed gotcha alright".split()
)


_EDGE = 80
"""Characters at each end of a turn that :func:`shape` reads. How a turn opens and how it ends decide its shape;
its middle does not, and reading all of a long turn on every keystroke would make typing it quadratic."""


def _edge_words(text: str) -> list[str]:
    """The words of ``text``, or of its first and last ``_EDGE`` characters when it is longer than both."""
    if len(text) <= 2 * _EDGE:
        return words(text)
    head, tail = text[:_EDGE], text[-_EDGE:]
    # Drop the words the cuts split; a tail that is all one word keeps its end.
    return words(head[: head.rfind(" ") + 1]) + words(tail[tail.find(" ") + 1 :])


def shape(text: str) -> Shape:
    """How ``text`` ends: reads only its edges (see ``_EDGE``), so it costs the same for any length."""
    tokens = [token for token in _edge_words(text) if not is_noise(token)]
    if not tokens:
        return Shape.INCOMPLETE
    last = tokens[-1]
    if last in {",", "…", "-"} or (last == "." and len(tokens) > 1 and tokens[-2] == "."):
        return Shape.INCOMPLETE
    if last == "?":
        return Shape.QUESTION
    content = [token for token in tokens if token not in {",", ".", "?", "…", "-", "+", "*", "/"}]
    if not content:
        return Shape.INCOMPLETE
    end = content[-1]
    opening = next((token for token in content if token not in _DISCOURSE), content[0])
    question = opening in _QUESTION_START
    if question and (end in _PRONOUN_OBJECTS or end == "like"):
        return Shape.QUESTION  # "sorry, which day was that", "what is it like"
    if end in _PREPOSITIONS and question and len(content) > 3 and content[2] in _PRONOUNS:
        return Shape.QUESTION  # a stranded preposition: "where are you from", "who did she go with"
    if end == "so" and len(content) > 1 and content[-2] in _SO_VERBS:
        return Shape.COMPLETE  # "I think so"
    if end in FILLERS or end in _UNFINISHED:
        return Shape.INCOMPLETE
    return Shape.QUESTION if question else Shape.COMPLETE


def is_noise(token: str) -> bool:
    """A non-speech tag from a transcriber: ``[cough]``, ``[noise]``, ``[laughter]``."""
    return token.startswith("[") and token.endswith("]")


LONGEST_BACKCHANNEL = 200
"""Characters: anything longer takes a turn, whatever its words (and is not read through on every word)."""


def is_backchannel(text: str) -> bool:
    """Only backchannels and noise ("mm-hm", "yeah right", "[cough] okay"): nothing that takes a turn."""
    if len(text) > LONGEST_BACKCHANNEL:
        return False
    tokens = [token for token in words(text) if token not in {",", ".", "!", "?"}]
    return bool(tokens) and all(token in BACKCHANNELS or is_noise(token) for token in tokens)
