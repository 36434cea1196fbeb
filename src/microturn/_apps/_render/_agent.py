"""The agent lane: each utterance as a band, its words as boxes, and how it ended (cut off, stopped)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from microturn._apps._render._items import Item, Lane, Point, Span, Track, plain
from microturn._apps._render._text import clean, seconds, tail
from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    EndReason,
    Event,
    SpeechPurpose,
)

__all__ = ["agent_lane"]

_SHOWN_DELIVERED = 48  # characters of delivered text in a cut marker's visible label


@dataclass
class _Utterance:
    number: int
    started: AgentSpeechStarted | None = None
    ended: AgentSpeechEnded | None = None
    words: list[AgentWord] = field(default_factory=list)

    @property
    def purpose(self) -> SpeechPurpose:
        return self.started.purpose if self.started is not None else SpeechPurpose.REPLY

    def start(self) -> float:
        times = [word.t for word in self.words]
        if self.started is not None:
            times.append(self.started.t)
        if self.ended is not None:
            times.append(self.ended.t)
        return min(times)

    def end(self, session_end: float) -> float:
        return self.ended.t if self.ended is not None else session_end


def agent_lane(events: Sequence[Event], session_end: float) -> Lane:
    utterances: dict[int, _Utterance] = {}
    for event in events:
        if isinstance(event, AgentSpeechStarted | AgentWord | AgentSpeechEnded):
            utterance = utterances.setdefault(event.utterance, _Utterance(event.utterance))
            if isinstance(event, AgentSpeechStarted):
                utterance.started = event
            elif isinstance(event, AgentWord):
                utterance.words.append(event)
            else:
                utterance.ended = event
    bands: list[Item] = []
    words: list[Item] = []
    endings: list[Item] = []
    for utterance in utterances.values():  # in order of first appearance
        end = utterance.end(session_end)
        bands.append(_band(utterance, end))
        words.extend(_word(word, utterance, end) for word in utterance.words)
        if utterance.ended is not None and utterance.ended.reason is not EndReason.COMPLETED:
            endings.append(_ending(utterance.ended))
    return Lane(
        "agent",
        (
            Track("utterances", tuple(bands), row_height=18.0),
            Track("words", tuple(words), row_height=22.0),
            Track("endings", tuple(endings), row_height=18.0),
        ),
    )


def _band(utterance: _Utterance, end: float) -> Span:
    purpose = utterance.purpose.value
    start = utterance.start()
    lines = [f"{seconds(start)}–{seconds(end)}  agent utterance {utterance.number} ({purpose})"]
    if utterance.started is not None and utterance.started.reply_to:
        lines.append(f"in reply to: “{clean(utterance.started.reply_to)}”")
    if utterance.ended is None:
        lines.append("never ended in this log")
        css = f"utterance {purpose} open"
    else:
        lines.append(f"ended {utterance.ended.reason.value}; delivered: “{clean(utterance.ended.delivered)}”")
        css = f"utterance {purpose} end-{utterance.ended.reason.value}"
    return Span(start, end, css, "\n".join(lines), label=plain(f"#{utterance.number} {purpose}"))


def _word(word: AgentWord, utterance: _Utterance, end: float) -> Span:
    # A word cut off mid-way is drawn only up to the cut: that is all the user heard of it.
    shown_end = max(word.t, min(word.t + word.duration, end))
    text = clean(word.word)
    title = f"{seconds(word.t)}  agent said “{text}” ({seconds(word.duration)}, utterance {utterance.number})"
    if shown_end < word.t + word.duration:
        title += f"\ncut at {seconds(shown_end)}"
    return Span(word.t, shown_end, f"agent-word {utterance.purpose.value}", title, label=plain(text))


def _ending(ended: AgentSpeechEnded) -> Point:
    delivered = clean(ended.delivered)
    if ended.reason is EndReason.STOPPED:
        label = f"stopped after “{tail(delivered, _SHOWN_DELIVERED)}”" if delivered else "stopped before a word"
        title = f"{seconds(ended.t)}  agent stopped (utterance {ended.utterance})\ndelivered: “{delivered}”"
        return Point(ended.t, "square", "stopped", title, label=label, rule="stop")
    label = f"cut after “{tail(delivered, _SHOWN_DELIVERED)}”" if delivered else "cut before a word"
    title = f"{seconds(ended.t)}  user cut the agent off (utterance {ended.utterance})\ndelivered: “{delivered}”"
    return Point(ended.t, "cross", "cut", title, label=label, rule="cut")
