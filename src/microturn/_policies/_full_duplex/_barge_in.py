"""Barge-in: whether what the user says over the agent takes the turn, and what follows when it did not.

The user's first words that the policy's :class:`Overlap` (``_decisions``) calls a barge-in stop the
talking agent in the same pass; a backchannel, a reaction, side talk or noise do not (the rules: spoken
backchannels such as "mm-hm", "yeah" and noise tags such as "[cough]" do not). Typed input stops it at
its first keystroke, unasked (nobody types "mm-hm" at an agent). The agent's own backchannels and
interjections are never stopped by the user. If the user did stop the agent and their whole turn then
turns out to be no barge-in after all, that was a false interruption: the agent resumes where it was cut off.
A turn the :class:`Intent` reads as ``wait`` ("wait", "hang on") is answered with silence, and one it reads as
``resume`` ("go on", "sorry, keep going"), or a bare "ok" after such a wait, resumes what the user cut off, if
nothing was said since (a question asked and answered in between leaves nothing to resume: the model answers).

Spoken words with no voice activity to go by (a transcript arriving word by word) can be held too, when the
:class:`Overlap` can tell that words still coming may yet take the turn (:class:`Tentative`; the learned one
can, the rules cannot): at the first such word the agent holds (goes quiet, its utterance open; the learned
overlap holds at any spoken word, as the voice path does at any sound); the words that read as a barge-in stop
it, and when the user has stopped talking ``_holding.py`` stops it or lets it go on, as the whole reads. A
barge-in is then silenced at its first word, however long its words take to give it away ("okay so how long
does it take").

The judgments of speech over the agent are the functions below (``interrupts`` on the words as they
come, ``substantive`` on a final transcript); ``_holding.py`` adds the voice side, where the first
*sound* already makes the agent go quiet until the words decide.

A whole turn that is no barge-in is not answered (``no_turn``): said over the agent, a backchannel, a reaction,
side talk or noise; said to the silent agent, only noise or what the rules list as a backchannel ("mm-hm",
"okay"): a learned overlap judges speech over the agent, and to a silent agent "thanks" or "hi" is a turn.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from microturn._core._actions import Action, ClearTurn, Hold, Resume, Stop
from microturn._core._events import AgentSpeechEnded, AgentSpeechStarted, EndReason, Modality, SpeechPurpose, UserInput
from microturn._core._floor import FloorState
from microturn._core._language import LONGEST_BACKCHANNEL, is_backchannel, words
from microturn._policies._full_duplex._decisions import IntentReading, Overlap, OverlapContext, OverlapKind

__all__ = ["BargeIn", "Tentative", "interrupts", "substantive"]

_NOT_STOPPED_BY_USER = frozenset({SpeechPurpose.BACKCHANNEL, SpeechPurpose.INTERJECTION})


@runtime_checkable
class Tentative(Protocol):
    """An :class:`Overlap` that can tell when words still coming may yet take the turn, so the agent holds."""

    def may_take_turn(self, text: str, context: OverlapContext) -> bool:
        """``text``, the user's words over the agent so far, may turn out to be a barge-in."""
        ...


def interrupts(overlap: Overlap, heard: str, modality: Modality, state: FloorState) -> bool:
    """What the user has said over the agent's utterance so far (``heard``) takes the turn from it."""
    if modality is not Modality.SPOKEN:
        return True
    return overlap.classify(heard, OverlapContext(agent_words=state.agent_delivered)) is OverlapKind.BARGE_IN


def substantive(overlap: Overlap, text: str, state: FloorState) -> bool:
    """A final transcript of speech over the agent takes the turn: it has words (not only noise tags and
    punctuation: nothing to read), and they are a barge-in."""
    if not any(token[0].isalnum() for token in words(text)):
        return False
    context = OverlapContext(agent_words=state.agent_delivered, complete=True)
    return overlap.classify(text, context) is OverlapKind.BARGE_IN


class BargeIn:
    """The agent's current utterance as the user may cut it off, and whether the last one was cut off."""

    def __init__(self, overlap: Overlap) -> None:
        self._overlap = overlap
        self._tentative = overlap if isinstance(overlap, Tentative) else None
        self._purpose: SpeechPurpose | None = None
        self._heard = ""  # what the user said since the agent started this utterance
        self._cut_by_user = False  # the last utterance was cut off by the user and not resumed

    @property
    def stoppable(self) -> bool:
        """The user may cut off what the agent is saying (true when it says nothing)."""
        return self._purpose not in _NOT_STOPPED_BY_USER

    @property
    def cut_off(self) -> bool:
        """The user cut off the agent's last utterance (and it was not resumed)."""
        return self._cut_by_user

    def follow(self, event: AgentSpeechStarted | AgentSpeechEnded) -> None:
        """The agent started or ended an utterance."""
        if isinstance(event, AgentSpeechStarted):
            self._purpose, self._heard = event.purpose, ""
            if event.resumes is not None:
                self._cut_by_user = False
        else:
            self._purpose = None
            self._cut_by_user = event.reason is EndReason.INTERRUPTED

    def heard(self, state: FloorState, event: UserInput) -> list[Action]:
        """The user's input: if it takes the turn from the talking agent, stop it in this very pass; if it may
        yet, hold it (spoken words with no voice activity reported, and an overlap that can tell)."""
        if not state.agent_speaking or not self.stoppable:
            return []
        if len(self._heard) <= LONGEST_BACKCHANNEL:  # longer is no backchannel: stop adding
            self._heard += " " + event.text
        if interrupts(self._overlap, self._heard, event.modality, state):
            return [Stop(EndReason.INTERRUPTED)]
        return [Hold()] if self._may_take_turn(state, event) else []

    def _may_take_turn(self, state: FloorState, event: UserInput) -> bool:
        """Hold for these words? Not in voice (its sound holds: ``_holding.py``), nor when already held."""
        if self._tentative is None or event.modality is not Modality.SPOKEN or state.agent_held:
            return False
        if state.user_speaking or state.transcripts_pending:
            return False
        return self._tentative.may_take_turn(self._heard, OverlapContext(agent_words=state.agent_delivered))

    def no_turn(self, state: FloorState, text: str) -> list[Action] | None:
        """At the end of the user's turn: nothing to answer in a turn that is no barge-in (a backchannel, a
        reaction, side talk, noise); None for a real turn.

        If it cut the agent off, that was a false interruption: go on where it was.
        """
        context = OverlapContext(agent_words=state.agent_delivered, complete=True, typed=state.user_typing)
        kind = self._overlap.classify(text, context)
        over_the_agent, self._heard = bool(self._heard), ""
        if kind is OverlapKind.BARGE_IN:
            return None
        if not over_the_agent and kind is not OverlapKind.NOISE and not is_backchannel(text):
            return None  # said to the silent agent (the rules' own kinds always pass this)
        return [ClearTurn(), Resume()] if self._cut_by_user else [ClearTurn()]

    def wait_or_resume(self, reading: IntentReading) -> list[Action] | None:
        """What a turn read as ``wait`` or ``resume`` asks: for ``wait``, nothing said (what the user cut off stays
        to be resumed); for ``resume``, when the user cut the agent off and nothing was said since, the rest of it.
        None for any other turn, or a ``resume`` with nothing to resume (the model answers it)."""
        if reading.negated:
            return None
        if reading.label == "wait":
            return [ClearTurn()]
        if reading.label == "resume" and self._cut_by_user:
            return [ClearTurn(), Resume()]
        return None
