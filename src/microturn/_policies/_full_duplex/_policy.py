"""The full-duplex interaction policy: a good conversational partner in continuous time.

Sans-I/O, like every policy: it reads the floor state and the events, and returns actions. It keeps
its own small memory (what it has heard in this turn, its timers and cues, the jobs it is waiting
on), all of it derived from the events it was shown, so a replay rebuilds it exactly.

What it does, in the order a conversation needs it:

* **End of turn.** The user's turn ends after a silence whose length depends on how their words end:
  ``complete_silence`` after a complete sentence or question, a longer, per-speaker adaptive wait
  after an unfinished one (a trailing "and", "to the", "um", a comma), and for typed input, Enter.
  It decides at the exact moment (``wake_at``), not on the tick grid.
* **Barge-in.** The user's first substantive word while the agent talks stops it in the same pass.
  Backchannels ("mm-hm", "yeah") and noise tags ("[cough]") do not; if the agent was stopped and the
  user then said only that, it resumes where it was cut off. In voice, the first *sound* already
  holds the agent (it goes quiet at once) until the words or the length of the speech decide
  (``_holding.py``); the end of a turn also waits for the final transcript of the user's speech.
* **Backchannels** at pauses inside long user turns: rate-limited, never over the user.
* **Cues** the user set are checked on every word; the agent interjects while the user talks.
* **Timers** ("remind me in 30 seconds to stretch", "every 10 seconds say tick") fire on time.
* **Live modes**: repeat or translate each phrase while the user goes on talking.
* **Weaving**: background results are delivered at the next pause, never over the user; results
  made stale by a revision or a cancellation are dropped (and re-scoped), never delivered twice.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Sequence
from typing import Any, ClassVar

from microturn._core._actions import Action, ClearTurn, Delegate, Record, Reply, Resume, Say, Stop
from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    ApprovalRequested,
    CancelJob,
    CueFired,
    CueSet,
    EndReason,
    Event,
    JobFailed,
    JobProgress,
    JobRequested,
    JobResult,
    Modality,
    SpeechPurpose,
    ToolCalled,
    ToolResult,
    UserErase,
    UserInput,
    UserSpeechEnded,
    UserSpeechStarted,
    UserSubmit,
    UserTranscript,
)
from microturn._core._floor import FloorState
from microturn._core._language import LONGEST_BACKCHANNEL, Shape, is_backchannel, shape, words
from microturn._policies._base import MicroTurn
from microturn._policies._full_duplex._approvals import Approvals
from microturn._policies._full_duplex._cues import Cue, Hit
from microturn._policies._full_duplex._holding import Holding
from microturn._policies._full_duplex._intents import (
    AskProgress,
    CueRequest,
    DelegateTask,
    Intent,
    StartLive,
    StopCues,
    StopLive,
    StopTimers,
    TimerRequest,
    parse_intent,
)
from microturn._policies._full_duplex._timers import Timers
from microturn._policies._full_duplex._tool_speculation import Speculator
from microturn._policies._full_duplex._weaving import Weaver
from microturn.errors import ConfigError

__all__ = ["FullDuplexPolicy"]

_BACKCHANNEL_WORDS = ("mm-hm", "yeah", "right", "okay")
_LIVE_PAUSE = 0.3  # in a live mode, a phrase shorter than the chunk is said after a pause this long
_NOT_STOPPED_BY_USER = frozenset({SpeechPurpose.BACKCHANNEL, SpeechPurpose.INTERJECTION})


class FullDuplexPolicy:
    name: ClassVar[str] = "full-duplex"

    def __init__(
        self,
        *,
        complete_silence: float = 0.1,
        incomplete_silence: float = 1.8,
        max_incomplete_silence: float = 4.0,
        typed_silence: float = 2.5,
        backchannel_after: float = 4.0,
        backchannel_pause: float = 0.5,
        backchannel_gap: float = 5.0,
        weave_pause: float = 0.6,
        live_chunk_words: int = 3,
        summary_words: int = 30,
        holding_phrase: str = "Let me check.",
        approval_timeout: float = 20.0,
        longest_backchannel: float = 1.0,
        transcript_wait: float = 3.0,
    ) -> None:
        # Every argument, as given: recorded in the log, so a replay rebuilds this very policy by name.
        self.options: dict[str, Any] = {name: value for name, value in locals().items() if name != "self"}
        for label, value in (
            ("complete_silence", complete_silence),
            ("incomplete_silence", incomplete_silence),
            ("max_incomplete_silence", max_incomplete_silence),
            ("typed_silence", typed_silence),
            ("backchannel_after", backchannel_after),
            ("backchannel_pause", backchannel_pause),
            ("backchannel_gap", backchannel_gap),
            ("weave_pause", weave_pause),
            ("approval_timeout", approval_timeout),
            ("longest_backchannel", longest_backchannel),
            ("transcript_wait", transcript_wait),
        ):
            if value < 0:
                raise ConfigError(f"{label} cannot be negative, got {value}")
        if live_chunk_words < 1 or summary_words < 1:
            raise ConfigError("live_chunk_words and summary_words must be at least 1")
        self.complete_silence = complete_silence
        self.incomplete_silence = incomplete_silence
        self.max_incomplete_silence = max(max_incomplete_silence, incomplete_silence)
        self.typed_silence = typed_silence
        self.backchannel_after = backchannel_after
        self.backchannel_pause = backchannel_pause
        self.backchannel_gap = backchannel_gap
        self.live_chunk_words = live_chunk_words
        self._weaver = Weaver(pause=weave_pause, summary_words=summary_words)
        self._approvals = Approvals(timeout=approval_timeout, pause=weave_pause)
        self._speculator = Speculator(holding=holding_phrase)
        self._holding = Holding(longest_backchannel=longest_backchannel)
        self.transcript_wait = transcript_wait

        # The user's current turn
        self._turn_started: float | None = None
        self._turn_speech = 0.0  # seconds of speech in this turn
        self._typed = False
        self._submitted = False
        self._pauses: deque[float] = deque(maxlen=8)  # pauses inside turns: they teach the wait
        self._turn_deadline: float | None = None
        self._previous_end = 0.0  # when the user's previous input ended
        self._typing = ""  # the typed word not finished yet
        # Voice: activity and transcripts come from speech recognition
        self._voice = False  # voice activity is reported: it, not word durations, tells speech and pauses
        self._final_at = float("-inf")  # when the latest final transcript came in
        # The agent's current utterance
        self._purpose: SpeechPurpose | None = None
        self._heard_over_agent = ""  # what the user said since the agent started this utterance
        self._cut_by_user = False  # the last utterance was cut off by the user and not resumed
        # Backchannels
        self._backchannel_count = 0
        self._last_backchannel = float("-inf")
        # Timers, cues, live mode
        self._timers = Timers()
        self._cues: list[Cue] = []
        self._names = 0
        self._live: StartLive | None = None
        self._live_words: list[str] = []
        self._live_tail = ""

    # --- the policy interface ----------------------------------------------------------------------

    def react(self, state: FloorState, event: Event) -> Sequence[Action]:
        if isinstance(event, UserInput):
            return self._user_input(state, event) if event.addressed else ()
        if isinstance(event, UserErase):
            self._typing = self._typing[: max(0, len(self._typing) - event.count)]
            self._turn_deadline = self._deadline(state)
        elif isinstance(event, UserSpeechStarted):
            return self._speech_started(state, event)
        elif isinstance(event, UserSpeechEnded):
            return self._speech_ended(state, event)
        elif isinstance(event, UserTranscript):
            return self._transcribed(state, event) if event.final else ()
        elif isinstance(event, ToolCalled):
            self._speculator.called(event)
        elif isinstance(event, ToolResult):
            return self._speculator.result(event)
        elif isinstance(event, UserSubmit):
            self._submitted = True
            self._turn_deadline = event.t
            finished, self._typing = self._typing, ""
            return self._hear(finished)
        elif isinstance(event, AgentSpeechStarted):
            self._purpose = event.purpose
            self._heard_over_agent = ""
            if event.resumes is not None:
                self._cut_by_user = False
        elif isinstance(event, AgentSpeechEnded):
            self._purpose = None
            self._cut_by_user = event.reason is EndReason.INTERRUPTED
            self._approvals.spoken(event)
        elif isinstance(event, JobRequested | CancelJob):
            self._weaver.track(event)
        elif isinstance(event, JobResult):
            return self._weaver.arrived(event, state)
        elif isinstance(event, JobProgress):
            self._weaver.progressed(event)
        elif isinstance(event, JobFailed):
            self._weaver.failed(event)
        elif isinstance(event, ApprovalRequested):
            self._approvals.requested(event)
        return ()

    def decide(self, state: FloorState, turn: MicroTurn) -> Sequence[Action]:
        now = state.now
        stop = self._holding.decide(state)
        if stop:
            return stop  # the user has talked over the held agent for longer than a backchannel lasts
        actions: list[Action] = [*self._timers.fire(state)]
        if actions or self._timers.held_back:
            return actions  # a timer speaks now, or is overdue: anything else waits until it has been said
        if self._live is not None:
            if self._live_words and state.user_silent_for + 1e-9 >= _LIVE_PAUSE:
                actions += self._live_output()
            if state.user_text and self._turn_over(state):
                actions += self._end_of_turn(state)
            return actions
        if state.user_text.strip() and not state.agent_speaking and self._turn_over(state):
            actions += self._end_of_turn(state)
        elif self._backchannel_due(state):
            self._last_backchannel = now
            self._backchannel_count += 1
            word = _BACKCHANNEL_WORDS[(self._backchannel_count - 1) % len(_BACKCHANNEL_WORDS)]
            actions.append(Say(word, SpeechPurpose.BACKCHANNEL))
        if not actions and not state.user_text.strip():
            actions += self._approvals.ask(state) or self._weaver.deliver(state)
        return actions

    def wake_at(self, state: FloorState) -> float | None:
        moments = self._timers.moments()
        approval = self._approvals.moment(state)
        if approval is not None:
            moments.append(approval)
        if self._live is not None and self._live_words:
            moments.append(state.user_active_until + _LIVE_PAUSE)
        turn_moment = self._turn_moment(state)
        if turn_moment is not None:
            moments.append(turn_moment)
        holding = self._holding.moment(state)
        if holding is not None:
            moments.append(holding)
        if self._backchannel_possible(state):
            moments.append(state.user_active_until + self.backchannel_pause)
        weave = self._weaver.next_moment(state)
        if weave is not None:
            moments.append(weave)
        return min(moments) if moments else None

    # --- listening ---------------------------------------------------------------------------------

    def _user_input(self, state: FloorState, event: UserInput) -> list[Action]:
        if self._turn_started is None:
            self._turn_started = event.t
            self._turn_speech = 0.0
            self._speculator.interrupted()
        elif not self._voice:
            gap = event.t - self._previous_end
            if gap >= 0.3:
                self._pauses.append(gap)  # the turn went on: that silence was a pause, not its end
        if not self._voice:
            self._previous_end = event.t + event.duration
        self._turn_speech += event.duration
        self._typed = event.modality is Modality.TYPED
        self._submitted = False
        self._turn_deadline = self._deadline(state)

        finished = self._finished_words(event)
        actions: list[Action] = [*self._hear(finished)]
        if self._live is not None:
            self._live_words.extend(token for token in event.text.split() if token)
            if len(self._live_words) >= self.live_chunk_words:
                actions += self._live_output()
            return actions
        if finished:
            actions += self._speculator.listen(state, fresh=len(finished))  # think while listening
        if state.agent_speaking and self._purpose not in _NOT_STOPPED_BY_USER:
            if len(self._heard_over_agent) <= LONGEST_BACKCHANNEL:  # longer is no backchannel: stop adding
                self._heard_over_agent += " " + event.text
            spoken_backchannel = event.modality is Modality.SPOKEN and is_backchannel(self._heard_over_agent)
            if not spoken_backchannel:
                actions.append(Stop(EndReason.INTERRUPTED))  # barge-in: stop in this very pass
        return actions

    def _speech_started(self, state: FloorState, event: UserSpeechStarted) -> list[Action]:
        self._voice = True
        if self._turn_started is not None and state.user_text.strip():
            gap = event.t - self._previous_end
            if gap >= 0.3:
                self._pauses.append(gap)  # the turn goes on: that silence was a pause, not its end
        stoppable = self._live is None and self._purpose not in _NOT_STOPPED_BY_USER
        return self._holding.speech_started(state, event, stoppable=stoppable)

    def _speech_ended(self, state: FloorState, event: UserSpeechEnded) -> list[Action]:
        self._previous_end = event.t - event.silence
        if self._turn_started is not None:
            self._turn_speech += event.duration
        if state.user_text.strip():
            self._turn_deadline = self._deadline(state)
        return self._holding.speech_ended(state)

    def _transcribed(self, state: FloorState, event: UserTranscript) -> list[Action]:
        """The final text of a stretch of speech (the floor has put it in place of the rough words)."""
        self._final_at = event.t
        if state.user_text.strip():
            self._turn_deadline = self._deadline(state)  # judged again: "what is two plus three?" is a question
        else:
            self._turn_started = self._turn_deadline = None  # it was noise after all: no turn
        return self._holding.transcribed(state, event)

    def _finished_words(self, event: UserInput) -> str:
        """The words this input finishes: a spoken word at once, typed words at the space after them."""
        if event.modality is Modality.SPOKEN:
            return event.text
        self._typing += event.text
        if self._typing[-1:].isspace():
            done, self._typing = self._typing, ""
            return done
        head, _, self._typing = self._typing.rpartition(" ")
        return head

    def _hear(self, text: str) -> list[Action]:
        """Let every cue hear the user's newly finished words."""
        actions: list[Action] = []
        if not text.strip():
            return actions
        for cue in self._cues:
            hit = cue.hear(text)
            if hit is not None:
                actions += self._cue_fired(cue, hit)
        return actions

    def _deadline(self, state: FloorState) -> float:
        """When the user's turn ends if nothing more comes, judging by how their words end."""
        end = state.user_active_until
        text = state.user_text
        if self._typed:
            if shape(text) is Shape.INCOMPLETE:
                return end + 3 * self.typed_silence
            return end + self.typed_silence
        if shape(text) is Shape.INCOMPLETE:
            return end + self._incomplete_wait()
        return end + self.complete_silence

    def _incomplete_wait(self) -> float:
        """Long enough for this speaker's pauses: they pause longer, we wait longer (within bounds)."""
        if not self._pauses:
            return self.incomplete_silence
        typical = max(statistics.median(self._pauses), max(self._pauses) * 0.8)
        return min(self.max_incomplete_silence, max(self.incomplete_silence, 1.3 * typical))

    def _turn_over(self, state: FloorState) -> bool:
        if state.user_active or self._turn_deadline is None:
            return False
        if state.transcripts_pending and state.now + 1e-9 < self._previous_end + self.transcript_wait:
            return False  # the reply answers the final transcript, not the rough words
        return state.now + 1e-9 >= max(self._turn_deadline, state.user_active_until)

    def _turn_moment(self, state: FloorState) -> float | None:
        """When the user's turn ends if nothing more comes (see ``_turn_over``)."""
        if not state.user_text.strip() or self._turn_deadline is None or state.agent_speaking:
            return None
        if state.user_speaking:
            return None  # the end of the speech sets the deadline
        moment = max(self._turn_deadline, state.user_active_until)
        if state.transcripts_pending:
            return max(moment, self._previous_end + self.transcript_wait)  # if the final text never comes
        return max(moment, self._final_at)

    def _end_of_turn(self, state: FloorState) -> list[Action]:
        text = state.user_text
        started = self._turn_started if self._turn_started is not None else state.now
        self._turn_started = None
        self._turn_deadline = None
        actions: list[Action] = [*self._flush_cues()]
        answer = self._approvals.answer(text, started)
        if answer is not None:  # "yes" answers the question asked: it is no backchannel here
            return [*actions, ClearTurn(), *answer]
        if self._live is None and is_backchannel(text):
            # Nothing to answer. If it cut us off, it was a false interruption: go on where we were.
            actions.append(ClearTurn())
            if self._cut_by_user:
                actions.append(Resume())
            return actions
        actions += self._weaver.turn_ended(text, started)
        intent = parse_intent(text)
        if isinstance(intent, AskProgress | DelegateTask):
            return actions + self._background(intent, state)
        if intent is not None:
            return actions + self._handle(intent, state)
        if self._live is not None:
            return [*actions, *self._live_output(), ClearTurn()]
        answer = self._speculator.answer(state)  # with a tool's result, or holding the floor for it
        return [*actions, *(answer if answer is not None else [Reply()])]

    # --- background work and approvals -------------------------------------------------------------

    def _background(self, intent: AskProgress | DelegateTask, state: FloorState) -> list[Action]:
        if isinstance(intent, AskProgress):
            status = self._weaver.status()
            return [ClearTurn(), Say(status)] if status is not None else [Reply()]
        answer = self._speculator.answer(state)  # a tool that answers at once beats a background job
        if answer is not None:
            return answer
        return [Delegate(task=intent.task), ClearTurn(), Say("On it. I'll tell you when I have something.")]

    # --- backchannels --------------------------------------------------------------------------------

    def _backchannel_possible(self, state: FloorState) -> bool:
        return (
            self._live is None
            and self._turn_started is not None
            and self._turn_speech >= self.backchannel_after
            and not state.agent_speaking
            and shape(state.user_text) is Shape.INCOMPLETE
            and state.now - self._last_backchannel >= self.backchannel_gap
        )

    def _backchannel_due(self, state: FloorState) -> bool:
        return (
            self._backchannel_possible(state)
            and not state.user_active
            and state.user_silent_for + 1e-9 >= self.backchannel_pause
            and not self._turn_over(state)
        )

    # --- requests about the conversation ------------------------------------------------------------

    def _handle(self, intent: Intent, state: FloorState) -> list[Action]:
        if isinstance(intent, TimerRequest):
            timer = self._timers.set(self._name("timer"), intent, due=state.user_active_until + intent.seconds)
            return [ClearTurn(), timer, Say(intent.ack)]
        if isinstance(intent, StopTimers):
            stopped = self._timers.cancel_all()
            return [ClearTurn(), *stopped, Say("Okay, timers stopped." if stopped else "There is no timer.")]
        if isinstance(intent, CueRequest):
            cue = Cue(self._name("cue"), intent)
            self._cues.append(cue)
            verb = "stop you" if intent.interrupt else "tell you"
            return [
                ClearTurn(),
                Record(CueSet(cue=cue.name, watch=intent.watch, interrupt=intent.interrupt)),
                Say(f"Okay, I'll {verb} when you say {intent.watch}."),
            ]
        if isinstance(intent, StopCues):
            self._cues.clear()
            return [ClearTurn(), Say("Okay, I've stopped listening for that.")]
        if isinstance(intent, StartLive):
            self._live = intent
            self._live_words = []
            what = f"translate into {intent.language.title()}" if intent.language else "repeat after you"
            return [ClearTurn(), Say(f"Okay, I'll {what} as you speak.")]
        self._live = None
        self._live_words = []
        return [ClearTurn(), Say("Okay, I've stopped.")]

    def _name(self, kind: str) -> str:
        self._names += 1
        return f"{kind}-{self._names}"

    # --- cues -----------------------------------------------------------------------------------------

    def _cue_fired(self, cue: Cue, hit: Hit) -> list[Action]:
        return [
            Record(CueFired(cue=cue.name, matched=hit.matched)),
            Say(hit.say, SpeechPurpose.INTERJECTION),
        ]

    def _flush_cues(self) -> list[Action]:
        actions: list[Action] = []
        for cue in self._cues:
            hit = cue.flush()
            if hit is not None:
                actions += self._cue_fired(cue, hit)
        return actions

    # --- live modes -----------------------------------------------------------------------------------

    def _live_output(self) -> list[Action]:
        assert self._live is not None
        chunk = " ".join(self._live_words)
        self._live_words = []
        # "stop translating" may straddle two phrases: look at the end of the last one too.
        heard, self._live_tail = f"{self._live_tail} {chunk}", " ".join(chunk.split()[-2:])
        if isinstance(parse_intent(heard), StopLive):
            self._live = None
            return [ClearTurn(), Say("Okay, I've stopped.")]
        if not words(chunk):
            return []
        if self._live.language is None:
            return [ClearTurn(), Say(chunk, SpeechPurpose.REPLY, append=True)]
        instruction = f"Translate into {self._live.language.title()}"
        return [Reply(text=chunk, instruction=instruction, append=True)]
