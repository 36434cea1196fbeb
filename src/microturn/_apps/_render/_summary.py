"""The numbers in the page header: session id, how long it lasted, and counts of what happened."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    EndReason,
    Event,
    Modality,
    Overlap,
    SessionStarted,
    Silence,
    UserErase,
    UserInput,
    UserSubmit,
)

__all__ = ["Summary", "session_end", "summarize"]


@dataclass(frozen=True)
class Summary:
    session: str
    duration: float
    events: int
    user_words: int
    agent_utterances: int
    interruptions: int
    silences: int
    overlaps: int


def session_end(events: Sequence[Event]) -> float:
    """The last moment anything in the log reaches: an event, the end of a word or a silence."""
    end = 0.0
    for event in events:
        end = max(end, event.t)
        if isinstance(event, UserInput | AgentWord):
            end = max(end, event.t + event.duration)
        elif isinstance(event, Silence | Overlap):
            end = max(end, event.started + event.duration)
    return end


def summarize(events: Sequence[Event]) -> Summary:
    session = next((event.session for event in events if isinstance(event, SessionStarted)), "")
    utterances = {
        event.utterance for event in events if isinstance(event, AgentSpeechStarted | AgentWord | AgentSpeechEnded)
    }
    return Summary(
        session=session,
        duration=max((event.t for event in events), default=0.0),
        events=len(events),
        user_words=_user_words(events),
        agent_utterances=len(utterances),
        interruptions=sum(
            isinstance(event, AgentSpeechEnded) and event.reason is EndReason.INTERRUPTED for event in events
        ),
        silences=sum(isinstance(event, Silence) for event in events),
        overlaps=sum(isinstance(event, Overlap) for event in events),
    )


def _user_words(events: Sequence[Event]) -> int:
    """Spoken words, plus the words of each typed line as it stood after erasures."""
    words = 0
    typed = ""
    for event in events:
        if isinstance(event, UserInput) and event.modality is Modality.SPOKEN:
            words += 1
        elif isinstance(event, UserInput):
            typed += event.text
        elif isinstance(event, UserErase):
            typed = typed[: max(0, len(typed) - event.count)]
        elif isinstance(event, UserSubmit):
            words += len(typed.split())
            typed = ""
    return words + len(typed.split())
