"""Requests about the conversation itself: timers, cues, live modes, background jobs, as the features take them.

These change how the agent behaves over time, so the policy handles them rather than the model. What a
turn asks for is read by the policy's :class:`Intent` (``_decisions``) as plain labels and slots; this
module turns such a reading into the request a feature carries out, with the policy's own wording (a
timer's acknowledgement, what it says when it fires). A reading of nothing, or of the opposite ("don't stop
the timer"), is no request: the model answers the turn. Nor is a reading without the slots its feature needs
(a timer with no time, a translation into no language, a cue for nothing): the model answers, and can ask.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from microturn._core._language import say_number
from microturn._policies._full_duplex._decisions import IntentReading, Slot, read_request

__all__ = [
    "STORY_OPENING",
    "AskProgress",
    "CueRequest",
    "DelegateTask",
    "Request",
    "StartLive",
    "StopCues",
    "StopLive",
    "StopTimers",
    "TellStory",
    "TimerRequest",
    "parse_intent",
    "request",
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
    """``number``, ``phrase``, ``wrong-fact`` or ``category``."""
    watch: str
    """In words, for the log: "a number", "Paris is in Italy", "a wrong fact", "a colour"."""
    phrase: tuple[str, ...] = ()
    category: str = ""
    """The kind of thing a ``category`` cue listens for: "colour", "city"."""
    interrupt: bool = False
    reply: str = ""
    """What to say when it fires, if the user said ("say ding"); else what was heard."""


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
class TellStory:
    """ "Tell me a story": the model answers, its line opened as a story (``STORY_OPENING``)."""


STORY_OPENING = "Once upon a time,"
"""How a story begins: a small model told to tell one answers "I'm a baker."; one whose line already begins a
story goes on with it."""


@dataclass(frozen=True, slots=True)
class DelegateTask:
    """Deep work for the background lane: "can you find me a hotel in Porto for Friday"."""

    task: str


Request = (
    TimerRequest | StopTimers | CueRequest | StopCues | StartLive | StopLive | AskProgress | DelegateTask | TellStory
)


_BARE: dict[str, Request] = {
    "cancel_timer": StopTimers(),
    "cancel_cue": StopCues(),
    "live_stop": StopLive(),
    "progress": AskProgress(),
    "story": TellStory(),
}
"""The requests that have no slots."""


def request(reading: IntentReading) -> Request | None:
    """The request a feature carries out for ``reading``; None for a reading of nothing, negated, missing a
    slot its feature needs, or of a label no feature takes (a job cancelled or revised is the job watcher's,
    an approval's answer its own)."""
    slots = reading.slots
    label = reading.label
    if not reading.ready:
        return None
    if label == "timer":
        return _timer(slots)
    if label == "cue":
        return _cue(slots)
    if label == "live_start":
        language = slots.get("language")  # ready: a translation has one
        return StartLive(language=str(language) if language is not None else None)
    if label == "delegate":
        return DelegateTask(task=str(slots["task"]))
    return _BARE.get(label)


def parse_intent(text: str) -> Request | None:
    """The request ``text`` makes as the rules read it, with nothing else going on."""
    return request(read_request(text))


def _timer(slots: Mapping[str, Slot]) -> TimerRequest:
    seconds = float(slots["seconds"])
    span = _say_span(seconds)
    say = str(slots.get("say", ""))
    if "every" in slots:
        every = float(slots["every"])
        text = f"Reminder: {slots['remind']}." if "remind" in slots else say
        return TimerRequest(seconds=seconds, every=every, text=text, ack=f"Okay, every {_say_span(every)}.")
    if "remind" in slots:
        return TimerRequest(seconds=seconds, text=f"Reminder: {slots['remind']}.", ack=f"Okay, in {span}.")
    if say:
        return TimerRequest(seconds=seconds, text=say, ack=f"Okay, in {span}.")
    return TimerRequest(seconds=seconds, text="Time is up.", ack=f"Timer set for {span}.")


def _cue(slots: Mapping[str, Slot]) -> CueRequest:
    kind = str(slots["cue"])
    interrupt = bool(slots.get("interrupt", False))
    reply = str(slots.get("reply", ""))
    if kind == "phrase":
        phrase = tuple(str(slots["phrase"]).split())
        return CueRequest(kind="phrase", watch=" ".join(phrase), phrase=phrase, interrupt=interrupt, reply=reply)
    if kind == "category":
        category = str(slots["category"])
        watch = f"{'an' if category[:1] in 'aeiou' else 'a'} {category}"
        return CueRequest(kind=kind, watch=watch, category=category, interrupt=interrupt, reply=reply)
    watch = "a number" if kind == "number" else "a wrong fact"
    return CueRequest(kind=kind, watch=watch, interrupt=interrupt, reply=reply)


def _say_span(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = seconds / 60
        return f"{say_number(minutes)} minute{'s' * (minutes != 1)}"
    return f"{say_number(seconds)} second{'s' * (seconds != 1)}"
