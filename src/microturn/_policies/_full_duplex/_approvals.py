"""Asking the user before a high-risk tool call, in the conversation. Silence or a timeout means no.

The answer is recorded as ApprovalDecided by the interaction layer — the only place that hears the
user — from the user's own words at the end of their turn, so nothing else (least of all a tool's
output, a job's result or a note) can approve a call. The policy's :class:`Intent` reads the words with
the question pending: only a clear yes approves (the rules: ``_answers.py``); an unclear answer gets the
question again, and the clock keeps running: no clear yes in time means no. A yes counts only if the
user began it after the question was spoken to its end: a "yes" said over the question answered
something else, or a question the user had not heard yet.
"""

from __future__ import annotations

from microturn._core._actions import Action, Record, Say
from microturn._core._events import AgentSpeechEnded, ApprovalDecided, ApprovalRequested, EndReason, Event
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._decisions import Intent, IntentContext
from microturn._policies._full_duplex._feature import Feature

__all__ = ["Approvals"]


class Approvals(Feature):
    """The calls waiting for the user's permission: asked at a pause (``ask``), answered at the end of a turn."""

    follows = (ApprovalRequested, AgentSpeechEnded)

    def __init__(self, intent: Intent, *, timeout: float, pause: float) -> None:
        self._intent = intent
        self._timeout = timeout
        self._pause = pause
        self._waiting: list[ApprovalRequested] = []  # calls still to ask about, in order
        self._asked: tuple[str, float, str] | None = None  # the call asked about, when, and what it does
        self._heard_at: float | None = None  # when the user last heard the question to its end

    def react(self, state: FloorState, event: Event) -> list[Action]:
        if isinstance(event, ApprovalRequested):
            self._waiting.append(event)
        elif isinstance(event, AgentSpeechEnded):
            self._spoken(event)
        return []

    def _spoken(self, event: AgentSpeechEnded) -> None:
        """The agent's speech ended: if a question was being asked, it was heard in full only if completed."""
        if self._asked is not None and self._heard_at is None and event.reason is EndReason.COMPLETED:
            self._heard_at = event.t

    def moments(self, state: FloorState) -> list[float]:
        """When to act next: the asked question's deadline, or the next pause to ask at."""
        if self._asked is not None:
            return [self._asked[1] + self._timeout]
        if self._waiting:
            return [max(state.now, state.user_active_until + self._pause)]
        return []

    def ask(self, state: FloorState) -> list[Action]:
        """Ask about the next call at a pause; refuse the asked one once its deadline has passed."""
        if self._asked is not None:
            if state.now + 1e-9 >= self._asked[1] + self._timeout and not state.agent_speaking:
                return self._decide(False, "no answer", "I didn't hear a yes, so I won't.")
            return []
        if not self._waiting or state.agent_speaking or state.user_active:
            return []
        if state.last_user_input is not None and state.user_silent_for + 1e-9 < self._pause:
            return []
        request = self._waiting.pop(0)
        details = ", ".join(f"{key} {value}" for key, value in request.arguments.items())
        what = request.tool.replace("_", " ") + (f" ({details})" if details else "")
        self._asked, self._heard_at = (request.call, state.now, what), None
        return [Say(_question(what))]

    def answer(self, text: str, started: float) -> list[Action] | None:
        """What to do with the user's words (begun at ``started``) while a question is open (None when none
        is): go ahead on a clear yes, refuse on a clear no, and on anything else ask again."""
        if self._asked is None:
            return None
        answer = self._intent.read(text, IntentContext(question=_question(self._asked[2]))).label
        verdict = True if answer == "yes" else False if answer == "no" else None
        if verdict and (self._heard_at is None or started + 1e-9 < self._heard_at):
            verdict = None  # a yes to a question not yet heard in full; a no is safe to take at any time
        if verdict is None:
            self._heard_at = None  # asked again: only an answer begun after that counts
            return [Say(f"Sorry, I need a clear yes or no: may I {self._asked[2]}?")]
        if verdict:
            return self._decide(True, "the user said yes", "Okay, going ahead.")
        return self._decide(False, "the user said no", "Okay, I won't.")

    def _decide(self, granted: bool, reason: str, reply: str) -> list[Action]:
        assert self._asked is not None
        call, _, _ = self._asked
        self._asked = None
        return [Record(ApprovalDecided(call=call, granted=granted, reason=reason)), Say(reply)]


def _question(what: str) -> str:
    return f"May I {what}? Please say yes or no."
