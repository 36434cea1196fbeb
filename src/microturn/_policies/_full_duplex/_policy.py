"""The full-duplex interaction policy: a good conversational partner in continuous time.

Sans-I/O, like every policy: it reads the floor state and the events, and returns actions. Its memory
(what it has heard in this turn, its timers and cues, the jobs it is waiting on) is all derived from
the events it was shown, so a replay rebuilds it exactly.

It is a turn-taking core composed with features. The core:

* **End of turn** (``_turn.py``, ``_end_of_turn.py``): the user's turn ends after a silence whose length
  depends on how likely it is over, decided at the exact moment (``wake_at``), not on the tick grid; a
  detector's ``TurnEndSignal`` (the model's, the audio's), sent in by the session, is judged with the words.
* **Barge-in** (``_barge_in.py``, ``_holding.py``): the user's first words that take the turn while the agent
  talks stop it in the same pass; in voice, their first sound already holds it until the words decide.
* **Backchannels** (``_backchannels.py``) at pauses inside long user turns.

What the user's words mean is judged behind four interfaces (``_decisions/``), chosen by name with
``decisions``: :class:`TurnEnd` (how likely their turn is over), :class:`Overlap` (what their speech over
the agent is) and :class:`Intent` (what a turn asks for); the rules are the baseline.

The features (``_feature.py``): **timers**, **cues** checked on every word, **live modes** (repeat or
translate while the user talks), background **jobs** woven in at pauses (``_weaving.py``), **approvals**
asked in the conversation, and **tool speculation** (think while listening). This class holds the
order of precedence between them: a timer first, then a live mode, then the end of the user's turn or
a backchannel, and when the user is quiet, an approval question, else a background result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from microturn._core._actions import Action, ClearTurn
from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    Event,
    TurnEndSignal,
    UserErase,
    UserInput,
    UserSpeechEnded,
    UserSpeechStarted,
    UserSubmit,
    UserTranscript,
)
from microturn._core._floor import FloorState
from microturn._policies._base import MicroTurn
from microturn._policies._full_duplex._approvals import Approvals
from microturn._policies._full_duplex._backchannels import Backchannels
from microturn._policies._full_duplex._barge_in import BargeIn
from microturn._policies._full_duplex._cues import Cues
from microturn._policies._full_duplex._decisions import DEFAULT_DECISIONS, IntentContext, Waits, make_decisions
from microturn._policies._full_duplex._end_of_turn import EndOfTurn
from microturn._policies._full_duplex._feature import Features, Names
from microturn._policies._full_duplex._holding import Holding
from microturn._policies._full_duplex._intents import STORY_OPENING, DelegateTask, StopLive, TellStory, request
from microturn._policies._full_duplex._live import LiveMode
from microturn._policies._full_duplex._monitor import Corrections
from microturn._policies._full_duplex._timers import Timers
from microturn._policies._full_duplex._tool_speculation import Speculator
from microturn._policies._full_duplex._turn import Turn
from microturn._policies._full_duplex._weaving import Weaver
from microturn.errors import ConfigError

__all__ = ["FullDuplexPolicy"]


class FullDuplexPolicy:
    """The default policy: the agent as a conversational partner in continuous time.

    It answers when the user's turn ends, judged by how their words end (a finished sentence after
    ``complete_silence``, a trailing "and" after ``incomplete_silence``, Enter at once, typing without Enter
    only after ``typed_silence`` of idle: a typed pause is not a turn end); it stops the
    moment the user cuts in, but not for an "mm-hm" (in voice it goes quiet at their first sound and
    goes on if it was only that); it backchannels in long turns; it keeps timers and cues ("tell me
    when I mention a number"), repeats or translates while the user talks, calls a tool whose trigger
    matches while they are still talking, delegates slow requests to the background lane and weaves
    their results in at the next pause, and asks the user before a high-risk call.

    ``Agent(policy="full-duplex")`` is the default; build one to change its timings, e.g.
    ``Agent(policy=FullDuplexPolicy(incomplete_silence=2.5))``. Its options are recorded in the session
    log, so a replay rebuilds this very policy. docs/full-duplex.md has every rule with its timings.

    ``decisions`` names the judges of the user's words (``register_decisions``): ``"rules"``, the hand-written
    baseline, or ``"learned"``; by default ``DEFAULT_DECISIONS``. The log always names them (a log that names
    none was recorded before it did, with the rules, and replays so).
    """

    name: ClassVar[str] = "full-duplex"

    def __init__(
        self,
        *,
        complete_silence: float = 0.1,
        incomplete_silence: float = 1.8,
        max_incomplete_silence: float = 4.0,
        typed_silence: float = 5.0,
        backchannel_after: float = 4.0,
        backchannel_pause: float = 0.5,
        backchannel_gap: float = 5.0,
        weave_pause: float = 0.6,
        live_chunk_words: int = 3,
        summary_words: int = 30,
        holding_phrase: str = "Let me check.",
        spoken_tools: tuple[str, ...] = ("calculator", "current_time"),
        approval_timeout: float = 20.0,
        longest_backchannel: float = 1.0,
        transcript_wait: float = 3.0,
        decisions: str = DEFAULT_DECISIONS,
    ) -> None:
        # Every argument, as given: recorded in the log, so a replay rebuilds this very policy by name. The
        # decisions too, whatever the default: a log without them ran with the rules (``recorded_options``).
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
        waits = Waits(
            complete=complete_silence,
            incomplete=incomplete_silence,
            max_incomplete=max_incomplete_silence,
            typed=typed_silence,
        )
        judges = make_decisions(decisions, waits)
        self._intent = judges.intent
        # The turn-taking core
        self._turn = Turn(EndOfTurn(judges.turn_end), transcript_wait=transcript_wait)
        self._barge_in = BargeIn(judges.overlap)
        self._holding = Holding(judges.overlap, longest_backchannel=longest_backchannel)
        self._backchannels = Backchannels(
            self._turn, after=backchannel_after, pause=backchannel_pause, gap=backchannel_gap
        )
        # The features
        names = Names()
        self._timers = Timers(names)
        self._cues = Cues(names, judges.member)
        self._live = LiveMode(judges.intent, chunk_words=live_chunk_words)
        self._weaver = Weaver(pause=weave_pause, summary_words=summary_words)
        self._approvals = Approvals(judges.intent, timeout=approval_timeout, pause=weave_pause)
        self._speculator = Speculator(holding=holding_phrase, spoken=spoken_tools)
        self._corrections = Corrections()
        self._features = Features(
            self._timers,
            self._cues,
            self._live,
            self._weaver,
            self._approvals,
            self._speculator,
            self._corrections,
        )

    # --- the policy interface ----------------------------------------------------------------------

    def react(self, state: FloorState, event: Event) -> Sequence[Action]:
        if isinstance(event, UserInput):
            return self._user_input(state, event) if event.addressed else ()
        if isinstance(event, UserErase):
            self._turn.erase(state, event)
            return ()
        if isinstance(event, UserSubmit):
            finished = self._turn.submit(event)
            actions = self._cues.hear(state, finished)
            return actions + self._live.hear(finished) if self._live.active else actions
        if isinstance(event, UserSpeechStarted):
            self._turn.speech_started(state, event)
            stoppable = not self._live.active and self._barge_in.stoppable
            return self._holding.speech_started(state, event, stoppable=stoppable)
        if isinstance(event, UserSpeechEnded):
            self._turn.speech_ended(state, event)
            return self._holding.speech_ended(state)
        if isinstance(event, UserTranscript):
            if not event.final:
                return ()
            self._turn.transcribed(state, event)
            return self._holding.transcribed(state, event)
        if isinstance(event, TurnEndSignal):
            self._turn.signal(state, event)  # a detector's judgement of the words so far
            return ()
        if isinstance(event, AgentSpeechStarted | AgentSpeechEnded):
            self._barge_in.follow(event)
        return self._features.react(state, event)

    def decide(self, state: FloorState, turn: MicroTurn) -> Sequence[Action]:
        stop = self._holding.decide(state)
        if stop:
            return stop  # the user has talked over the held agent for longer than a backchannel lasts
        actions: list[Action] = [*self._timers.fire(state)]
        if actions or self._timers.held_back:
            return actions  # a timer speaks now, or is overdue: anything else waits until it has been said
        actions += self._speculator.hold(state)  # an answer's lookup outlasted its grace: hold the floor
        if self._live.active:
            return actions + self._live_mode(state)
        over = self._turn.over(state)
        if state.user_text.strip() and not state.agent_speaking and over:
            actions += self._end_of_turn(state)
        else:
            actions += self._corrections.interject(state) or self._backchannels.decide(state, turn_over=over)
        if not actions and not state.user_text.strip():
            actions += self._approvals.ask(state) or self._weaver.deliver(state)
        return actions

    def wake_at(self, state: FloorState) -> float | None:
        # Asked at every pass of every session's loop: no list built per part of the core.
        moments = self._features.moments(state)
        for moment in (
            self._turn.moment(state),
            self._holding.moment(state),
            None if self._live.active else self._backchannels.moment(state),
        ):
            if moment is not None:
                moments.append(moment)
        return min(moments) if moments else None

    def _live_mode(self, state: FloorState) -> list[Action]:
        """While a live mode is on: say the phrase the user paused after, or stop if it asked to; end their turn."""
        actions = self._live.decide(state)
        if not self._live.active:  # the phrase that ended asked to stop: the turn is done with too
            self._turn.end(state)
            return actions
        if state.user_text and self._turn.over(state):
            actions += self._end_of_turn(state)
        return actions

    # --- the user's words ---------------------------------------------------------------------------

    def _user_input(self, state: FloorState, event: UserInput) -> list[Action]:
        if not self._turn.open:
            self._speculator.interrupted()  # a new turn: an answer still waiting for a result is not wanted now
        finished = self._turn.input(state, event)  # whole words: cues and live modes never hear keystrokes
        if self._live.active:  # nothing to answer, and the user is not cutting in
            return self._cues.hear(state, finished) + self._live.hear(finished)
        actions = self._barge_in.heard(state, event)  # first: a cue's interjection follows what the agent has left
        actions += self._cues.hear(state, finished)
        if finished:
            actions += self._speculator.listen(state, fresh=len(finished))  # think while listening
        return actions

    def _end_of_turn(self, state: FloorState) -> list[Action]:
        text = state.user_text
        started = self._turn.end(state)
        actions = self._cues.flush(state)
        answer = self._approvals.answer(text, started)
        if answer is not None:  # "yes" answers the question asked: it is no backchannel here
            return [*actions, ClearTurn(), *answer]
        if not self._live.active:
            nothing = self._barge_in.no_turn(state, text)
            if nothing is not None:
                return actions + nothing
        reading = self._intent.read(text, IntentContext(jobs_running=self._weaver.watching, jobs=self._weaver.tasks))
        actions += self._weaver.turn_ended(reading, text, started)
        held = None if self._live.active else self._barge_in.wait_or_resume(reading)
        if held is not None:  # "wait": say nothing; "go on": go on with what the user cut off
            return actions + held
        intent = request(reading)
        if isinstance(intent, StopLive) and (self._live.active or not self._barge_in.cut_off):
            # a live mode reads a stop in the user's whole phrase (``flush``), not in what is left of it; and with
            # no mode on, a stop that cut nothing off stops nothing: the turn is talk ("thanks, that's all I
            # needed"), answered, not met with silence
            intent = None
        if isinstance(intent, DelegateTask):
            answer = self._speculator.answer(state)  # a tool that answers at once beats a background job
            if answer is not None:
                return actions + answer
        handled = self._features.handle(state, intent) if intent is not None else None
        if handled is not None:
            return actions + handled
        if self._live.active:
            return [*actions, *self._live.flush(), ClearTurn()]
        answer = self._speculator.answer(state)  # with a tool's result, or holding the floor for it
        if answer is not None:
            return actions + answer
        return actions + self._corrections.reply(state, opening=STORY_OPENING if isinstance(intent, TellStory) else "")
