"""Stories: does the agent listen through the pauses between sentences (a backchannel, no reply) and answer at the end?

Each case is one session: the user speaks the sentences word by word, silent for the given pause
between two sentences; nobody asks anything before the last sentence.

=======================  ===================================================================================
backchannel              at least one utterance of purpose BACKCHANNEL began before the last sentence ended
no reply                 no other utterance (reply, announcement, interjection) began before then
listened                 both (issue 13: >= 80% of the cases)
answered in 3 s          a reply word within ``SLOW`` seconds of the end of the last sentence
=======================  ===================================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from microturn._core._events import AgentSpeechStarted, SpeechPurpose
from microturn._eval._devset._cases import NarrativeCase
from microturn._eval._devset._pause import SLOW
from microturn._eval._devset._sessions import SPOKEN_RATE, PolicyFactory, play
from microturn._eval._devset._signals import Readings
from microturn._eval._devset._speech import EPSILON, first_reply_word
from microturn._eval._format import Step

__all__ = ["NarrativeResult", "NarrativeRow", "measure_narrative", "measure_narratives", "summarise_narratives"]

START = 0.5
WATCH = 10.0


@dataclass(frozen=True, slots=True)
class NarrativeResult:
    id: str
    asks_at_end: bool
    backchannels: int = 0
    """Backchannels begun before the last sentence ended."""
    replies: int = 0
    """Other utterances begun before then."""
    answered: bool = False
    """A reply word came within ``SLOW`` seconds of the end of the last sentence."""
    listened: bool = False
    """At least one backchannel and no reply before the last sentence ended."""
    error: str = ""


@dataclass(frozen=True, slots=True)
class NarrativeRow:
    """The numbers of a group of cases: those that ask at the end, those that do not, all."""

    group: str
    cases: int
    backchannelled: int
    no_reply: int
    listened: int
    answered: int
    errors: int


def measure_narratives(
    cases: Sequence[NarrativeCase], policy: PolicyFactory, readings: Readings | None = None
) -> list[NarrativeResult]:
    return [measure_narrative(case, policy, readings) for case in cases]


def measure_narrative(case: NarrativeCase, policy: PolicyFactory, readings: Readings | None = None) -> NarrativeResult:
    """Play one case under a fresh policy and measure it; with ``readings``, the model reads the end of the
    user's turn as the embedded model did (``_signals.py``)."""
    script: list[Step] = []
    at = START
    for index, (sentence, pause) in enumerate(zip(case.sentences, (*case.pauses, 0.0), strict=True)):
        script.append(Step(at=round(at, 6), id=f"sentence-{index}", say=sentence, rate=SPOKEN_RATE))
        at += len(sentence.split()) * SPOKEN_RATE + pause
    run = play(
        script, duration=at + WATCH, policy=policy(), readings=None if readings is None else readings.story(case)
    )
    result = NarrativeResult(id=case.id, asks_at_end=case.asks_at_end)
    last = run.marks.get(f"sentence-{len(case.sentences) - 1}")
    if last is None:
        return replace(result, error="the last sentence was not said")
    started = [e for e in run.events if isinstance(e, AgentSpeechStarted) and e.t < last.end - EPSILON]
    backchannels = sum(e.purpose is SpeechPurpose.BACKCHANNEL for e in started)
    word = first_reply_word(run.events, last.end)
    return replace(
        result,
        backchannels=backchannels,
        replies=len(started) - backchannels,
        answered=word is not None and word.t - last.end <= SLOW + EPSILON,
        listened=backchannels > 0 and len(started) == backchannels,
    )


def summarise_narratives(results: Sequence[NarrativeResult]) -> list[NarrativeRow]:
    """A row for the stories that ask at the end, one for those that do not, and one for all."""
    groups = [
        ("asks at end", [r for r in results if r.asks_at_end]),
        ("tells only", [r for r in results if not r.asks_at_end]),
        ("all", list(results)),
    ]
    return [_row(name, group) for name, group in groups]


def _row(group: str, results: Sequence[NarrativeResult]) -> NarrativeRow:
    measured = [r for r in results if not r.error]
    return NarrativeRow(
        group=group,
        cases=len(measured),
        backchannelled=sum(r.backchannels > 0 for r in measured),
        no_reply=sum(r.replies == 0 for r in measured),
        listened=sum(r.listened for r in measured),
        answered=sum(r.answered for r in measured),
        errors=len(results) - len(measured),
    )
