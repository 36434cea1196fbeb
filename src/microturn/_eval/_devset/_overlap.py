"""Speech over the agent: does it keep talking through an "mm-hm", a laugh or a cough, and stop for a real barge-in?

Each case is one session: the user asks ``ASK`` (spoken), the agent answers with the case's
``agent_saying``, and ``ONSET`` seconds after its first word the user says the case's ``user`` over it,
spoken word by word. A bracketed sound is one "word", as a transcriber writes it: ``[clears throat]``
comes as the one tag ``[clears-throat]``, never as "[clears" then "throat]".

=======================  ===================================================================================
stopped                  the utterance the user spoke over went quiet for good before the session ended: it
                         ended cut off (interrupted or stopped), or was held (voice) and never released
stop latency             from the onset of the user's speech (their first word) to that moment
kept going               backchannels and reactions that did not stop it (issue 13: >= 90%)
prompt stop              barge-ins that stopped it within ``PROMPT`` seconds of their onset (issue 13: >= 98%)
=======================  ===================================================================================
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from microturn._core._config import SessionConfig
from microturn._eval._devset._cases import OverlapCase
from microturn._eval._devset._sessions import SPOKEN_RATE, PolicyFactory, play
from microturn._eval._devset._speech import stopped_at, utterance_at
from microturn._eval._devset._stats import median, p90
from microturn._eval._format import Step, Trigger

__all__ = [
    "LABELS",
    "PROMPT",
    "OverlapResult",
    "OverlapRow",
    "OverlapSummary",
    "measure_overlap",
    "measure_overlaps",
    "summarise_overlaps",
]

LABELS = ("backchannel", "reaction", "side", "noise", "barge_in")
ASK = "can you tell me about it"
"""What the user asks first, so that ``agent_saying`` is the agent's reply."""
START = 0.5
ONSET = 1.0
"""Seconds into the agent's reply at which the user starts speaking over it."""
PROMPT = 0.2
"""A barge-in should stop the agent within this many seconds of its onset."""
AGENT_WAIT = 5.0
"""Seconds allowed for the agent to begin its reply."""
WATCH = 5.0
_TAG = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True, slots=True)
class OverlapResult:
    id: str
    label: str
    stopped: bool | None = None
    latency: float | None = None
    """Seconds from the onset of the user's speech to the agent's stop; None when it did not stop."""
    error: str = ""
    """Why the case could not be measured (it is left out of the numbers), else empty."""


@dataclass(frozen=True, slots=True)
class OverlapRow:
    """The numbers of one label."""

    label: str
    cases: int
    stopped: int
    prompt: int
    """Stopped within ``PROMPT`` seconds of the onset."""
    latency_median: float | None
    latency_p90: float | None
    errors: int


@dataclass(frozen=True, slots=True)
class OverlapSummary:
    rows: list[OverlapRow]
    kept_going: int
    """Backchannels and reactions the agent talked through."""
    acknowledgements: int
    """Backchannels and reactions measured."""
    prompt_stops: int
    """Barge-ins that stopped the agent within ``PROMPT`` seconds."""
    barge_ins: int


def measure_overlaps(cases: Sequence[OverlapCase], policy: PolicyFactory) -> list[OverlapResult]:
    return [measure_overlap(case, policy) for case in cases]


def measure_overlap(case: OverlapCase, policy: PolicyFactory) -> OverlapResult:
    """Play one case under a fresh policy and measure it."""
    ask = Step(at=START, say=ASK, rate=SPOKEN_RATE)
    said = _TAG.sub(lambda tag: tag[0].replace(" ", "-"), case.user)
    over = Step(when=Trigger(agent="speaks"), delay=ONSET, id="user", say=said, rate=SPOKEN_RATE)
    agent = len(case.agent_saying.split()) * SessionConfig().speaking_rate
    user = len(case.user.split()) * SPOKEN_RATE
    duration = START + len(ASK.split()) * SPOKEN_RATE + AGENT_WAIT + agent + user + WATCH
    run = play([ask, over], duration=duration, policy=policy(), lines=[case.agent_saying])
    result = OverlapResult(id=case.id, label=case.label)
    mark = run.marks.get("user")
    utterance = None if mark is None else utterance_at(run.events, mark.start)
    if mark is None or utterance is None:
        return replace(result, error="the agent was not saying its reply when the user spoke")
    stop = stopped_at(run.events, utterance)
    return replace(result, stopped=stop is not None, latency=None if stop is None else round(stop - mark.start, 6))


def summarise_overlaps(results: Sequence[OverlapResult]) -> OverlapSummary:
    rows = [_row(label, [r for r in results if r.label == label]) for label in LABELS]
    by_label = {row.label: row for row in rows}
    acknowledgements = [by_label["backchannel"], by_label["reaction"]]
    return OverlapSummary(
        rows=rows,
        kept_going=sum(row.cases - row.stopped for row in acknowledgements),
        acknowledgements=sum(row.cases for row in acknowledgements),
        prompt_stops=by_label["barge_in"].prompt,
        barge_ins=by_label["barge_in"].cases,
    )


def _row(label: str, results: Sequence[OverlapResult]) -> OverlapRow:
    measured = [r for r in results if not r.error]
    latencies = [r.latency for r in measured if r.latency is not None]
    return OverlapRow(
        label=label,
        cases=len(measured),
        stopped=sum(bool(r.stopped) for r in measured),
        prompt=sum(latency <= PROMPT + 1e-9 for latency in latencies),
        latency_median=median(latencies),
        latency_p90=p90(latencies),
        errors=len(results) - len(measured),
    )
