"""Reading a session log for the metrics: what the agent said, when the user spoke, and take-overs.

==================  =========================================================================================
take-over           in a window, the agent's words (backchannels excluded) last >= 1 s in all, or are > 3
any speech          in a window, any word of the agent's but a backchannel's (purpose BACKCHANNEL)
backchannel         an utterance of purpose BACKCHANNEL, or of 1-2 words lasting < 1 s that was not cut off
                    (interrupted or stopped: then it was a reply cut short); never part of a take-over
next input          the first UserInput after a moment (``t >`` it); the session end if there is none
==================  =========================================================================================

Every family measures with these definitions, so they live here once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechHeld,
    AgentSpeechReleased,
    AgentSpeechStarted,
    AgentWord,
    EndReason,
    EndSession,
    Event,
    SessionEnded,
    SpeechPurpose,
    UserInput,
    UserSpeechStarted,
)
from microturn._eval._script import Mark

__all__ = [
    "EPSILON",
    "Marks",
    "Utterance",
    "first_word",
    "next_input",
    "overlap",
    "speaks_after",
    "speech_after",
    "speech_onset",
    "stopped_at",
    "takeover_after",
    "takes_over",
    "user_activity",
    "utterances",
]

TAKE_OVER_SECONDS = 1.0
TAKE_OVER_WORDS = 3
BACKCHANNEL_WORDS = 2
EPSILON = 1e-9

Marks = Mapping[str, Mark]


@dataclass(slots=True)
class Utterance:
    started: AgentSpeechStarted | None = None
    words: list[AgentWord] = field(default_factory=list)
    ended: AgentSpeechEnded | None = None

    @property
    def backchannel(self) -> bool:
        if self.started is not None and self.started.purpose is SpeechPurpose.BACKCHANNEL:
            return True
        cut_short = self.ended is not None and self.ended.reason is not EndReason.COMPLETED
        short = 0 < len(self.words) <= BACKCHANNEL_WORDS and _seconds(self.words) < TAKE_OVER_SECONDS
        return short and not cut_short  # a reply the user cut off after two words is still a reply


def utterances(events: Iterable[Event]) -> dict[int, Utterance]:
    found: dict[int, Utterance] = {}
    for event in events:
        if isinstance(event, AgentSpeechStarted):
            found.setdefault(event.utterance, Utterance()).started = event
        elif isinstance(event, AgentWord):
            found.setdefault(event.utterance, Utterance()).words.append(event)
        elif isinstance(event, AgentSpeechEnded):
            found.setdefault(event.utterance, Utterance()).ended = event
    return found


def takes_over(words: Sequence[AgentWord]) -> bool:
    return len(words) > TAKE_OVER_WORDS or _seconds(words) >= TAKE_OVER_SECONDS


def _seconds(words: Iterable[AgentWord]) -> float:
    return round(sum(word.duration for word in words), 6)


def takeover_after(events: Sequence[Event], start: float) -> bool:
    """Whether the agent takes over between ``start`` and the user's next input."""
    end = next_input(events, start)
    words = [
        word
        for utterance in utterances(events).values()
        if not utterance.backchannel
        for word in utterance.words
        if start - EPSILON <= word.t < end - EPSILON
    ]
    return takes_over(words)


def speaks_after(events: Sequence[Event], start: float) -> bool:
    """Whether the agent says anything but a backchannel between ``start`` and the user's next input: a
    two-word blurt cut off by the user's next word is no take-over, but the user heard it talk over them."""
    end = next_input(events, start)
    return any(
        start - EPSILON <= word.t < end - EPSILON
        for utterance in utterances(events).values()
        if utterance.started is None or utterance.started.purpose is not SpeechPurpose.BACKCHANNEL
        for word in utterance.words
    )


def next_input(events: Sequence[Event], after: float) -> float:
    later = (e.t for e in events if isinstance(e, UserInput) and e.t > after + EPSILON)
    return next(later, _session_end(events))


def _session_end(events: Sequence[Event]) -> float:
    ended = next((e.t for e in events if isinstance(e, SessionEnded)), None)
    return ended if ended is not None else (events[-1].t if events else 0.0)


def first_word(events: Sequence[Event], at: float) -> AgentWord | None:
    return next((e for e in events if isinstance(e, AgentWord) and e.t >= at - EPSILON), None)


def user_activity(events: Sequence[Event]) -> list[tuple[float, float]]:
    """The user's input intervals, merged where they touch."""
    merged: list[tuple[float, float]] = []
    spans = sorted((e.t, e.t + e.duration) for e in events if isinstance(e, UserInput) and e.duration > 0)
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def overlap(words: Iterable[AgentWord], activity: Sequence[tuple[float, float]]) -> float:
    total = 0.0
    for word in words:
        for start, end in activity:
            total += max(0.0, min(end, word.t + word.duration) - max(start, word.t))
    return round(total, 6)


def speech_after(trigger: Event, starts: Sequence[AgentSpeechStarted], claimed: set[int]) -> AgentSpeechStarted | None:
    """The utterance ``trigger`` started: its effect (``cause``), else the nearest start at or after it."""
    free = [s for s in starts if s.utterance not in claimed]
    caused = [s for s in free if s.cause == trigger.seq]
    later = [s for s in free if s.t >= trigger.t - EPSILON]
    chosen = caused[0] if caused else min(later, key=lambda s: (s.t, s.seq), default=None)
    if chosen is not None:
        claimed.add(chosen.utterance)
    return chosen


def stopped_at(events: Sequence[Event], utterance: int) -> float | None:
    """When ``utterance`` went quiet for good before the session ended: held and never released, or ended
    cut off (interrupted or stopped) — whichever came first. None: it went on to its end."""
    held: float | None = None
    for event in events:
        if isinstance(event, EndSession):
            break  # what the end of the session cut off was not stopped by the user
        if isinstance(event, AgentSpeechHeld) and event.utterance == utterance:
            held = event.t if held is None else held
        elif isinstance(event, AgentSpeechReleased) and event.utterance == utterance:
            held = None
        elif isinstance(event, AgentSpeechEnded) and event.utterance == utterance:
            if held is not None:
                return held
            return None if event.reason is EndReason.COMPLETED else event.t
    return held


ONSET_GAP = 0.5
"""Input that follows the end of the previous input within this many seconds is the same stretch of speech."""


def speech_onset(events: Sequence[Event], cause: Event, *, since: float) -> float:
    """When the stretch of the user's input that ``cause`` belongs to began, counting only what came at
    ``since`` or later (when the agent began the utterance it cut): a stop is timed from there, not from the
    word that triggered it. Words or keys are one stretch while each follows the end of the one before within
    ``ONSET_GAP``; by voice, the stretch began at the latest voice activity onset before ``cause``."""
    before = [event for event in events if event.seq < cause.seq and event.t >= since - EPSILON]
    if not isinstance(cause, UserInput):
        started = [event.t for event in before if isinstance(event, UserSpeechStarted)]
        return started[-1] if started else cause.t
    onset = cause.t
    for event in reversed(before):
        if not isinstance(event, UserInput):
            continue
        if event.t + event.duration < onset - ONSET_GAP - EPSILON:
            break
        onset = min(onset, event.t)
    return onset
