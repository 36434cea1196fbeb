"""ScriptedModel: a deterministic FAKE language model.

It exists so that scenario outcomes depend on the runtime, not on model luck, and so that
``microturn chat`` answers before a real model is installed. It understands a few things by rule:
arithmetic ("what is 12 times 4"), the time and the elapsed time, a little small talk, a story long
enough to interrupt, and word-by-word "translation" from a tiny phrasebook. Anything else is echoed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import ClassVar

from microturn._core._language import parse_arithmetic, say_number
from microturn._models._base import ModelRequest
from microturn._models._phrasebook import translate

__all__ = ["ScriptedModel"]

STORY = (
    "Once upon a time a lighthouse keeper counted the ships that passed his island every night, "
    "and one winter he noticed that the same small boat came by at exactly midnight, always heading "
    "north, always without lights, until one evening it stopped and a girl waved up at him."
)

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
    """A deterministic FAKE model that answers a few things by rule, for tests and for trying the runtime.

    It does arithmetic ("what is 12 times 4"), the time and how long the session has lasted, a little
    small talk, a story long enough to interrupt and word-by-word "translation"; given facts (a tool's
    or a background job's result) it says the last one, and anything else it echoes ("You said: ...").
    ``Agent(model="scripted")`` uses it; so do the session's defaults (``SessionConfig.model``).
    """

    name: ClassVar[str] = "scripted"

    async def stream(self, request: ModelRequest) -> AsyncIterator[str]:
        for word in answer(request).split(" "):
            yield word + " "


def answer(request: ModelRequest) -> str:
    text = " ".join(request.user_text.lower().split())
    if not text:
        return "Sorry, I didn't catch that."
    translation = re.match(r"translate into (\w+)", request.instruction.lower())
    if translation:
        return translate(request.user_text, translation[1])
    if request.facts:
        return request.facts[-1]  # a tool or background result answers the question
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
    expression = parse_arithmetic(text)
    if expression is None:
        return None
    try:
        return f"{expression.spoken} is {say_number(expression.value())}."
    except ZeroDivisionError:
        return "You can't divide by zero."


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    parts = [f"{minutes} minute{'s' * (minutes != 1)}"] if minutes else []
    parts.append(f"{secs} second{'s' * (secs != 1)}")
    return " and ".join(parts)
