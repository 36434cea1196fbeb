"""The conversation as the console shows it: plain text built from the session log.

The agent's speech arrives word by word, so its line stays open and grows until the utterance ends;
an utterance that did not complete gets a visible mark, so the user sees where they cut it off.
The same rejection back to back shows once, with a count: a paste typed key by key past the turn limit
is refused key by key, and thousands of equal lines would bury the conversation (and slow the redraw).
"""

from __future__ import annotations

from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    EndReason,
    Event,
    InputRejected,
    SessionEnded,
)

__all__ = ["SHOWN", "Transcript"]

SHOWN: tuple[type[Event], ...] = (
    AgentSpeechStarted,
    AgentWord,
    AgentSpeechEnded,
    InputRejected,
    SessionEnded,
)
"""The event kinds the transcript shows; the console subscribes to only these."""

_END_MARKS = {
    EndReason.COMPLETED: "",
    EndReason.INTERRUPTED: " —",
    EndReason.STOPPED: " — (stopped)",
}


class Transcript:
    def __init__(self, banner: str = "") -> None:
        self.text = banner
        self._agent_line_open = False
        self._rejected: tuple[str, int, str] | None = None  # the last line's rejection: reason, count, text before

    def feed(self, event: Event) -> None:
        """Add what ``event`` shows (kinds outside :data:`SHOWN` show nothing)."""
        if isinstance(event, AgentSpeechStarted):
            self._open_agent_line()
        elif isinstance(event, AgentWord):
            if not self._agent_line_open:  # a user line came in between: carry on below it
                self._open_agent_line()
            self.text += " " + event.word
        elif isinstance(event, AgentSpeechEnded):
            mark = _END_MARKS[event.reason]
            if mark and not self._agent_line_open:
                self._open_agent_line()
            self.text += mark
            self._agent_line_open = False
        elif isinstance(event, InputRejected):
            self._reject(event.reason)
        elif isinstance(event, SessionEnded):
            self._line(f"(session ended: {event.reason})")

    def user(self, line: str) -> None:
        """Show a line the user submitted."""
        self._line(f"you: {line}")

    def _open_agent_line(self) -> None:
        self._line("agent:")
        self._agent_line_open = True

    def _reject(self, reason: str) -> None:
        if self._rejected is not None and self._rejected[0] == reason:
            _, count, before = self._rejected
            self.text = f"{before}! input rejected: {reason} (×{count + 1})"
            self._rejected = (reason, count + 1, before)
            return
        before = self.text + ("\n" if self.text else "")
        self._line(f"! input rejected: {reason}")
        self._rejected = (reason, 1, before)

    def _line(self, body: str) -> None:
        self.text += ("\n" if self.text else "") + body
        self._agent_line_open = False
        self._rejected = None
