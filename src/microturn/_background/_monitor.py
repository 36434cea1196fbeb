"""The claim monitor: checks what the user says while they say it, beside the conversation.

Like the background lane, it talks to the session only through events: it follows the session log
(the user's words as they come, the whole conversation for context) and publishes what it finds to
the session's ingress as a :class:`ClaimFlagged`, outside input that the log records and a replay feeds
back as it came. The policy decides whether and when to say it (``_full_duplex/_monitor.py``).

A check is due when there are words of the user's not checked yet, in a turn that makes a claim's
worth (``least_words``), and they pause (``pause`` seconds after their last input), end a sentence,
press Enter, or have said ``most_words`` without a pause. The check is about the new words, with the
turn so far and the conversation around them. One check runs at a time: words said meanwhile wait for
the next. A check whose words the user takes back (erased, or a final transcript that replaced them) is
stale: it is cancelled, and the claim is checked again as it stands now. A typed word is checked once
finished (a space, or a second without a keystroke), not in its middle. A checker that fails or takes
longer than ``timeout`` costs a ``ComponentFailed`` record and a rest before the next check (doubling,
up to a minute), nothing else.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from microturn._background._claim_prompt import ClaimContext, Verdict, read_verdict
from microturn._background._claims import ClaimChecker
from microturn._bus import Start
from microturn._core._clock import Clock
from microturn._core._events import (
    AgentSpeechStarted,
    ClaimFlagged,
    Event,
    UserErase,
    UserSubmit,
    UserTranscript,
)
from microturn._core._failures import failed
from microturn._core._floor import FloorTracker
from microturn._core._language import words
from microturn._core._timeline import Timeline
from microturn._session import Session
from microturn.errors import ModelError

__all__ = ["MONITOR", "ClaimMonitor"]

MONITOR = "monitor"
"""The source name of everything the monitor publishes (and the component of its failures)."""

_MICROSECOND = 1e-6
_STARTS_KEPT = 16
"""Checks whose start is remembered: words are taken back soon after they were said, if ever."""
_UNFINISHED = 1.0
"""Seconds a typed word may stay unfinished before it counts as finished (the user stopped, or is thinking)."""
_LONGEST_REST = 60.0
"""Seconds without checks after repeated failures, at most: a dead server is not asked at every pause."""


@dataclass(slots=True)
class _Check:
    """The check in flight: where the user's words it covers end, and its task."""

    end: int
    task: asyncio.Task[Verdict | Exception | None]


class ClaimMonitor:
    """Checks the user's claims with ``checker`` while they talk and reports the ones it finds wrong."""

    def __init__(
        self,
        session: Session,
        *,
        clock: Clock,
        checker: ClaimChecker,
        pause: float = 0.3,
        least_words: int = 3,
        most_words: int = 24,
        timeout: float = 10.0,
        capacity: int = 1024,
    ) -> None:
        """``capacity`` bounds the queue of session events the monitor has yet to read (it catches up from the log)."""
        self._session = session
        self._send = session.lane_ingress(MONITOR)
        self._clock = clock
        self._checker = checker
        self._pause = pause
        self._least_words = least_words
        self._most_words = most_words
        self._timeout = timeout
        self._capacity = capacity
        self._timeline = Timeline()
        self._floor = FloorTracker(silence_min=session.config.silence_min)  # its user_text is every word said
        self._checked = 0  # the user's words up to here are checked, or being checked
        self._prefix = ""  # ... and were these: a change in them takes back what they said
        self._starts: list[int] = []  # where the latest checks began: a claim changed is checked again whole
        self._turn = 0  # where the user's words since the agent last spoke begin
        self._urgent = False  # Enter was pressed: check what is there now
        self._check: _Check | None = None
        self._failures = 0
        self._resting_until = float("-inf")  # session time
        self._changed = asyncio.Event()

    async def run(self, *, since: int = 0) -> None:
        """Follow the session until it ends, checking the user's words as they come.

        Events before offset ``since`` are context only (a resumed chat's old log): their words are not checked.
        """
        async with asyncio.TaskGroup() as tasks:
            checks = tasks.create_task(self._checks(tasks))
            try:
                async for event in self._session.follow(MONITOR, start=Start.BEGINNING, capacity=self._capacity):
                    self._timeline.feed(event)
                    self._floor.observe(event)
                    self._heard(event, context_only=event.seq < since)
                    self._changed.set()
            finally:
                checks.cancel()
                if self._check is not None:
                    self._check.task.cancel()

    def _heard(self, event: Event, *, context_only: bool) -> None:
        text = self._floor.state.user_text
        if context_only:
            self._checked = self._turn = len(text)
            self._prefix = text
        elif isinstance(event, AgentSpeechStarted):
            self._turn = len(text)
        elif isinstance(event, UserSubmit):
            self._urgent = True
        elif isinstance(event, UserErase | UserTranscript) and not text.startswith(self._prefix):
            self._taken_back(_agreeing(text, self._prefix))

    def _taken_back(self, kept: int) -> None:
        """The user's words changed after ``kept`` characters: the check they changed is done again, from its start."""
        text = self._floor.state.user_text
        self._starts = [start for start in self._starts if start <= kept]
        self._checked = min(self._checked, self._starts[-1] if self._starts else 0)
        self._prefix = text[: self._checked]
        self._turn = min(self._turn, kept)
        if self._check is not None and self._check.end > kept:
            self._check.task.cancel()  # stale: its words no longer stand

    # --- checking ------------------------------------------------------------------------------------

    async def _checks(self, tasks: asyncio.TaskGroup) -> None:
        """Run each check when it falls due, one at a time."""
        while True:
            due = self._due()
            now = self._session.now()
            if due is None:
                await self._changed.wait()
            elif due > now + _MICROSECOND:  # session time is rounded to the microsecond
                await self._clock.wait_until(self._changed, self._clock.now() + due - now)
            else:
                await self._run_check(tasks)
                continue
            self._changed.clear()

    def _due(self) -> float | None:
        """When the next check falls due (session seconds), if one is to run."""
        state = self._floor.state
        fresh = state.user_text[self._checked :]
        said = _count(fresh)
        if not said or _count(state.user_text[min(self._turn, self._checked) :]) < self._least_words:
            return None  # nothing new, or too little said in this turn to make a claim
        in_a_word = state.user_typing and fresh[-1:].isalnum()  # typing one: it is checked once finished
        if self._urgent or (not in_a_word and (said >= self._most_words or fresh.rstrip()[-1:] in {".", "?", "!"})):
            return self._resting_until
        if state.user_speaking:
            return None
        last = max(state.user_active_until, state.last_user_input or 0.0)  # an erase is input too
        return max(self._resting_until, last + (_UNFINISHED if in_a_word else self._pause))

    async def _run_check(self, tasks: asyncio.TaskGroup) -> None:
        state = self._floor.state
        start, end = self._checked, len(state.user_text)
        context = ClaimContext(
            timeline=self._timeline.text,
            turn=state.user_text[min(self._turn, start) : end].strip(),
            claim=state.user_text[start:end].strip(),
            elapsed=self._session.now(),
            wall=self._clock.wall(),
        )
        said_at = state.last_user_input if state.last_user_input is not None else state.now
        self._checked, self._prefix, self._urgent = end, state.user_text[:end], False
        self._starts = [*self._starts[-(_STARTS_KEPT - 1) :], start]
        check = self._check = _Check(end, tasks.create_task(self._judge(context)))
        await asyncio.wait([check.task])
        self._check = None
        if check.task.cancelled():
            return  # taken back while it ran: what stands of the words is checked again
        outcome = check.task.result()
        if isinstance(outcome, Exception):
            self._failures += 1
            self._resting_until = self._session.now() + min(_LONGEST_REST, 2.0**self._failures)
            await self._send(failed(MONITOR, outcome))
            return
        self._failures = 0
        if outcome is not None:
            flagged = ClaimFlagged(
                claim=context.claim,
                problem=outcome.problem,
                correction=outcome.correction,
                confidence=outcome.confidence,
                said_at=said_at,
            )
            await self._send(flagged)

    async def _judge(self, context: ClaimContext) -> Verdict | Exception | None:
        """The checker's verdict on ``context`` (None: nothing wrong, or an answer that says nothing clear), or
        what went wrong asking it."""
        try:
            async with self._clock.timeout_at(self._clock.now() + self._timeout):
                answer = await self._checker.check(context)
            return read_verdict(answer)  # a checker of one's own may return anything: it is read in here too
        except TimeoutError:
            return ModelError(f"the claim check did not finish within {self._timeout:g} s", transient=True)
        except Exception as error:  # never BaseException: a stale check stays cancelled
            return error


def _agreeing(text: str, before: str) -> int:
    """How many characters ``text`` and ``before`` share from their start."""
    for index, (now, then) in enumerate(zip(text, before, strict=False)):
        if now != then:
            return index
    return min(len(text), len(before))


def _count(text: str) -> int:
    """The words in ``text`` (not its punctuation)."""
    return sum(1 for token in words(text) if token[0].isalnum())
