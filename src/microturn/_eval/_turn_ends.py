"""The audio end of turn measured on recorded voice sessions: how well Smart Turn's reading, beside the words,
tells the pauses a user went on after from the real ends of their turns.

The development set is text, so how much the audio adds on people's speech can only be measured on recordings of
people: sessions kept with ``microturn serve --log-dir DIR``. Every stretch of the user's speech that ended left a
``TurnEndSignal(source="audio")`` in the log (the detector's probability, for the words as they then were). This
reads each one back:

* **what the words said then**: the session is replayed (no model, no detector: their outputs are in the log)
  with its own decisions, and the learned ``TurnEnd`` reads the turn's text with the context the policy gave it
  at that moment (the agent's line, where the turn went on, the conversation model's reading), without the audio:
  the log-odds of an end from everything but the sound;
* **what the user did next**, which labels the pause: ``continue`` when they spoke again before the agent's reply
  began, or within ``GRACE`` seconds after it (the agent talked into a pause and they went on or cut it off);
  ``end`` when the agent replied and they did not; neither (the session ended first) is left out.

``measure`` then reports how well each reading separates the two (AUC), the words with the audio added as the
policy adds it (``AUDIO_WEIGHT``, not fitted: there was no audio to fit it on), and the weights a logistic
regression gives the two on these pauses: the evidence for a new ``AUDIO_WEIGHT`` (docs/audio-end-of-turn.md).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from microturn._core._clock import Clock, VirtualClock
from microturn._core._codec import decode_log
from microturn._core._events import (
    AgentSpeechStarted,
    Event,
    SessionStarted,
    SpeechPurpose,
    TurnEndSignal,
    UserSpeechEnded,
    UserSpeechStarted,
)
from microturn._eval._replay import replay_log
from microturn._policies import recorded_options
from microturn._policies._full_duplex._decisions import DECISIONS, TurnEnd, TurnEndContext, TurnEndEstimate, learned
from microturn._policies._full_duplex._decisions._interfaces import Waits
from microturn._policies._full_duplex._decisions._registry import Decisions
from microturn._policies._full_duplex._end_of_turn import AUDIO
from microturn.errors import MalformedEvent

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

Asked = tuple[float, str, TurnEndContext]
"""A question the policy put to its turn end: when (session time), the words, the context."""

__all__ = ["FIT_LEAST", "GRACE", "Fusion", "Pause", "label_pause", "measure", "read_pauses", "write_pauses"]

GRACE = 1.0
"""Seconds after the agent's reply began within which the user's speech means they had not finished: too soon to
be an answer to the reply (someone who answers has heard some of it first)."""


@dataclass(frozen=True, slots=True)
class Pause:
    """One end of a stretch of the user's speech that the audio detector judged."""

    session: str
    t: float
    """When the detector's signal came (session time)."""
    text: str
    """The user's turn so far: what the words the signal is about said."""
    audio: float
    """The detector's probability that the turn is over."""
    words: float
    """The learned turn end's log-odds of an end without the audio (its words, the context, the model's reading)."""
    label: str
    """``end`` or ``continue``: what the user did next."""


@dataclass(frozen=True, slots=True)
class Fusion:
    """How well the readings separate the ends from the pauses the user went on after (AUC: the chance an end
    scores above a pause; NaN without both)."""

    pauses: int
    ends: int
    sessions: int
    words_auc: float
    audio_auc: float
    shipped_auc: float
    """The words with the audio's log-odds added at ``AUDIO_WEIGHT``, as the policy adds them."""
    fitted: tuple[float, float, float] | None
    """A logistic regression's weights on these pauses: (the words' log-odds, the audio's log-odds, a bias); None
    with too few of either label to fit (``FIT_LEAST``)."""
    fitted_auc: float
    """Its AUC on the same pauses (in sample: with two weights and a bias, close to what new pauses would give)."""


FIT_LEAST = 5
"""Each label needs this many pauses before a weight is fitted to them."""


def read_pauses(data: bytes) -> list[Pause]:
    """The pauses of one session log that the audio detector judged, read and labelled (none: not a voice session
    with the detector on, or not one of the full-duplex policy, whose turn end is what is measured)."""
    events = list(decode_log(data))
    if not events or not isinstance(events[0], SessionStarted):
        raise MalformedEvent(
            "a session log must start with a SessionStarted event", excerpt=data[:120].decode(errors="replace")
        )
    started = events[0]
    signals = [(at, e) for at, e in enumerate(events) if isinstance(e, TurnEndSignal) and e.source == AUDIO]
    if not signals:
        return []
    options = recorded_options(str(started.config.get("policy", "")), started.config.get("policy_options", {}))
    name = options.get("decisions")
    if not isinstance(name, str) or name not in DECISIONS:
        return []
    clock = VirtualClock(wall_epoch=started.wall)
    with _noting(name, clock) as noted:
        replay_log(data, clock=clock)
    if noted.waits is None:
        return []  # the replayed policy never built its decisions
    judge = learned(noted.waits).turn_end  # the session's own silences; the learned reading, whatever it ran
    from microturn._policies._full_duplex._decisions._learned._turn_end import log_odds_of  # learned() checked it

    pauses: list[Pause] = []
    for at, signal in signals:
        label = label_pause(events, at)
        asked = _asked(noted.calls, signal)
        if label is None or asked is None:
            continue
        text, context = asked
        words = judge.estimate(text, dataclasses.replace(context, audio_end_probability=None)).probability
        pauses.append(Pause(started.session, signal.t, text, signal.probability, log_odds_of(words), label))
    return pauses


def label_pause(events: Sequence[Event], at: int) -> str | None:
    """What the user did after the stretch of speech the audio signal ``events[at]`` is about: ``continue``,
    ``end``, or None (unknown: the session ended first)."""
    start = next((i for i in range(at - 1, -1, -1) if isinstance(events[i], UserSpeechEnded)), None)
    if start is None:
        return None
    reply: AgentSpeechStarted | None = None
    for event in itertools.islice(events, start + 1, None):
        if reply is not None and event.t >= reply.t + GRACE:
            return "end"  # answered, and the user did not cut in
        if isinstance(event, UserSpeechStarted):
            return "continue"  # before the reply, or too soon after it to answer it
        if reply is None and isinstance(event, AgentSpeechStarted) and event.purpose is not SpeechPurpose.BACKCHANNEL:
            reply = event
    return "end" if reply is not None else None


def measure(pauses: Sequence[Pause]) -> Fusion:
    """AUCs of the words, the audio, both as the policy adds them, and both as fitted to ``pauses``."""
    import numpy as np

    from microturn._policies._full_duplex._decisions._learned._turn_end import AUDIO_WEIGHT, log_odds_of
    from microturn._sentences import fit_logistic
    from microturn._sentences._logistic import auc

    ends = np.array([pause.label == "end" for pause in pauses], dtype=bool)
    words = np.array([pause.words for pause in pauses], dtype=np.float64)
    audio = np.array([log_odds_of(pause.audio) for pause in pauses], dtype=np.float64)
    fitted: tuple[float, float, float] | None = None
    fitted_auc = math.nan
    if min(int(ends.sum()), int((~ends).sum())) >= FIT_LEAST:
        both: npt.NDArray[np.float64] = np.column_stack([words, audio])
        weights = fit_logistic(both, ends, l2=1e-3)
        fitted = (float(weights[0]), float(weights[1]), float(weights[2]))
        fitted_auc = auc(both @ weights[:2], ends)
    return Fusion(
        pauses=len(pauses),
        ends=int(ends.sum()),
        sessions=len({pause.session for pause in pauses}),
        words_auc=auc(words, ends),
        audio_auc=auc(audio, ends),
        shipped_auc=auc(words + AUDIO_WEIGHT * audio, ends),
        fitted=fitted,
        fitted_auc=fitted_auc,
    )


def write_pauses(path: Path, pauses: Sequence[Pause], fusion: Fusion) -> None:
    """``fusion`` and every pause it was measured on, as JSON (NaN, an AUC without both labels, as null)."""
    summary = {
        key: None if isinstance(value, float) and math.isnan(value) else value for key, value in asdict(fusion).items()
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"summary": summary, "pauses": [asdict(pause) for pause in pauses]}, indent=2))


def _asked(calls: Sequence[Asked], signal: TurnEndSignal) -> tuple[str, TurnEndContext] | None:
    """What the policy last knew of the words ``signal`` is about: the latest question about them by the signal's
    time (a signal that came after the agent took them up was not heard, but they were judged before), then the
    last of the questions about the same words that followed (a reading the model sent after the audio's)."""
    about = [i for i, (t, text, _) in enumerate(calls) if t <= signal.t + 1e-9 and len(text) == signal.upto]
    if not about:
        return None
    at = about[-1]
    while at + 1 < len(calls) and calls[at + 1][1] == calls[at][1]:
        at += 1
    _, text, context = calls[at]
    return text, context


@dataclass(slots=True)
class _Noted:
    calls: list[Asked] = dataclasses.field(default_factory=list)
    """Every question the policy put to its turn end, in order."""
    waits: Waits | None = None
    """The policy's silences, as its decisions were built with them."""


@contextmanager
def _noting(name: str, clock: Clock) -> Iterator[_Noted]:
    """While inside, the decisions called ``name`` note every question put to their turn end (its time on
    ``clock``, the text, the context) and the silences they were built with; they decide as before, so the replay
    is the session as it ran."""
    made = DECISIONS[name]
    noted = _Noted()

    def noting(waits: Waits) -> Decisions:
        noted.waits = waits
        decisions = made(waits)
        return dataclasses.replace(decisions, turn_end=_Noting(decisions.turn_end, noted.calls, clock))

    DECISIONS[name] = noting
    try:
        yield noted
    finally:
        DECISIONS[name] = made


class _Noting:
    def __init__(self, inner: TurnEnd, calls: list[Asked], clock: Clock) -> None:
        self._inner = inner
        self._calls = calls
        self._clock = clock

    def estimate(self, text: str, context: TurnEndContext) -> TurnEndEstimate:
        self._calls.append((self._clock.now(), text, context))
        return self._inner.estimate(text, context)
