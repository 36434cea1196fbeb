"""A meeting helper: live notes as people talk, interjections on cues, and a summary when the meeting ends.

Tell it what to watch for at the start — "tell me when I mention a number", "stop me if I say synergy",
"stop me if I get a fact wrong" — and it interjects the moment you do, while you are still talking. Hooks
(functions called with the session's events as they are recorded) keep the notes: each line you say,
every cue that fired; lines that start with "action item" become action items. When the meeting ends the
summary is handed to ``publish`` (printed, by default).

Run it: ``python examples/meeting_helper.py`` (type; Enter ends a line, Ctrl-D ends the meeting).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from microturn import (
    Agent,
    ChatModel,
    CueFired,
    CueSet,
    Event,
    Modality,
    SessionEnded,
    SessionStarted,
    UserErase,
    UserInput,
    UserSubmit,
)

INSTRUCTIONS = "You help run a meeting. Answer in one short sentence; never summarise unless asked."

PAUSE = 1.0
"""Seconds of silence between two spoken words that end a line of the notes."""

ACTION = "action item"


@dataclass
class MeetingNotes:
    """What was said, line by line, and what the agent flagged; fed by the session's events."""

    lines: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    _line: str = field(default="", init=False, repr=False)  # the line being said
    _spoken: bool = field(default=False, init=False, repr=False)  # whether it is being said (not typed)
    _spoken_until: float = field(default=0.0, init=False, repr=False)  # when its last spoken word ended
    _watching: dict[str, str] = field(default_factory=dict, init=False, repr=False)  # cue -> what it watches for

    def hear(self, event: Event) -> None:
        """Take one event of the session: its start and end, the user's words and keys, cues set and fired."""
        if isinstance(event, SessionStarted):
            self.started = event.t
        elif isinstance(event, SessionEnded):
            self._close()
            self.ended = event.t
        elif isinstance(event, UserInput):
            spoken = event.modality is Modality.SPOKEN
            if spoken != self._spoken or (spoken and event.t - self._spoken_until >= PAUSE):
                self._close()  # a pause, or the user went from talking to typing or back
            self._spoken = spoken
            if spoken:
                self._line += f" {event.text}"
                self._spoken_until = event.t + event.duration
            else:
                self._line += event.text  # keystrokes, or a paste
        elif isinstance(event, UserErase):
            self._line = self._line[: -event.count]
        elif isinstance(event, UserSubmit):
            self._close()
        elif isinstance(event, CueSet):
            self._watching[event.cue] = event.watch
        elif isinstance(event, CueFired):
            self.flagged.append(f"{event.matched} (watching for {self._watching.get(event.cue, event.cue)})")

    @property
    def action_items(self) -> list[str]:
        return [line[len(ACTION) :].strip(" :,") for line in self.lines if line.lower().startswith(ACTION)]

    def summary(self) -> str:
        """The meeting in a few lines: how long, what was said, the action items, what was flagged."""
        minutes, seconds = divmod(round(self.ended - self.started), 60)
        parts = [f"Meeting notes ({minutes} min {seconds} s, {len(self.lines)} lines):"]
        parts += [f"- {line}" for line in self.lines]
        for title, items in (("Action items", self.action_items), ("Flagged", self.flagged)):
            if items:
                parts += [f"{title}:", *(f"- {item}" for item in items)]
        return "\n".join(parts)

    def _close(self) -> None:
        line = " ".join(self._line.split())
        if line:
            self.lines.append(line)
        self._line = ""


def build_agent(
    model: str | ChatModel = "embedded", *, notes: MeetingNotes | None = None, publish: Callable[[str], None] = print
) -> Agent:
    """The helper; ``notes`` (a new one by default) are kept live, and ``publish`` gets the summary at the end."""
    agent = Agent(INSTRUCTIONS, model=model, builtin_tools=False)
    kept = notes if notes is not None else MeetingNotes()
    agent.on(SessionStarted, UserInput, UserErase, UserSubmit, CueSet, CueFired)(kept.hear)

    @agent.on(SessionEnded)
    def summarise(event: SessionEnded) -> None:
        kept.hear(event)
        publish(kept.summary())

    return agent


if __name__ == "__main__":
    build_agent().run_console()
