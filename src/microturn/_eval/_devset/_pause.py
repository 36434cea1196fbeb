"""Pauses: does the agent keep quiet while the user is not done, and answer soon once they are?

Each case is one session. Its context comes first, as a real exchange: an opening line of the agent's is
said by :class:`Opening`, each user line is spoken (typed and sent, for a typed case) once the agent's
line before it has ended, and the agent answers it with the next line of the context (or ``REPLY``).
Then the user says ``before`` (spoken word by word; typed key by key without Enter, as a person types),
is silent for ``pause`` seconds, and says ``after`` if the case has one.

=======================  ===================================================================================
continue: any speech     the agent started speech of any kind (a backchannel too) or went on speaking in the
                         pause: ``[end of before, first input of after)``. Lower is better
continue: take-over      FDB's: its reply words in the pause last >= 1 s or are more than 3 (backchannels
                         left out)
end: latency             end of the user's last word (or keystroke) to the agent's first reply word
end: no reply in 3 s     no reply word within ``SLOW`` seconds of that end
=======================  ===================================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from microturn._core._config import SessionConfig
from microturn._core._events import SpeechPurpose
from microturn._eval._devset._cases import ContextTurn, PauseCase
from microturn._eval._devset._sessions import REPLY, SPOKEN_RATE, TYPING_CPS, Opening, PolicyFactory, play
from microturn._eval._devset._signals import Readings
from microturn._eval._devset._speech import first_reply_word, speech_in
from microturn._eval._devset._stats import median, p90
from microturn._eval._format import Step, Trigger
from microturn._eval._metrics._log import takeover_after

__all__ = ["SLOW", "PauseResult", "PauseRow", "measure_pause", "measure_pauses", "summarise_pauses"]

SLOW = 3.0
"""Seconds after the end of a turn by which a reply should have begun."""
START = 0.5
"""When the user starts, in a case that opens with them."""
GAP = 0.5
"""Seconds the user waits after the agent's line before answering it."""
WATCH = 10.0
"""Seconds the session goes on after the user's last input: long enough for a reply that waits."""
AGENT_WAIT = 5.0
"""Seconds allowed for the agent to begin each line of the context (a slow policy still plays)."""


@dataclass(frozen=True, slots=True)
class PauseResult:
    """One case measured; the fields that do not apply to its label are None."""

    id: str
    modality: str
    label: str
    spoke: bool | None = None
    """continue: the agent said something in the pause."""
    backchannel_only: bool | None = None
    """continue: what it said there was only backchannels."""
    takeover: bool | None = None
    """continue: FDB's take-over in the pause."""
    latency: float | None = None
    """end: seconds to the first reply word; None when none came before the session ended."""
    error: str = ""
    """Why the case could not be measured (it is left out of the numbers), else empty."""


@dataclass(frozen=True, slots=True)
class PauseRow:
    """The numbers of one group of cases (spoken, typed, all)."""

    group: str
    continues: int
    spoke: int
    backchannel_only: int
    takeovers: int
    ends: int
    latency_median: float | None
    latency_p90: float | None
    slow: int
    """End cases with no reply within ``SLOW`` seconds."""
    errors: int


def measure_pauses(
    cases: Sequence[PauseCase], policy: PolicyFactory, readings: Readings | None = None
) -> list[PauseResult]:
    return [measure_pause(case, policy, readings) for case in cases]


def measure_pause(case: PauseCase, policy: PolicyFactory, readings: Readings | None = None) -> PauseResult:
    """Play one case under a fresh policy and measure it; with ``readings``, the model reads the end of the
    user's turn as the embedded model did (``_signals.py``)."""
    opening, context, lines = _context(case)
    own = _own(case, after_lines=len(lines) + (opening is not None))
    agent_lines = [*lines, *([opening] if opening is not None else [])]
    speaking = SessionConfig().speaking_rate
    duration = (
        START
        + sum(len(line.split()) * speaking + AGENT_WAIT + GAP for line in agent_lines)
        + sum(_length(step) for step in [*context, *own])
        + case.pause
        + WATCH
    )
    tested = policy()
    run = play(
        [*context, *own],
        duration=duration,
        policy=tested if opening is None else Opening(tested, opening),
        lines=lines,
        readings=None if readings is None else readings.pause(case),
    )
    result = PauseResult(id=case.id, modality=case.modality, label=case.label)
    before, after = run.marks.get("before"), run.marks.get("after")
    if before is None or (case.after and after is None):
        return replace(result, error="the agent never ended its line of the context: the case's words were not said")
    if after is not None:
        said = speech_in(run.events, before.end, after.start)
        return replace(
            result,
            spoke=bool(said),
            backchannel_only=bool(said) and all(purpose is SpeechPurpose.BACKCHANNEL for purpose in said),
            takeover=takeover_after(run.events, before.end),
        )
    word = first_reply_word(run.events, before.end)
    return replace(result, latency=None if word is None else round(word.t - before.end, 6))


def summarise_pauses(results: Sequence[PauseResult]) -> list[PauseRow]:
    """A row for spoken cases, one for typed, and one for all."""
    groups = [(modality, [r for r in results if r.modality == modality]) for modality in ("spoken", "typed")]
    return [_row(name, group) for name, group in [*groups, ("all", list(results))]]


def _row(group: str, results: Sequence[PauseResult]) -> PauseRow:
    measured = [r for r in results if not r.error]
    continues = [r for r in measured if r.label == "continue"]
    ends = [r for r in measured if r.label == "end"]
    latencies = [r.latency for r in ends if r.latency is not None]
    return PauseRow(
        group=group,
        continues=len(continues),
        spoke=sum(bool(r.spoke) for r in continues),
        backchannel_only=sum(bool(r.backchannel_only) for r in continues),
        takeovers=sum(bool(r.takeover) for r in continues),
        ends=len(ends),
        latency_median=median(latencies),
        latency_p90=p90(latencies),
        slow=sum(r.latency is None or r.latency > SLOW for r in ends),
        errors=len(results) - len(measured),
    )


def _context(case: PauseCase) -> tuple[str | None, list[Step], list[str]]:
    """The context as a real exchange: the agent's opening line (if it speaks first), the user's lines as
    steps that wait for the agent's line before them, and the lines the model answers them with."""
    turns = _merged(case.context)
    opening = turns.pop(0).text if turns and turns[0].speaker == "agent" else None
    steps: list[Step] = []
    lines: list[str] = []
    for index, turn in enumerate(turns):
        if turn.speaker == "agent":
            continue  # said by the model, as its answer to the user's line before it
        waited = len(lines) + (opening is not None)
        steps.append(_user(turn.text, case.modality, after_lines=waited, send=True))
        lines.append(turns[index + 1].text if index + 1 < len(turns) else REPLY)
    return opening, steps, lines


def _merged(context: Sequence[ContextTurn]) -> list[ContextTurn]:
    """The context with a speaker's consecutive turns joined, so that speakers alternate."""
    merged: list[ContextTurn] = []
    for turn in context:
        if merged and merged[-1].speaker == turn.speaker:
            merged[-1] = ContextTurn(turn.speaker, f"{merged[-1].text} {turn.text}")
        else:
            merged.append(turn)
    return merged


def _own(case: PauseCase, *, after_lines: int) -> list[Step]:
    """``before``, and ``after`` once the pause is over, from the end of the context."""
    before = _user(case.before, case.modality, after_lines=after_lines, step_id="before")
    if not case.after:
        return [before]
    text = case.after if case.modality == "spoken" else " " + case.after  # the typist's space between them
    resume = _length(before) + case.pause
    return [before, _user(text, case.modality, after_lines=after_lines, delay=resume, step_id="after")]


def _user(
    text: str, modality: str, *, after_lines: int, delay: float = 0.0, step_id: str | None = None, send: bool = False
) -> Step:
    """The user's ``text``, spoken, or typed (and sent with Enter if ``send``), ``delay`` seconds after it may
    start: ``GAP`` after the end of the agent's ``after_lines``-th utterance, or at ``START`` if none."""
    at, when = (START, None) if after_lines == 0 else (None, Trigger(agent="ends", utterance=after_lines))
    delay += 0.0 if after_lines == 0 else GAP
    if modality == "spoken":
        return Step(at=at, when=when, delay=delay, id=step_id, say=text, rate=SPOKEN_RATE)
    return Step(at=at, when=when, delay=delay, id=step_id, type=text, cps=TYPING_CPS, submit=send)


def _length(step: Step) -> float:
    """Seconds the step's input lasts."""
    if step.say is not None:
        return len(step.say.split()) * step.rate
    return len(step.type or "") / step.cps
