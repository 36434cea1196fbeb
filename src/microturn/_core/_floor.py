"""Floor state: who is producing output, since when, and what the user has said so far.

:class:`FloorTracker` folds events, in the order the loop handles them, into a :class:`FloorState` that
policies read. It also derives the floor facts the log records: a :class:`Silence` when a gap of at
least ``silence_min`` ends and an :class:`Overlap` when simultaneous output ends. Activity is measured
in intervals: a chunk at ``t`` lasting ``duration`` keeps its party active until ``t + duration``.

In voice, voice activity says when the user speaks (from UserSpeechStarted to UserSpeechEnded), not
the times words are recognised; a stretch's final transcript replaces its rough words in
``user_text`` while they are still unanswered.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from dataclasses import dataclass, field

from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechHeld,
    AgentSpeechReleased,
    AgentSpeechStarted,
    AgentWord,
    EndReason,
    Event,
    JobRequested,
    JobResult,
    Modality,
    Overlap,
    SessionStarted,
    Silence,
    UserErase,
    UserInput,
    UserSpeechEnded,
    UserSpeechStarted,
    UserSubmit,
    UserTranscript,
)
from microturn._core._tools import ToolSpec

__all__ = ["FloorHolder", "FloorState", "FloorTracker"]


class FloorHolder(enum.Enum):
    """Who is producing output now: nobody, the user, the agent, or both at once (an overlap)."""

    NONE = "none"
    USER = "user"
    AGENT = "agent"
    BOTH = "both"


@dataclass(slots=True)
class FloorState:
    """What policies see. Times are session seconds. Read it; only the tracker writes it."""

    now: float = 0.0
    user_active_until: float = 0.0
    agent_active_until: float = 0.0
    last_user_input: float | None = None
    user_text: str = ""
    """The user's words since the agent last took them up (a reply started)."""
    user_submitted: bool = False
    """The user pressed Enter since the agent last took their words up."""
    user_typing: bool = False
    """The user's latest input was typed (not spoken)."""
    agent_utterance: int | None = None
    """The utterance the agent is delivering, if any (from its start to its end)."""
    agent_held: bool = False
    """The agent went quiet mid-utterance for the user (AgentSpeechHeld); the utterance is still open."""
    user_speaking: bool = False
    """Voice activity: the user is making sound now (a UserSpeechStarted without its UserSpeechEnded)."""
    transcripts_pending: int = 0
    """Stretches of the user's speech whose final transcript has not come in yet."""
    agent_delivered: list[str] = field(default_factory=list)
    overlap_since: float | None = None
    user_turns: int = 0
    agent_turns: int = 0
    interruptions: int = 0
    open_jobs: set[str] = field(default_factory=set)
    tools: tuple[ToolSpec, ...] = ()
    """The tools the session can call (from its first event)."""

    @property
    def user_active(self) -> bool:
        return self.user_speaking or self.now < self.user_active_until

    @property
    def agent_active(self) -> bool:
        return self.now < self.agent_active_until

    @property
    def agent_speaking(self) -> bool:
        """An utterance is under way: from its start (before the first word) to its end."""
        return self.agent_utterance is not None

    @property
    def floor(self) -> FloorHolder:
        user, agent = self.user_active, self.agent_active
        if user and agent:
            return FloorHolder.BOTH
        if user:
            return FloorHolder.USER
        return FloorHolder.AGENT if agent else FloorHolder.NONE

    @property
    def user_silent_for(self) -> float:
        """Seconds since the user's last input ended (0 while active, or before they said anything)."""
        if self.last_user_input is None or self.user_speaking:
            return 0.0
        return _round(max(0.0, self.now - self.user_active_until))

    @property
    def silence_for(self) -> float:
        """Seconds since anybody produced anything."""
        return _round(max(0.0, self.now - max(self.user_active_until, self.agent_active_until)))


class FloorTracker:
    def __init__(self, *, silence_min: float) -> None:
        self.state = FloorState()
        self._silence_min = silence_min
        self._voice = False  # voice activity is reported: it, not the words' times, says when the user speaks
        self._speaking = 0  # stretches of speech started and not ended (a start may overtake an end)
        self._spans: deque[int | None] = deque()
        """Where the words of each stretch awaiting its final transcript start in ``user_text``
        (None once the agent took them up: they are answered and can no longer be corrected)."""

    def set_time(self, now: float) -> None:
        """Move the state's time to ``now`` without settling floor facts (``advance`` does that)."""
        self.state.now = max(self.state.now, now)

    def advance(self, now: float) -> list[Event]:
        """Move the state's time to ``now``; return floor facts that ended by then."""
        self.set_time(now)
        state = self.state
        if state.overlap_since is not None:
            ended = min(self._user_until(), state.agent_active_until)
            # Strictly before now: activity that ends exactly now may be continued by the event at now.
            if ended < state.now:
                started, state.overlap_since = state.overlap_since, None
                if ended > started:
                    return [Overlap(started=started, duration=_round(ended - started))]
        return []

    def observe(self, event: Event) -> list[Event]:
        """Fold ``event`` in; return floor facts it completes (not yet stamped or published)."""
        facts = self.advance(event.t)
        state = self.state
        if isinstance(event, UserInput):
            if not (self._voice and event.modality is Modality.SPOKEN):
                facts += self._activity(event.t, event.duration, user=True)  # in voice, activity is the VAD's
            if not event.addressed:
                return facts  # heard (it fills the silence) but not for the agent
            if not state.user_text:
                state.user_turns += 1
            typed = state.user_typing = event.modality is Modality.TYPED
            state.user_text += event.text if typed else _spoken(state.user_text, event.text)
            state.user_submitted = False
            state.last_user_input = event.t
        elif isinstance(event, UserErase):
            state.user_text = state.user_text[: max(0, len(state.user_text) - event.count)]
            state.last_user_input = event.t
        elif isinstance(event, UserSubmit):
            state.user_submitted = True
        elif isinstance(event, UserSpeechStarted):
            facts += self._activity(event.t, 0.0, user=True)
            self._voice = True
            self._speaking += 1
            state.user_speaking = True
            state.transcripts_pending += 1
            self._spans.append(len(state.user_text))
            state.last_user_input = event.t
        elif isinstance(event, UserSpeechEnded):
            self._speaking = max(0, self._speaking - 1)
            state.user_speaking = self._speaking > 0
            state.user_active_until = max(state.user_active_until, _round(event.t - event.silence))
            state.last_user_input = event.t
        elif isinstance(event, UserTranscript):
            if event.final:
                self._correct(event.text)
        elif isinstance(event, AgentSpeechStarted):
            state.agent_utterance = event.utterance
            state.agent_delivered = []
            state.agent_turns += 1
        elif isinstance(event, AgentWord):
            facts += self._activity(event.t, event.duration, user=False)
            state.agent_delivered.append(event.word)
        elif isinstance(event, AgentSpeechHeld):
            state.agent_held = True
            state.agent_active_until = min(state.agent_active_until, event.t)
        elif isinstance(event, AgentSpeechReleased):
            state.agent_held = False
        elif isinstance(event, AgentSpeechEnded):
            state.agent_utterance = None
            state.agent_held = False
            if event.reason is not EndReason.COMPLETED:
                state.agent_active_until = min(state.agent_active_until, event.t)
                state.interruptions += event.reason is EndReason.INTERRUPTED
        elif isinstance(event, JobRequested):
            state.open_jobs.add(event.job)
        elif isinstance(event, JobResult):
            state.open_jobs.discard(event.job)
        elif isinstance(event, SessionStarted):
            state.now = event.t
            state.tools = tuple(event.tools)
        return facts

    def take_user_text(self) -> str:
        """The agent takes up the user's words (a reply starts): return them and start afresh."""
        text, self.state.user_text = self.state.user_text, ""
        self.state.user_submitted = False
        self._spans = deque(None for _ in self._spans)
        return text

    def _correct(self, final: str) -> None:
        """A stretch's final transcript replaces the rough words heard of it, if they are still unanswered.

        An empty final (the accurate recogniser heard no words) removes them: the rough ones were noise.
        """
        state = self.state
        state.transcripts_pending = max(0, state.transcripts_pending - 1)
        if not self._spans:
            return  # its start came before this log (a replay from the middle): nothing to correct
        start = self._spans.popleft()
        if start is None or start > len(state.user_text):
            return
        following = self._spans[0] if self._spans else None
        end = len(state.user_text) if following is None else following
        text = " ".join(final.split())
        replacement = (" " if start and text else "") + text
        state.user_text = state.user_text[:start] + replacement + state.user_text[end:]
        shift = len(replacement) - (end - start)
        self._spans = deque(None if span is None else span + shift for span in self._spans)

    def _user_until(self) -> float:
        return math.inf if self.state.user_speaking else self.state.user_active_until

    def _activity(self, t: float, duration: float, *, user: bool) -> list[Event]:
        state = self.state
        facts: list[Event] = []
        quiet_since = _round(max(state.user_active_until, state.agent_active_until))
        if not state.user_speaking and _round(t - quiet_since) >= self._silence_min:
            facts.append(Silence(started=quiet_since, duration=_round(t - quiet_since)))
        other_until = state.agent_active_until if user else self._user_until()
        if other_until > t and state.overlap_since is None:
            state.overlap_since = t
        if user:
            state.user_active_until = max(state.user_active_until, _round(t + duration))
        else:
            state.agent_active_until = max(state.agent_active_until, _round(t + duration))
        return facts


def _spoken(so_far: str, word: str) -> str:
    return word if not so_far or so_far.endswith(" ") else " " + word


def _round(seconds: float) -> float:
    return round(seconds, 6)
