"""Requests about the conversation itself, read from the user's words: timers, cues, live modes.

These change how the agent behaves over time, so the policy handles them rather than the model. The
parse is deliberately plain (patterns over normalised words); a request it does not recognise is
simply answered by the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from microturn._core._language import NUMBER_WORDS, number_value, say_number, words

__all__ = [
    "AskProgress",
    "CueRequest",
    "DelegateTask",
    "Intent",
    "StartLive",
    "StopCues",
    "StopLive",
    "StopTimers",
    "TimerRequest",
    "parse_intent",
]


@dataclass(frozen=True, slots=True)
class TimerRequest:
    seconds: float
    text: str
    """What to say when it fires."""
    every: float | None = None
    ack: str = ""


@dataclass(frozen=True, slots=True)
class StopTimers:
    pass


@dataclass(frozen=True, slots=True)
class CueRequest:
    kind: str
    """``number``, ``phrase`` or ``wrong-fact``."""
    watch: str
    """In words, for the log: "a number", "Paris is in Italy", "a wrong fact"."""
    phrase: tuple[str, ...] = ()
    interrupt: bool = False


@dataclass(frozen=True, slots=True)
class StopCues:
    pass


@dataclass(frozen=True, slots=True)
class StartLive:
    """Simultaneous output: repeat (``language`` None) or translate each phrase as the user speaks."""

    language: str | None


@dataclass(frozen=True, slots=True)
class StopLive:
    pass


@dataclass(frozen=True, slots=True)
class AskProgress:
    """ "How is it going?" — about the background work."""


@dataclass(frozen=True, slots=True)
class DelegateTask:
    """Deep work for the background lane: "can you find me a hotel in Porto for Friday"."""

    task: str


Intent = TimerRequest | StopTimers | CueRequest | StopCues | StartLive | StopLive | AskProgress | DelegateTask

_PROGRESS = re.compile(
    r"\b(how(?:'s| is) (?:it|that|the \w+) going|any (?:progress|news|luck|update)|are you (?:done|finished)"
    r"|how far (?:along )?are you|status update|still working)\b"
)
_DELEGATE = re.compile(
    r"^(?:(?:can|could|would) you (?:please )?|please |i need you to |go and )?"
    r"(?P<task>(?:find|look up|search for|research|look into|book|compare|plan|figure out|work out|check on"
    r"|send|email|write to|order|buy|pay|delete|clean up|organi[sz]e)\b.+)$"
)


_NUMBER = r"(?P<n>\d+(?:\.\d+)?|(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety) )?[a-z]+|an?|half an?)"
_UNIT = r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?)"
_SPAN = rf"{_NUMBER} {_UNIT}"
_LANGUAGES = ("spanish", "french", "german", "italian")

_TIMER_PATTERNS = (
    re.compile(rf"\bremind me (?:in|after) {_SPAN}(?: to (?P<text>.+))?$"),
    re.compile(rf"\bremind me to (?P<text>.+?) (?:in|after) {_SPAN}$"),
    re.compile(rf"\b(?:in|after) {_SPAN},? (?:say|tell me) (?P<text>.+)$"),
    re.compile(rf"\b(?:say|tell me) (?P<text>.+?) (?:in|after) {_SPAN}$"),
    re.compile(rf"\bset an? (?:timer|alarm) for {_SPAN}$"),
)
_REPEAT_PATTERNS = (
    # First: "tell me the time every 30 seconds" asks for the time, not for those words to be said.
    re.compile(rf"\b(?:tell me|let me know|ping me|count)(?: how much time has passed| the time)? every {_SPAN}$"),
    re.compile(rf"\bevery {_SPAN},? (?:say|tell me) (?P<text>.+)$"),
    re.compile(rf"\b(?:say|tell me) (?P<text>.+?) every {_SPAN}$"),
)
_ASKING = re.compile(r"(?:how|what|why|where|when|which|who|can you tell me how)\b")
_STOP_TIMERS = re.compile(r"\b(?:stop|cancel|clear)(?: the| all| my)? (?:timers?|reminders?|counting|alarms?)\b")

_CUE_NUMBER = re.compile(r"\b(?:tell|let) me(?: know)? (?:when(?:ever)?|if) i (?:say|mention|use) (?:a|any) number")
_CUE_WRONG = re.compile(
    r"\b(?:stop|correct|tell) me (?:if|when(?:ever)?) i "
    r"(?:get (?:a|any)(?: \w+)? (?:fact|facts|sum|sums|math) wrong"
    r"|(?:am|'m) wrong|make a mistake|say something wrong)"
)
_QUOTED = r"(?:that |the words? |the phrase |the name )?(?P<phrase>.+)$"
_CUE_STOP = re.compile(rf"\bstop me (?:if|when(?:ever)?) i (?:say|mention|use) {_QUOTED}")
_CUE_TELL = re.compile(rf"\b(?:tell|let) me(?: know)? (?:when(?:ever)?|if) i (?:say|mention|use) {_QUOTED}")
_STOP_CUES = re.compile(r"\b(?:stop|quit) (?:watching|listening for|checking)\b|\bforget the cues?\b")

_LIVE = re.compile(rf"\btranslate (?:everything |what i say )?(?:into|to) (?P<lang>{'|'.join(_LANGUAGES)})\b")
_REPEAT = re.compile(r"\brepeat (?:after me|everything i say|what i say)\b")
_STOP_LIVE = re.compile(r"\b(?:stop|quit|end) (?:translating|repeating)\b")


_TAIL_WORDS = 48
"""Timer requests end the turn ("... remind me in 5 minutes to stretch"): their patterns read only its last words.
Their lazy ``.+?`` would otherwise be tried from every "say" or "remind me" in a long turn: quadratic."""


def parse_intent(text: str) -> Intent | None:
    """The request about the conversation ``text`` makes, if any. Linear in its length: every pattern is either
    tried at each position with a bounded match, or runs over the last ``_TAIL_WORDS`` words only."""
    said = " ".join(token for token in words(text) if token not in {",", ".", "?", "!"})
    if _STOP_LIVE.search(said):
        return StopLive()
    if _STOP_TIMERS.search(said) and not _ASKING.match(said):
        return StopTimers()  # but "how do I cancel my alarm" is a question, not a request
    if _STOP_CUES.search(said):
        return StopCues()
    live = _LIVE.search(said)
    if live:
        return StartLive(language=live["lang"])
    if _REPEAT.search(said):
        return StartLive(language=None)
    if _PROGRESS.search(said):
        return AskProgress()
    intent = _cue(said) or _timer(" ".join(said.split(" ")[-_TAIL_WORDS:]))
    if intent is not None:
        return intent
    delegate = _DELEGATE.match(said)
    return DelegateTask(task=delegate["task"]) if delegate else None


def _cue(said: str) -> CueRequest | None:
    if _CUE_NUMBER.search(said):
        return CueRequest(kind="number", watch="a number")
    if _CUE_WRONG.search(said):
        return CueRequest(kind="wrong-fact", watch="a wrong fact", interrupt=True)
    for pattern, interrupt in ((_CUE_STOP, True), (_CUE_TELL, False)):
        found = pattern.search(said)
        if found:
            phrase = tuple(found["phrase"].split())
            return CueRequest(kind="phrase", watch=" ".join(phrase), phrase=phrase, interrupt=interrupt)
    return None


def _timer(said: str) -> TimerRequest | None:
    for repeating, patterns in ((False, _TIMER_PATTERNS), (True, _REPEAT_PATTERNS)):
        for pattern in patterns:
            found = pattern.search(said)
            if not found:
                continue
            seconds = _seconds(found["n"], found["unit"])
            if seconds is None or seconds <= 0:
                continue
            text = (found.groupdict().get("text") or "").strip()
            span = _say_span(seconds)
            if repeating:
                return TimerRequest(seconds=seconds, every=seconds, text=text, ack=f"Okay, every {span}.")
            if not text:
                return TimerRequest(seconds=seconds, text="Time is up.", ack=f"Timer set for {span}.")
            spoken = text if found.re in _TIMER_PATTERNS[2:4] else f"Reminder: {text}."
            return TimerRequest(seconds=seconds, text=spoken, ack=f"Okay, in {span}.")
    return None


def _seconds(number: str, unit: str) -> float | None:
    if number in {"a", "an"}:
        value: float | None = 1.0
    elif number.startswith("half"):
        value = 0.5
    else:
        parts = number.split()
        values = [number_value(part) for part in parts]
        if any(v is None for v in values) or (parts and parts[-1] not in NUMBER_WORDS and not parts[-1][0].isdigit()):
            return None
        value = sum(v for v in values if v is not None)
    scale = 60.0 if unit.startswith("min") else 3600.0 if unit.startswith("hour") else 1.0
    return None if value is None else value * scale


def _say_span(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = seconds / 60
        return f"{say_number(minutes)} minute{'s' * (minutes != 1)}"
    return f"{say_number(seconds)} second{'s' * (seconds != 1)}"
