"""A synthetic session log of any length, for the timeline page: talk, typing, cut-offs, jobs, tools, cues.

Deterministic (a seeded generator): the same ``minutes`` always give the same events, so sizes and
timings measured on it are comparable from run to run. It is built directly as events, not played
through a session, so an hour takes a fraction of a second.
"""

from __future__ import annotations

import random

from microturn import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    CueFired,
    CueSet,
    EndReason,
    Event,
    JobProgress,
    JobRequested,
    JobResult,
    Modality,
    Overlap,
    ResultWoven,
    SessionEnded,
    SessionStarted,
    Silence,
    TimerFired,
    TimerSet,
    ToolCalled,
    ToolResult,
    UserInput,
    UserSubmit,
)
from microturn._core._clock import VIRTUAL_WALL_EPOCH

__all__ = ["long_session"]

WORDS = (
    "the a to and of tell me about story weather train Porto hotel find book remind what is time "
    "lighthouse keeper once upon night sea storm ship harbour morning coffee table seven twelve minutes"
).split()


def long_session(minutes: float, *, seed: int = 14) -> list[Event]:
    """About ``minutes`` of conversation, in log order (events sorted by time)."""
    rng = random.Random(seed)
    end = minutes * 60.0
    events: list[Event] = [SessionStarted(t=0.0, session=f"long-{minutes:g}", wall=VIRTUAL_WALL_EPOCH, config={})]
    t, utterance, job = 0.5, 0, 0
    while t < end - 20:
        gap = round(rng.uniform(0.4, 2.5), 2)
        events.append(Silence(t=round(t + gap, 3), started=round(t, 3), duration=gap))
        t += gap
        if rng.random() < 0.5:  # spoken
            for _ in range(rng.randint(3, 12)):
                duration = round(rng.uniform(0.2, 0.5), 2)
                events.append(
                    UserInput(t=round(t, 3), text=rng.choice(WORDS), modality=Modality.SPOKEN, duration=duration)
                )
                t += duration + 0.05
        else:  # typed, a keystroke at a time, then Enter
            for char in " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))):
                events.append(UserInput(t=round(t, 3), text=char))
                t += rng.uniform(0.08, 0.2)
            events.append(UserSubmit(t=round(t, 3)))
        t += 0.35
        utterance += 1
        events.append(AgentSpeechStarted(t=round(t, 3), utterance=utterance, reply_to="…"))
        said: list[str] = []
        cut = rng.random() < 0.15
        count = rng.randint(4, 30)
        for index in range(count):
            word = rng.choice(WORDS)
            events.append(AgentWord(t=round(t, 3), utterance=utterance, word=word, duration=0.3))
            said.append(word)
            t += 0.3
            if cut and index == count // 2:
                events.append(UserInput(t=round(t - 0.2, 3), text="wait", modality=Modality.SPOKEN, duration=0.3))
                events.append(Overlap(t=round(t, 3), started=round(t - 0.2, 3), duration=0.2))
                break
        reason = EndReason.INTERRUPTED if cut else EndReason.COMPLETED
        events.append(AgentSpeechEnded(t=round(t, 3), utterance=utterance, reason=reason, delivered=" ".join(said)))
        if rng.random() < 0.08:  # a background job with a tool call, woven a little later
            job += 1
            name, start = f"job-{job}", round(t, 3)
            events.append(JobRequested(t=start, job=name, task="find a hotel in Porto"))
            events.append(ToolCalled(t=start + 0.5, call=f"c{job}", tool="search", arguments={"q": "hotel"}))
            events.append(ToolResult(t=start + 2.0, call=f"c{job}", output="3 hotels"))
            events.append(JobProgress(t=start + 2.5, job=name, text="checked 3 of 5", fraction=0.6))
            events.append(JobResult(t=start + 6.0, job=name, text="Hotel Infante, 90 euros"))
            events.append(ResultWoven(t=start + 7.0, job=name))
        if rng.random() < 0.03:  # a cue that fires on a later word, and a timer
            events.append(CueSet(t=round(t, 3), cue=f"cue-{utterance}", watch="a number"))
            events.append(CueFired(t=round(t + 5, 3), cue=f"cue-{utterance}", matched="seven"))
            events.append(TimerSet(t=round(t, 3), timer=f"tm-{utterance}", due=round(t + 12, 3), text="tea"))
            events.append(TimerFired(t=round(t + 12, 3), timer=f"tm-{utterance}", text="tea"))
    events.append(SessionEnded(t=round(max(t, end), 3), reason="requested"))
    return sorted(events, key=lambda event: event.t)
