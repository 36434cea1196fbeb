"""The user's current turn, as their input shows it: when it began, how much they said, when it is over.

Typed and spoken input both count. In voice, activity (``UserSpeechStarted`` / ``UserSpeechEnded``)
rather than the words' durations says when the user speaks and pauses, and the end of a turn waits for
the final transcript of their speech: the reply answers the accurate text, not the rough words. How
long a silence ends the turn is :class:`EndOfTurn`'s to judge (a detector's ``TurnEndSignal`` may change its
mind); this class says when that silence began.
"""

from __future__ import annotations

from microturn._core._events import (
    Modality,
    TurnEndSignal,
    UserErase,
    UserInput,
    UserSpeechEnded,
    UserSpeechStarted,
    UserSubmit,
    UserTranscript,
)
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._end_of_turn import EndOfTurn

__all__ = ["Turn"]


class Turn:
    def __init__(self, end_of_turn: EndOfTurn, *, transcript_wait: float) -> None:
        self._end_of_turn = end_of_turn
        self._transcript_wait = transcript_wait
        self._started: float | None = None
        self._speech = 0.0  # seconds of speech in this turn
        self._typed = False
        self._deadline: float | None = None
        self._previous_end = 0.0  # when the user's previous input ended
        self._typing = ""  # the typed word not finished yet
        self._voice = False  # voice activity is reported: it, not word durations, tells speech and pauses
        self._final_at = float("-inf")  # when the latest final transcript came in

    @property
    def open(self) -> bool:
        """The user has begun a turn that has not ended yet."""
        return self._started is not None

    @property
    def speech(self) -> float | None:
        """Seconds of speech in the open turn; None between turns."""
        return self._speech if self._started is not None else None

    # --- the user's input -----------------------------------------------------------------------------

    def input(self, state: FloorState, event: UserInput) -> str:
        """Take in a chunk of input; return the words it finishes (a spoken word at once, typed at the space)."""
        if self._started is None:
            self._started = event.t
            self._speech = 0.0
            self._end_of_turn.begin(state)
        elif not self._voice:  # the turn went on: was that a pause?
            self._end_of_turn.paused(event.t - self._previous_end, at=len(state.user_text) - len(event.text))
        if not self._voice:
            self._previous_end = event.t + event.duration
        self._speech += event.duration
        self._typed = event.modality is Modality.TYPED
        self._deadline = self._end_of_turn.deadline(state, typed=self._typed)
        return self._finished_words(event)

    def erase(self, state: FloorState, event: UserErase) -> None:
        self._typing = self._typing[: max(0, len(self._typing) - event.count)]
        self._deadline = self._end_of_turn.deadline(state, typed=self._typed)

    def submit(self, event: UserSubmit) -> str:
        """Enter: the turn ends now. Return the typed word it finishes."""
        self._deadline = event.t
        finished, self._typing = self._typing, ""
        return finished

    def speech_started(self, state: FloorState, event: UserSpeechStarted) -> None:
        self._voice = True
        if self._started is not None and state.user_text.strip():  # the turn goes on: was that a pause?
            self._end_of_turn.paused(event.t - self._previous_end, at=len(state.user_text))

    def speech_ended(self, state: FloorState, event: UserSpeechEnded) -> None:
        self._previous_end = event.t - event.silence
        if self._started is not None:
            self._speech += event.duration
        if state.user_text.strip():
            self._deadline = self._end_of_turn.deadline(state, typed=self._typed)

    def transcribed(self, state: FloorState, event: UserTranscript) -> None:
        """The final text of a stretch of speech (the floor has put it in place of the rough words)."""
        self._final_at = event.t
        if state.user_text.strip():
            self._deadline = self._end_of_turn.deadline(state, typed=self._typed)  # "what is 2 plus 3?" asks
        else:
            self._started = self._deadline = None  # it was noise after all: no turn

    def signal(self, state: FloorState, event: TurnEndSignal) -> None:
        """A detector's probability that the turn is over after the words so far: judge its end again with it (it
        may come sooner or later). Stale signals are ignored, and Enter has ended the turn whatever they say."""
        if self._end_of_turn.signal(state, event) and self._deadline is not None and not state.user_submitted:
            self._deadline = self._end_of_turn.deadline(state, typed=self._typed)

    def listening(self, state: FloorState) -> bool:
        """A backchannel fits a pause after the words so far (the policy's judge says)."""
        return self._end_of_turn.listening(state, typed=self._typed)

    def _finished_words(self, event: UserInput) -> str:
        if event.modality is Modality.SPOKEN:
            return event.text
        self._typing += event.text
        if self._typing[-1:].isspace():
            done, self._typing = self._typing, ""
            return done
        head, _, self._typing = self._typing.rpartition(" ")
        return head

    # --- its end ----------------------------------------------------------------------------------------

    def over(self, state: FloorState) -> bool:
        """The user's turn is over now: the silence after it is long enough, and the final text is in."""
        if state.user_active or self._deadline is None:
            return False
        if state.transcripts_pending and state.now + 1e-9 < self._previous_end + self._transcript_wait:
            return False  # the reply answers the final transcript, not the rough words
        return state.now + 1e-9 >= max(self._deadline, state.user_active_until)

    def moment(self, state: FloorState) -> float | None:
        """When the user's turn is over if nothing more comes (see ``over``)."""
        if not state.user_text.strip() or self._deadline is None or state.agent_speaking:
            return None
        if state.user_speaking:
            return None  # the end of the speech sets the deadline
        moment = max(self._deadline, state.user_active_until)
        if state.transcripts_pending:
            return max(moment, self._previous_end + self._transcript_wait)  # if the final text never comes
        return max(moment, self._final_at)

    def end(self, state: FloorState) -> float:
        """The turn is taken up: it is closed, and this returns when it began."""
        started = self._started if self._started is not None else state.now
        self._started = self._deadline = None
        return started
