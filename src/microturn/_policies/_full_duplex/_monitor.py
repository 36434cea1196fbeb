"""Corrections: what the claim monitor found wrong in the user's words, said at their next breath.

The monitor (``_background/_monitor.py``) checks the user's words while they talk and reports a
:class:`ClaimFlagged` with its confidence. A confident one is said briefly, once, at the user's next
pause (never in the middle of a word: a typed word must be finished), as an interjection the user
cannot cut off, like a cue's. If the user's turn ends first, the correction opens the reply and the
model is told to answer on from it; if it arrives while the agent is already answering that turn, it is said
after the answer. Corrections are rate-limited, never said while an approval question is open (nor
during a live mode: the policy does not ask then), and dropped once stale: the user has gone on to a
new turn since that one was answered, or it has waited too long.
"""

from __future__ import annotations

from microturn._core._actions import Action, Reply, Say
from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    ApprovalDecided,
    ApprovalRequested,
    ClaimFlagged,
    EndReason,
    Event,
    SpeechPurpose,
)
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._feature import Feature

__all__ = ["Corrections"]


class Corrections(Feature):
    """The monitor's confident findings, waiting for a pause to be said (``interject``) or to open the reply."""

    follows = (ClaimFlagged, AgentSpeechStarted, AgentSpeechEnded, ApprovalRequested, ApprovalDecided)

    def __init__(
        self, *, confidence: float = 0.8, pause: float = 0.3, gap: float = 10.0, stale_after: float = 15.0
    ) -> None:
        """``confidence``: the least a finding needs to be said; ``pause``: the user's silence that is a breath;
        ``gap``: the least time between two corrections; ``stale_after``: how long a finding may wait."""
        self._confidence = confidence
        self._pause = pause
        self._gap = gap
        self._stale_after = stale_after
        self._pending: list[ClaimFlagged] = []
        self._said: set[str] = set()  # the claims and corrections said (or about to be): never twice
        self._last = float("-inf")  # when the last correction was said
        self._answered_at = float("-inf")  # when the agent last began a reply: it took up the user's words
        self._reply: tuple[int, float] | None = None  # that reply's utterance, and when the one before it began
        self._questions: set[str] = set()  # approval calls asked for and not yet decided

    def react(self, state: FloorState, event: Event) -> list[Action]:
        if isinstance(event, ClaimFlagged):
            keys = (_key(event.claim), _key(event.correction))
            if event.confidence + 1e-9 >= self._confidence and event.correction.strip() and self._said.isdisjoint(keys):
                self._said.update(keys)
                self._pending.append(event)
        elif isinstance(event, AgentSpeechStarted):
            if event.purpose is SpeechPurpose.REPLY and event.resumes is None:
                self._reply, self._answered_at = (event.utterance, self._answered_at), event.t
        elif isinstance(event, AgentSpeechEnded) and self._reply is not None and self._reply[0] == event.utterance:
            if event.reason is EndReason.INTERRUPTED:
                self._answered_at = self._reply[1]  # the user cut it off going on: their turn never ended
            self._reply = None
        elif isinstance(event, ApprovalRequested):
            self._questions.add(event.call)
        elif isinstance(event, ApprovalDecided):
            self._questions.discard(event.call)
        return []

    def moments(self, state: FloorState) -> list[float]:
        if not self._pending or self._questions:
            return []
        return [round(max(state.now, state.user_active_until + self._pause, self._last + self._gap), 6)]

    def interject(self, state: FloorState) -> list[Action]:
        """At a breath of the user's (or a quiet moment after the agent answered them): the next correction."""
        if not self._current(state) or self._questions or state.agent_speaking or state.user_active:
            return []
        if state.last_user_input is not None and state.user_silent_for + 1e-9 < self._pause:
            return []
        if state.now + 1e-9 < self._last + self._gap or (state.user_typing and state.user_text[-1:].isalnum()):
            return []  # too soon after the last one; or the user is in the middle of typing a word
        finding = self._pending.pop(0)
        self._last = state.now
        # In the user's turn, an interjection they cannot cut off; after the answer, news they may stop.
        mid_turn = finding.said_at > self._answered_at
        return [Say(finding.correction, SpeechPurpose.INTERJECTION if mid_turn else SpeechPurpose.ANNOUNCE)]

    def reply(self, state: FloorState, *, opening: str = "") -> list[Action]:
        """The user's turn ended: the reply (beginning with ``opening``), opened by a correction of that turn still
        unsaid (and the model told so, to answer on from there). Too soon after the last one, it waits until after
        the answer."""
        if not self._current(state) or self._questions or state.now + 1e-9 < self._last + self._gap:
            return [Reply(opening=opening)]
        finding = self._pending.pop(0)
        self._last = state.now
        go_on = f"Answer the user, going on from the correction just said: {finding.correction}"
        # A space after the correction: the answer's first word is a word of its own.
        return [Say(finding.correction + " ", SpeechPurpose.REPLY), Reply(instruction=go_on, append=True)]

    def _current(self, state: FloorState) -> bool:
        """Whether a finding is still worth saying; the stale ones are dropped."""
        self._pending = [finding for finding in self._pending if not self._stale(finding, state)]
        return bool(self._pending)

    def _stale(self, finding: ClaimFlagged, state: FloorState) -> bool:
        """Waited too long; or its turn was answered, the answer is over (not cut off: that turn goes on), and
        the user has begun a new one."""
        if state.now - finding.t > self._stale_after:
            return True
        answered = self._answered_at >= finding.said_at and self._reply is None
        return answered and bool(state.user_text.strip()) and (state.last_user_input or 0.0) > self._answered_at


def _key(text: str) -> str:
    return " ".join(text.lower().split())
