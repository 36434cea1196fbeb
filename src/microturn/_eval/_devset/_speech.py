"""Reading what the agent said, and when, from a session log: the questions every family's measure asks.

A *reply* here is any speech but a backchannel (an utterance of purpose BACKCHANNEL): announcements and
interjections take the floor as a reply does. Times are event times; a window ``[start, end)`` takes
what happened at its start and leaves out what happened at its end.
"""

from __future__ import annotations

from collections.abc import Sequence

from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    Event,
    SpeechPurpose,
    UserInput,
)
from microturn._eval._metrics._log import stopped_at

__all__ = ["EPSILON", "first_reply_word", "speech_in", "stopped_at", "utterance_at"]

EPSILON = 1e-9


def speech_in(events: Sequence[Event], start: float, end: float) -> list[SpeechPurpose]:
    """The purpose of each utterance the agent started or went on with (a word) in ``[start, end)``."""
    purposes = _purposes(events)
    found: dict[int, SpeechPurpose] = {}
    for event in events:
        if isinstance(event, AgentSpeechStarted | AgentWord) and start - EPSILON <= event.t < end - EPSILON:
            found.setdefault(event.utterance, purposes.get(event.utterance, SpeechPurpose.REPLY))
    return list(found.values())


def first_reply_word(events: Sequence[Event], at: float) -> AgentWord | None:
    """The first word of a reply the agent said at ``at`` or later, if any."""
    purposes = _purposes(events)
    return next(
        (
            event
            for event in events
            if isinstance(event, AgentWord)
            and event.t >= at - EPSILON
            and purposes.get(event.utterance) is not SpeechPurpose.BACKCHANNEL
        ),
        None,
    )


def utterance_at(events: Sequence[Event], onset: float) -> int | None:
    """The utterance the agent was saying when the user's input at ``onset`` came in (None: it said nothing)."""
    user = next((e for e in events if isinstance(e, UserInput) and e.t >= onset - EPSILON), None)
    if user is None:
        return None
    speaking: int | None = None
    for event in events:
        if event.seq >= user.seq:
            break
        if isinstance(event, AgentSpeechStarted):
            speaking = event.utterance
        elif isinstance(event, AgentSpeechEnded) and event.utterance == speaking:
            speaking = None
    return speaking


def _purposes(events: Sequence[Event]) -> dict[int, SpeechPurpose]:
    return {event.utterance: event.purpose for event in events if isinstance(event, AgentSpeechStarted)}
