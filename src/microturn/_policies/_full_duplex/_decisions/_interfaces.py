"""The three judgements the full-duplex policy makes from what the user says, as interfaces.

* :class:`TurnEnd`: how likely the user's turn is over, and so how long a silence to allow before answering;
* :class:`Overlap`: what the user's speech over the agent is (a backchannel, a reaction, side talk, noise, or a
  real barge-in);
* :class:`Intent`: what a whole turn asks for (a timer, a cue, a live mode, a job, an answer to an approval, or
  nothing but conversation), with its slots and whether it is negated;
* :class:`Member`: whether a word the user says is one of the kind of thing a cue listens for ("a colour").

Everything an implementation is given is plain data (text, timings, a small context, and optional signals
computed elsewhere), so one that learns needs nothing of the policy's internals. The policy is sans-I/O: an
implementation is called synchronously where the policy decides, so a slow detector (a model over audio, the
embedded model's logits) runs in the session and hands its result in as a precomputed signal, never awaited here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from microturn._core._events import ModelReading

__all__ = [
    "NOTHING",
    "Intent",
    "IntentContext",
    "IntentReading",
    "Member",
    "ModelReading",
    "Overlap",
    "OverlapContext",
    "OverlapKind",
    "Slot",
    "TurnEnd",
    "TurnEndContext",
    "TurnEndEstimate",
    "Waits",
]


# --- the end of the user's turn ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Waits:
    """The policy's silences (its options), which a :class:`TurnEnd` turns into the wait for a turn."""

    complete: float
    """After words that sound finished."""
    incomplete: float
    """After unfinished words ("and", "to the", "um"), before learning this speaker's pauses."""
    max_incomplete: float
    """The longest wait after unfinished words, however long this speaker pauses."""
    typed: float
    """After the last keystroke of typed words without Enter: a long idle (``typed_silence``, 5 s), since a typed
    pause is not a turn end (Enter is). People stop to think while they type, often for a few seconds at a
    sentence's end, and no chat sends a message by itself; 5 s is twice the wait this once was (2.5 s, which
    ended "wait" ⟨pause⟩ as a turn of its own) and longer than any typed pause in the training set (≤ 2 s)."""


@dataclass(frozen=True, slots=True)
class TurnEndContext:
    """What is known of the turn besides its words."""

    typed: bool = False
    """The latest input was typed, not spoken."""
    pauses: Sequence[float] = ()
    """This speaker's recent pauses inside their turns (seconds, latest last): how long they stop and go on."""
    model_end_probability: float | None = None
    """The conversation model's probability that the user's line ends here, if the session computed it."""
    model_end_source: ModelReading = "model"
    """Which kind of reading ``model_end_probability`` is (``ModelReading``: the model's own, or a server's, which
    tells much less)."""
    audio_end_probability: float | None = None
    """An audio end-of-turn model's probability, if there is audio and the session computed it."""
    agent_line: str = ""
    """What the agent said last before this turn began (its latest utterance, as far as it got): a short answer
    ("friday") to a question it asked is more likely the whole turn."""
    stretch_start: int = 0
    """Where in the text the words said since the user's latest pause in this turn begin; 0 while the turn has
    had no pause. A turn that went on after a pause is a long one: a story, a list, an explanation."""


@dataclass(frozen=True, slots=True)
class TurnEndEstimate:
    probability: float
    """How likely the turn is over now (0 to 1)."""
    wait: float
    """The silence to allow after the user's last input before taking the turn (seconds)."""
    backchannel: bool = False
    """A listener's backchannel ("mm-hm") fits this pause, should it last: the user is not done and goes on. The
    policy says one only in a long turn, rate-limited and never over the user (``_backchannels.py``)."""


class TurnEnd(Protocol):
    def estimate(self, text: str, context: TurnEndContext) -> TurnEndEstimate:
        """How likely the user's turn is over after ``text`` (their words so far), and how long to wait."""
        ...


# --- speech over the agent ---------------------------------------------------------------------------------


class OverlapKind(enum.Enum):
    BACKCHANNEL = "backchannel"
    """"mm-hm", "yeah", "got it": the user listens; the agent goes on."""
    REACTION = "reaction"
    """"wow", "really?", "oh no": the user reacts to what they hear; the agent goes on."""
    SIDE = "side"
    """Talk to someone else ("one sec, honey"): not for the agent."""
    NOISE = "noise"
    """No words: a cough, a laugh, a door."""
    BARGE_IN = "barge-in"
    """Words that take the turn: over the agent, a real interruption."""


@dataclass(frozen=True, slots=True)
class OverlapContext:
    """What is known of the moment besides the user's words."""

    agent_words: Sequence[str] = ()
    """The words the agent has said of its current (or latest) utterance."""
    complete: bool = False
    """The user's words are all there is (a final transcript, a whole turn), not words still coming."""
    typed: bool = False
    """The words were typed."""


class Overlap(Protocol):
    def classify(self, text: str, context: OverlapContext) -> OverlapKind:
        """What ``text``, said by the user over the agent (or making up their whole turn), is."""
        ...


# --- what a turn asks for ----------------------------------------------------------------------------------

Slot = str | float | bool


@dataclass(frozen=True, slots=True)
class IntentContext:
    """What is going on when the turn is read."""

    question: str | None = None
    """The yes/no question the agent asked before a risky call ("May I delete …?"), when it awaits the answer:
    the turn is read as that answer."""
    jobs_running: bool = False
    """Background jobs are running: a turn may cancel or revise one."""
    jobs: tuple[str, ...] = ()
    """The running jobs' tasks as they were asked for, oldest first, when known: a turn is read against their
    words ("make it two" revises a table booking; "we've got a dog" revises a search for a cottage, and is news
    beside a search for flights)."""


@dataclass(frozen=True, slots=True)
class IntentReading:
    """What a turn asks for.

    ``label`` is one of ``timer`` (slots ``seconds``; ``every`` when it repeats; ``say``: the words to say, or
    ``remind``: what to remind of), ``cancel_timer``, ``cue`` (``cue``: ``number``, ``wrong-fact``, ``phrase`` or
    ``category``; ``phrase``; ``category``: the kind of thing, "colour"; ``interrupt``; ``reply``), ``cancel_cue``,
    ``live_start`` (``language``, none to repeat), ``live_stop``, ``delegate`` (``task``), ``progress``,
    ``cancel_job``, ``revise_job``, ``wait`` (the whole turn asks the agent only to hold on: "wait", "hang on a
    sec"; it says nothing and waits), ``resume`` (the whole turn asks it to go on with what it was saying: "go on",
    "sorry, keep going", "where were you"; what the user cut off is resumed), ``story`` (the turn asks for a story:
    the answer is opened as one), ``none``; and, with a question pending, ``yes``, ``no`` or ``unclear`` (only a
    clear yes may read as ``yes``: it runs a risky call).

    A turn that also changes the background jobs carries the slots ``job`` (``cancel``, ``topic``: the user
    moved on, or ``revise``) and ``jobs`` (``latest`` or ``all``: which ones, when the turn names none), and may
    carry ``target``: the task of the one job (of ``IntentContext.jobs``) the change was read to be about, changed
    rather than the jobs the words name or the latest; alone, it reads as ``cancel_job`` or ``revise_job``.
    ``negated``: the turn asks for the opposite ("don't stop the timer", "don't cancel the search"), so nothing is
    to be done.
    """

    label: str
    slots: Mapping[str, Slot] = field(default_factory=dict)
    negated: bool = False

    @property
    def ready(self) -> bool:
        """It can be carried out as it is: not negated, and with the slot its feature needs (a timer its time, a
        cue what to watch for, a job its task, a translation its language)."""
        needs = _NEEDS.get(self.label)
        if self.label == "live_start" and self.slots.get("mode") == "translate":
            needs = "language"  # translate, but into what?
        return not self.negated and (needs is None or needs in self.slots)


_NEEDS = {"timer": "seconds", "cue": "cue", "delegate": "task"}
"""The slot without which a label's request cannot be carried out."""


NOTHING = IntentReading("none")
"""A turn that asks for nothing but an answer."""


class Intent(Protocol):
    def read(self, text: str, context: IntentContext) -> IntentReading:
        """What the user's whole turn ``text`` asks for."""
        ...


# --- what a cue listens for ----------------------------------------------------------------------------------


class Member(Protocol):
    def is_member(self, category: str, word: str, before: Sequence[str]) -> bool:
        """Whether ``word``, said after ``before`` (the user's words before it, oldest first), is one of
        ``category`` ("colour", "city", "bird") in the meaning it has there: "navy" in "a deep navy dress" is a
        colour, "blue" in "feeling a bit blue" is not."""
        ...
