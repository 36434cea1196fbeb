"""Asking the user before a high-risk tool call, in the conversation. Silence or a timeout means no.

The answer is recorded as ApprovalDecided by the interaction layer — the only place that hears the
user — so nothing else (least of all a tool's output) can approve a call.
"""

from __future__ import annotations

from microturn._actions import Action, Emit, Say
from microturn._events import ApprovalDecided, ApprovalRequested
from microturn._floor import FloorState
from microturn._policies.full_duplex._intents import yes_or_no

__all__ = ["Approvals"]


class Approvals:
    def __init__(self, *, timeout: float, pause: float) -> None:
        self._timeout = timeout
        self._pause = pause
        self._waiting: list[ApprovalRequested] = []  # calls still to ask about, in order
        self._asked: tuple[str, float] | None = None  # the call asked about, and when

    def requested(self, event: ApprovalRequested) -> None:
        self._waiting.append(event)

    def moment(self, state: FloorState) -> float | None:
        """When to act next: the asked question's deadline, or the next pause to ask at."""
        if self._asked is not None:
            return self._asked[1] + self._timeout
        if self._waiting:
            return max(state.now, state.user_active_until + self._pause)
        return None

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
        self._asked = (request.call, state.now)
        details = ", ".join(f"{key} {value}" for key, value in request.arguments.items())
        what = request.tool.replace("_", " ") + (f" ({details})" if details else "")
        return [Say(f"May I {what}? Please say yes or no.")]

    def answer(self, text: str) -> list[Action] | None:
        """The user's words, if they answer the question asked ("yes", "no, don't"); else None."""
        if self._asked is None:
            return None
        verdict = yes_or_no(text)
        if verdict is None:
            return None
        if verdict:
            return self._decide(True, "the user said yes", "Okay, going ahead.")
        return self._decide(False, "the user said no", "Okay, I won't.")

    def _decide(self, granted: bool, reason: str, reply: str) -> list[Action]:
        assert self._asked is not None
        call, _ = self._asked
        self._asked = None
        return [Emit(ApprovalDecided(call=call, granted=granted, reason=reason)), Say(reply)]
