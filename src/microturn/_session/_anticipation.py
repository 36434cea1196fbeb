"""Thinking while the user talks: the model follows the transcript ahead of the reply, reads from it how likely
the user is done, and the reply to their words so far is decoded as soon as they pause.

All of it only while the agent is not speaking, off the loop's path (tasks of the session).

*Taking in the transcript*, for a model that prefills or reads the end of turn, one piece of work at a time (work
asked for meanwhile waits for it, then runs on the transcript as it is by then), never while the model decodes a
reply or a speculation. A model that reads the end of turn (``EndOfTurnReading``) *reads* whenever the user's
words end in a whole word (a spoken word, a typed space or punctuation, a final transcript) and where they pause,
while the transcript ends in those words: the probability that their turn is over, recorded as a
``TurnEndSignal`` (``source`` the kind of reading the model gives, "model" or a server's "server"; ``upto`` the
length of the user's text it read) unless they said more meanwhile (stale: dropped). Not at every keystroke: a
reading inside a word would be stale before it is done.
Where a speculation starts at the pause, the reading comes after it (the reply cannot wait for a reading; the
policy, waiting for more, can). A final transcript of words the transcript already holds leaves the model's
prompt as it was, so it is given the last reading again, the model not asked. For a local model a reading also
brings its cache up to the user's last word, so it stands in for the prefill (whose prompt ends in the agent's
cue, time-stamped, which the reply rewrites anyway). Otherwise, at every micro-turn, a model that prefills
*prefills* what is new. What this work finds (a signal, a failure) is recorded as outside input, like the
model's output: a replay never prefills or reads, the log has it. Work that fails is recorded, and not tried
again in that user turn: it is an optimisation.

*Speculation*, for a model that prefills (a local one: a speculation dropped costs a core, not money): as soon
as the user's input pauses (at the end of their last word or keystroke: the loop wakes at that moment,
:meth:`Anticipation.next_awake`), or at once when a TurnEndSignal on their words as they are says their turn is
probably over, the session starts the reply to their words so far into a buffer (``_speculation.py``). It is
never heard unless the policy replies to the same words: then the reply starts from the buffer, its first words
often ready. If the user's words change, it is cancelled unheard.
"""

from __future__ import annotations

import functools
import re

from microturn._core._events import TurnEndSignal
from microturn._core._failures import failed
from microturn._core._floor import FloorState, FloorTracker
from microturn._core._timeline import Timeline
from microturn._session._model_calls import ModelCalls
from microturn._session._moments import EPSILON
from microturn._session._speculation import Speculation
from microturn._session._utterances import Utterances
from microturn._session._wiring import Hooks

__all__ = ["PROBABLY_OVER", "Anticipation"]

PROBABLY_OVER = 0.71
"""A TurnEndSignal at least this sure that the user's turn is over starts the speculation before they pause.
Chosen on the embedded model's TRAIN readings (``eval/signals/``, each read by a head fitted without its case) by
``_models/_end_of_turn_speculation.py``: the smallest, on a grid of 0.01, that no more of the 4,525 places where
the turn went on (mid-turn pauses, stories' cuts, the earlier words of spoken pause cases) reach than reached 0.5 on
P(line break) alone, the reading before the head (230): they reach it at 215, and 339 of the 818 real turn ends do
(202 reached 0.5 on P(line break)). A test holds it to the readings."""

READ = "end-of-turn"  # the kinds of work ahead of a reply, as a failure of each is recorded
PREFILL = "prefill"
_USER_LINE = re.compile(r"\[\d+:\d\d\.\d\] user: ")
"""The start of the transcript's line of the user's words (an aside is "user (aside):", a correction no speech)."""


class Anticipation:
    """Keeps the model following the conversation and speculates on the user's words, as they come."""

    def __init__(
        self, models: ModelCalls, utterances: Utterances, floor: FloorTracker, timeline: Timeline, hooks: Hooks
    ) -> None:
        self._models = models
        self._utterances = utterances
        self._floor = floor
        self._timeline = timeline
        self._hooks = hooks
        self._taken_in = 0  # timeline length the model has taken in ahead of a reply
        self._words: tuple[int, str] | None = None  # the user's turn and words that ended in a whole word, to read
        self._read: tuple[int, str] | None = None  # the user's turn and words the end of turn was last read after
        self._said: tuple[int, float] | None = None  # the transcript's length at the last reading, and its answer
        self._working = False  # a task of the session is taking in the transcript
        self._failed: dict[str, int] = {}  # each kind of work that failed: the user turn it failed in
        self._speculation: Speculation | None = None
        self._ended = False

    # --- the loop's calls ---------------------------------------------------------------------------------

    def think_ahead(self) -> None:
        """At a micro-turn: let the model take in what is new in the transcript."""
        self._take_in()

    def heard(self, state: FloorState, *, word_end: bool) -> None:
        """The user's words changed (said, typed, erased, or a final transcript put in place of the rough words):
        a speculation on other words will never be heard. ``word_end``: they end in a whole word now (read them)."""
        if self._speculation is not None and not self._speculation.matches(state.user_text):
            self.drop()
        if word_end and self._models.reads_end_of_turn:  # a model that only prefills does so at micro-turns
            self._read_words(state)

    def next_awake(self) -> float | None:
        """When the user's input pauses if no more comes (the end of their last input), if a speculation would
        start then, or words not read yet would be."""
        state = self._floor.state
        if state.user_speaking or not (self._may_speculate(state) or self._unread(state)):
            return None
        return state.user_active_until

    async def paused(self, now: float) -> None:
        """The loop's pass at ``now`` has handled its input: if the user's input has paused, speculate on their
        words, and read them (if unread: a keystroke inside a word asks for no reading) once the model is free,
        after the speculation (the reply cannot wait for a reading; the policy, waiting for more, can)."""
        start = self.next_awake()
        if start is None or now + EPSILON < start:
            return
        state = self._floor.state
        if self._unread(state):
            self._words = (state.user_turns, state.user_text)
        if self._may_speculate(state):
            await self._speculate(state)
        self._take_in()

    async def signalled(self, signal: TurnEndSignal) -> None:
        """A detector read the end of the user's turn: if it is probably over, speculate now, pause or not."""
        state = self._floor.state
        if signal.upto == len(state.user_text) and signal.probability >= PROBABLY_OVER and self._may_speculate(state):
            await self._speculate(state)

    def take(self) -> Speculation | None:
        """The speculation, for the reply to use or cancel: it is no longer anticipation's."""
        speculation, self._speculation = self._speculation, None
        return speculation

    def drop(self) -> None:
        """Cancel the speculation, if any: its words will not be answered."""
        if self._speculation is not None:
            self._speculation.cancel()
            self._speculation = None

    def end(self) -> None:
        """The session ends: no more work is started (work under way finishes: a model step cannot be stopped)."""
        self._ended = True
        self.drop()

    # --- taking in the transcript ----------------------------------------------------------------------------

    def _read_words(self, state: FloorState) -> None:
        """The user's words end in a whole word: read them, when the model is free.

        If the transcript is as it was at the last reading (a final transcript of the same words, which the
        transcript does not repeat), the model's prompt would be the same, and so its answer: it is recorded
        again for these words at once, and the model is not asked."""
        words = self._words = (state.user_turns, state.user_text)
        said = self._said
        if said is not None and said[0] == len(self._timeline) and words != self._read and state.user_text.strip():
            self._read = words
            self._hooks.spawn(self._signal(said[1], state.user_text))
            return
        self._take_in()

    def _take_in(self) -> None:
        if not self._working and (kind := self._due()) is not None:
            self._working = True
            self._hooks.spawn(self._catch_up(kind))

    async def _catch_up(self, kind: str) -> None:
        """Do ``kind`` of work, then take in what is new until nothing is, each on the transcript as it is then.

        The first is settled when it is asked for: a speculation that starts in the same pass waits for it (a
        reading takes a local model some 30 ms; it would wait for the whole speculated reply otherwise)."""
        try:
            due: str | None = kind
            while due is not None:
                turn = self._floor.state.user_turns
                try:
                    await (self._read_end() if due == READ else self._prefill())
                except Exception as error:  # never BaseException: cancellation goes through
                    self._failed[due] = turn
                    if not self._ended:  # after its end, the session records nothing more
                        await self._models.report(failed(due, error))
                due = self._due()
        finally:
            self._working = False

    def _due(self) -> str | None:
        """The work to do now (:data:`READ` or :data:`PREFILL`), if any."""
        if self._ended or self._utterances.streaming or (self._speculation is not None and not self._speculation.done):
            return None  # the model answers (the speculation is on the user's words as they are)
        state = self._floor.state
        if self._models.reads_end_of_turn and self._failed.get(READ) != state.user_turns and self._ends_in_user_words():
            # The readings bring the model to the user's words, as they end in a whole word, once; inside a
            # word, nothing (a reading would be stale before it is done). After a failure, prefills instead.
            words = (state.user_turns, state.user_text)
            return READ if words == self._words != self._read and state.user_text.strip() else None
        if self._models.prefills and self._failed.get(PREFILL) != state.user_turns:
            return PREFILL if len(self._timeline) != self._taken_in else None
        return None

    def _unread(self, state: FloorState) -> bool:
        """Would the model read the user's words if they paused here (they are not read, nor to be)?"""
        if not self._models.reads_end_of_turn or not state.user_text.strip():
            return False
        return (state.user_turns, state.user_text) not in (self._words, self._read)

    def _ends_in_user_words(self) -> bool:
        text = self._timeline.text
        return _USER_LINE.match(text, text.rfind("\n") + 1) is not None

    async def _read_end(self) -> None:
        """Read how likely the user's turn is over after their words; record it unless they said more meanwhile."""
        state = self._floor.state
        text = state.user_text
        self._read = (state.user_turns, text)
        self._said = None
        read_at = self._taken_in = len(self._timeline)  # a local model's cache now holds it to the last word
        probability = await self._models.end_of_turn(self._hooks.request(text))
        if probability is not None:
            self._said = (read_at, round(probability, 6))
            await self._signal(self._said[1], text)

    async def _signal(self, probability: float, text: str) -> None:
        """Record the reading for the user's words ``text``, unless they said more meanwhile (it is stale)."""
        if not self._ended and self._floor.state.user_text == text:
            await self._models.signal(probability, upto=len(text))

    async def _prefill(self) -> None:
        self._taken_in = len(self._timeline)
        await self._models.prefill(self._hooks.request(""))

    # --- speculation -----------------------------------------------------------------------------------------

    def _may_speculate(self, state: FloorState) -> bool:
        """Would a speculation start on the user's words now? Not while the agent speaks, nor twice on them."""
        if not self._models.prefills or not state.user_text.strip():
            return False
        if self._utterances.current is not None or self._utterances.streaming:
            return False
        return self._speculation is None or not self._speculation.matches(state.user_text)

    async def _speculate(self, state: FloorState) -> None:
        self.drop()
        asked, chunks = self._models.ask(self._hooks.request(state.user_text), speculative=True)
        await self._hooks.emit(asked, None)
        report = functools.partial(self._hooks.report, "speculation")
        self._speculation = Speculation(state.user_text, chunks, self._hooks.spawn, report)
