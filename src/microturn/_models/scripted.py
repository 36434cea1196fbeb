"""ScriptedModel: a deterministic FAKE language model.

It exists so that scenario outcomes depend on the runtime, not on model luck, and so that
``microturn chat`` answers before a real model is installed. It understands a few things by rule:
arithmetic ("what is 12 times 4"), the time and the elapsed time, a little small talk, and a story
long enough to interrupt. Anything else is echoed back.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import ClassVar

from microturn._models._base import ModelRequest

__all__ = ["ScriptedModel"]

STORY = (
    "Once upon a time a lighthouse keeper counted the ships that passed his island every night, "
    "and one winter he noticed that the same small boat came by at exactly midnight, always heading "
    "north, always without lights, until one evening it stopped and a girl waved up at him."
)

_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}
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
_SPOKEN_OP = {"+": "plus", "-": "minus", "*": "times", "/": "divided by"}
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+|[-+*/x]")

_SMALL_TALK: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), reply)
    for pattern, reply in (
        (r"\bhow are you\b", "I'm doing well, thanks for asking. How can I help?"),
        (r"\b(thanks|thank you)\b", "You're welcome."),
        (r"\b(bye|goodbye|see you)\b", "Goodbye, talk to you soon."),
        (r"\b(story|tell me something long)\b", STORY),
        (r"\byour name\b", "I'm microturn's scripted test model."),
        (r"^\W*(hello|hi|hey)\b", "Hello! What can I do for you?"),
    )
)


class ScriptedModel:
    name: ClassVar[str] = "scripted"

    async def stream(self, request: ModelRequest) -> AsyncIterator[str]:
        for word in answer(request).split(" "):
            yield word + " "


def answer(request: ModelRequest) -> str:
    text = " ".join(request.user_text.lower().split())
    if not text:
        return "Sorry, I didn't catch that."
    if re.search(r"\b(how long|elapsed|how much time)\b", text):
        return f"We have been talking for {_duration(request.elapsed)}."
    if re.search(r"\bwhat time\b|\bthe time\b", text):
        wall = dt.datetime.fromtimestamp(request.wall, tz=dt.UTC)
        return f"It is {wall:%H:%M} UTC."
    arithmetic = _arithmetic(text)
    if arithmetic is not None:
        return arithmetic
    for pattern, reply in _SMALL_TALK:
        if pattern.search(text):
            return reply
    return f"You said: {request.user_text.strip()}"


def _arithmetic(text: str) -> str | None:
    numbers: list[float] = []
    operators: list[str] = []
    for token in _TOKEN.findall(text):
        if token in _OPERATORS and len(numbers) == len(operators) + 1:
            operators.append(_OPERATORS[token])
        elif token[0].isdigit() or token in _NUMBER_WORDS:
            value = float(token) if token[0].isdigit() else float(_NUMBER_WORDS[token])
            if len(numbers) == len(operators):
                numbers.append(value)
            elif token in _NUMBER_WORDS and numbers[-1] >= 20 and value < 10:
                numbers[-1] += value  # "twenty three"
    if not operators or len(numbers) != len(operators) + 1:
        return None
    try:
        result = _evaluate(numbers, operators)
    except ZeroDivisionError:
        return "You can't divide by zero."
    spoken = " ".join(
        part
        for pair in zip(map(_number, numbers), [*map(_SPOKEN_OP.get, operators), ""], strict=True)
        for part in pair
        if part
    )
    return f"{spoken} is {_number(result)}."


def _evaluate(numbers: list[float], operators: list[str]) -> float:
    # Multiplication and division first, then addition and subtraction, left to right.
    terms, pending = [numbers[0]], []
    for op, value in zip(operators, numbers[1:], strict=True):
        if op == "*":
            terms[-1] *= value
        elif op == "/":
            terms[-1] /= value
        else:
            pending.append(op)
            terms.append(value)
    total = terms[0]
    for op, value in zip(pending, terms[1:], strict=True):
        total = total + value if op == "+" else total - value
    return total


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.4g}"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    parts = [f"{minutes} minute{'s' * (minutes != 1)}"] if minutes else []
    parts.append(f"{secs} second{'s' * (secs != 1)}")
    return " and ".join(parts)
