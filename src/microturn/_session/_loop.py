"""The session loop: one task that turns input events into a timeline and actions, micro-turn by micro-turn.

Transports publish input to the session's *ingress* on the bus. The loop is the single writer of the
session *log*: it takes each input, folds it into the floor state, records it (with the floor facts it
completes, such as the silence it ended) and lets the policy react at once. Every ``tick`` seconds it
hands the policy the micro-turn since the last tick. Speech is paced word by word from the same loop,
so a barge-in cuts output in the very pass that handles it and the log keeps exactly what was delivered.

One loop pass, always in this order:
    1. deliver the agent's next word if it is due; end the utterance if it is complete
    2. run the micro-turn if a tick is due
    3. poll scheduled sources (scenario scripts, replays) into the ingress
    4. handle queued input (bounded per pass; control events first), reacting to each at once
    5. sleep until the earliest deadline, or until new input or model output wakes the loop

Time-driven work for ``now`` comes before input stamped ``now``. Each pass runs at one *moment* and
stamps everything it records with it: a deadline's own time (however late the clock woke the loop),
the clock's time when input woke it (the input takes that moment), or the same moment again when the
session's own work woke it (a model's output for the speaker). The model's output is itself input
(``_model_calls.py``). So a live session records only moments a replay in virtual time also reaches,
and a replay that feeds the same input at the same moments gets the same log, byte for byte.
"""

from __future__ import annotations

import asyncio
import functools
import math
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import msgspec

from microturn._bus import EventBus, Start, StartAt, Subscription
from microturn._core._actions import (
    Action,
    CallTool,
    CancelTool,
    ClearTurn,
    Delegate,
    Hold,
    Record,
    Release,
    Reply,
    Resume,
    Say,
    Stop,
)
from microturn._core._clock import Clock
from microturn._core._codec import decode_event
from microturn._core._config import SessionConfig
from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechHeld,
    AgentSpeechReleased,
    AgentSpeechStarted,
    AgentWord,
    ApprovalDecided,
    ComponentFailed,
    EndReason,
    EndSession,
    Event,
    InputRejected,
    JobRequested,
    ModelChunk,
    ModelEnded,
    SessionEnded,
    SessionStarted,
    SpeechPurpose,
    StopOutput,
    ToolResult,
    UserErase,
    UserInput,
)
from microturn._core._failures import failed
from microturn._core._floor import FloorState, FloorTracker
from microturn._core._limits import check_frame, check_text
from microturn._core._secrets import scrub_event
from microturn._core._timeline import Timeline
from microturn._core._tools import NoTools, Toolbox, ToolSpec
from microturn._models import ChatModel, ModelRequest, close_model, make_model
from microturn._policies import MicroTurn, Policy, make_policy, policy_options
from microturn._session._anticipation import Speculation
from microturn._session._apologies import Apologies
from microturn._session._ingress import AGENT, LOOP, TOOLS, Channel, admit
from microturn._session._model_calls import MODEL, ModelCalls, Playback
from microturn._session._output import OutputStream, SpeechOutput
from microturn._session._sources import Source
from microturn._session._tool_calls import ToolCalls
from microturn.errors import CodecError, SessionStalled, SlowConsumer

__all__ = ["LoopStats", "Session", "ingress"]

_EPSILON = 1e-9
_MAX_PASSES_AT_ONE_MOMENT = 100_000  # far more than any real burst: past it, something spins
_LAG_SAMPLES = 4096
_NO_TURN = -1  # before the first user turn


async def _once(text: str) -> AsyncIterator[str]:
    yield text


def _named(config: SessionConfig, policy: Policy | None, model: ChatModel | Playback | None) -> SessionConfig:
    """``config`` naming the components passed in code, so the log says what ran (a playback keeps the name)."""
    if policy is not None:
        config = msgspec.structs.replace(config, policy=policy.name, policy_options=policy_options(policy))
    if model is not None and not isinstance(model, Playback):
        config = msgspec.structs.replace(config, model=model.name)
    return config


def _continues(following: Event | None, chunk: ModelChunk) -> TypeGuard[ModelChunk]:
    """Is ``following`` the next piece of ``chunk``'s model stream?"""
    return isinstance(following, ModelChunk) and (following.request, following.source) == (chunk.request, chunk.source)


def ingress(session_id: str) -> str:
    """The bus log that transports publish a session's input to."""
    return f"{session_id}.in"


@dataclass
class LoopStats:
    passes: int = 0
    ticks: int = 0
    decisions: int = 0
    events: int = 0
    missed_ticks: int = 0
    tick_lags: deque[float] = field(default_factory=lambda: deque(maxlen=_LAG_SAMPLES))


class Session:
    """One conversation. Create it, ``await run()`` in a task group, and ``inject`` input into it."""

    def __init__(
        self,
        *,
        bus: EventBus,
        clock: Clock,
        config: SessionConfig | None = None,
        session_id: str = "session",
        policy: Policy | None = None,
        model: ChatModel | Playback | None = None,
        tools: Toolbox | None = None,
        tool_specs: Sequence[ToolSpec] = (),
        sources: Sequence[Source] = (),
        replay: Source | None = None,
        output: SpeechOutput | None = None,
    ) -> None:
        """``sources`` are scripted drivers (a scenario script); ``replay`` feeds back a recorded log's outside
        input as recorded; ``output`` is what the agent speaks through: by default words paced at the
        speaking rate (text). A ``policy`` or ``model`` passed in is recorded in the log by its name (a
        replay rebuilds the policy by name: see ``register_policy``); ``Playback`` is a replay's model."""
        self.id = session_id
        self.config = _named(config or SessionConfig(), policy, model)
        self._bus = bus
        self._clock = clock
        self._policy = policy or make_policy(self.config.policy, self.config.policy_options)
        self._owns_model = model is None
        self._models = ModelCalls(
            model or make_model(self.config.model, clock=clock),
            inject=lambda event: self._admit(event, Channel.MODEL, MODEL),
            spawn=self._spawn,
        )
        self._prefilled = 0  # timeline length the model has taken in ahead of a reply
        self._prefill: asyncio.Task[None] | None = None
        self._prefill_failed = _NO_TURN  # the turn in which prefilling failed: not tried again in it
        self._failures: list[ComponentFailed] = []  # raised in the session's tasks, for the loop to record
        self._apologies = Apologies()
        self._speculation: Speculation | None = None
        self._tool_specs = list(tool_specs)
        self._tool_calls = ToolCalls(
            toolbox=tools or NoTools(),
            specs=self._tool_specs,
            scopes=self.config.scopes,
            emit=lambda event, cause: self._emit(event, cause=cause),
            inject=lambda event: self._admit(event, Channel.TOOLS, TOOLS),
            spawn=self._spawn,
        )
        self._sources = [*sources, *([] if replay is None else [replay])]
        self._replay = replay
        self._floor = FloorTracker(silence_min=self.config.silence_min)
        self._output: SpeechOutput = output if output is not None else OutputStream(rate=self.config.speaking_rate)
        self.timeline = Timeline()
        self.stats = LoopStats()
        self._wake = asyncio.Event()
        self._output.set_listener(self._wake.set)
        self._start: float | None = None
        self._moment = 0.0  # the session time of the current pass: everything it records is stamped with it
        self._nudged = False  # the session's own work woke the loop: the next pass is at the same moment
        self._peeked: Event | None = None  # taken from the ingress to look past a model chunk, handled next
        self._turn_events: list[Event] = []
        self._recorded = 0
        self._last_decision = 0.0
        self._counter = 0  # utterances, jobs and tool calls are numbered in one deterministic sequence
        self._generations: list[asyncio.Task[None]] = []  # streaming into the current utterance, in order
        self._cut: tuple[int, SpeechPurpose, str] | None = None  # the last cut-off utterance and its rest
        self._task_group: asyncio.TaskGroup | None = None
        self._ended: str | None = None

    @property
    def state(self) -> FloorState:
        return self._floor.state

    def now(self) -> float:
        """Session time: seconds since the session started, rounded to the microsecond."""
        if self._start is None:
            return 0.0
        return round(self._clock.now() - self._start, 6)

    async def subscribe(self, name: str, *, start: StartAt = Start.NEW, capacity: int = 1024) -> Subscription:
        """Follow this session's log (what the agent and the user did), e.g. to render it."""
        return await self._bus.subscribe(self.id, name, start=start, capacity=capacity)

    # --- ingress: how transports and tools hand input to the session ----------------------------------

    async def inject(self, event: Event, *, source: str = "user") -> Event:
        """Hand the session input from a transport the user talks through, named ``source``.

        Whatever the event says, it is stamped with ``source`` (and the session time if it has none).
        A transport delivers what a user can do — type, speak, send audio, stop, end; a kind only the
        runtime authors (an approval, a job the agent started, the agent's words) is recorded as
        InputRejected instead, and so is a claim to be a runtime source (see ``_ingress.py``).
        """
        return await self._admit(event, Channel.USER, source)

    async def inject_raw(self, data: bytes | str, *, source: str = "user") -> Event:
        """Decode a wire frame and inject it; malformed or oversized input becomes an InputRejected event instead."""
        try:
            event = check_frame(data) or decode_event(data)  # too big is refused before it is read (_limits.py)
        except CodecError as exc:
            excerpt = getattr(exc, "excerpt", "")
            event = InputRejected(reason=str(exc), excerpt=excerpt)
        return await self.inject(event, source=source)

    def lane_ingress(self, name: str) -> Callable[[Event], Awaitable[Event]]:
        """The background lane's way in, for the code that wires the lane to this session: its jobs'
        reports, tool calls and approval requests, stamped ``name``."""

        async def send(event: Event) -> Event:
            return await self._admit(event, Channel.BACKGROUND, name)

        return send

    async def _admit(self, event: Event, channel: Channel, source: str) -> Event:
        # Secrets are scrubbed at the door: no log, transcript or model ever holds one (see _secrets.py).
        return await self._bus.publish(ingress(self.id), scrub_event(admit(event, channel, source, self.now())))

    # --- the loop ----------------------------------------------------------------------------------

    async def run(self) -> None:
        """Run until an EndSession event arrives. Cancelling the task stops the session at once."""
        self._start = self._clock.now()
        subscription = await self._bus.subscribe(ingress(self.id), "loop", start=Start.RESUME)
        subscription.set_listener(self._wake.set)
        try:
            async with asyncio.TaskGroup() as task_group:
                self._task_group = task_group
                await self._run(subscription)
        finally:
            subscription.close()
            self._task_group = None

    async def _run(self, subscription: Subscription) -> None:
        started = SessionStarted(
            session=self.id,
            wall=self._clock.wall(),
            config=self.config.to_dict(),
            tools=self._tool_specs,
            prefills=self._models.prefills,
            t=0.0,
            source=LOOP,
        )
        self._floor.observe(await self._record(started))
        tick = self.config.tick
        next_tick = 1
        same_moment, previous = 0, -1.0
        deadline = 0.0
        while True:
            self._wake.clear()
            now = self._moment = self._pass_moment(deadline)
            self.stats.passes += 1
            same_moment = same_moment + 1 if now == previous else 0
            previous = now
            if same_moment > _MAX_PASSES_AT_ONE_MOMENT:
                raise SessionStalled(self.id, now, same_moment)
            await self._record_failures()
            await self._speak(now)
            due = round(next_tick * tick, 6)
            wake = self._policy_wake()
            if now + _EPSILON >= due:
                self.stats.tick_lags.append(self.now() - due)  # how late the clock says it ran
                following = math.floor(now / tick + _EPSILON) + 1
                self.stats.missed_ticks += following - next_tick - 1
                next_tick = following
                await self._decide(now, tick=True)
            elif wake is not None and now + _EPSILON >= wake:
                await self._decide(now, tick=False)  # the policy asked to decide at this moment
            await self._poll_sources(now)
            subscription = await self._drain(subscription)
            if self._ending():
                break
            self._floor.set_time(now)  # sources look at the state as of the end of this pass
            deadlines = [
                self._output.next_awake(),
                self._policy_wake(),
                *(source.next_awake(self.state) for source in self._sources),
            ]
            deadline = min([round(next_tick * tick, 6), *(t for t in deadlines if t is not None)])
            await self._clock.wait_until(self._wake, self._clock_time(deadline))
        await self._shutdown(self._ended or "ended")

    def _pass_moment(self, deadline: float) -> float:
        """The moment the next pass runs at, as a replay in virtual time would run it.

        Woken by its own work (a model's output reached the speaker), the loop goes on at the same moment;
        woken by a deadline, at the deadline, however late the clock is (one pass per deadline missed, in
        order); woken by input, at the clock's time, which the input then takes. A live session thus
        records only moments a replay also reaches: deadlines, and the times its input came in.
        """
        if self._nudged:
            self._nudged = False
            return self._moment
        return round(max(self._moment, min(self.now(), deadline)), 6)

    def _nudge(self) -> None:
        """Wake the loop for work of the session's own, to run at the moment that caused it."""
        self._nudged = True
        self._wake.set()

    def _policy_wake(self) -> float | None:
        """The policy's next wake-up if still ahead: a moment already decided at never spins the loop."""
        wake = self._policy.wake_at(self.state)
        return wake if wake is not None and wake > self._last_decision + _EPSILON else None

    def _ending(self) -> bool:
        return self._ended is not None

    def _clock_time(self, session_time: float) -> float:
        return (self._start or 0.0) + session_time

    async def _poll_sources(self, now: float) -> None:
        for source in self._sources:
            awake = source.next_awake(self.state)
            if awake is None or awake > now + _EPSILON:
                continue
            channel = Channel.REPLAY if source is self._replay else Channel.SCRIPT
            for item in source.poll(now, self.state):
                if isinstance(item, bytes):
                    await self.inject_raw(item, source=source.name)  # a wire frame, as any transport's
                else:
                    await self._admit(item, channel, source.name)

    async def _drain(self, subscription: Subscription) -> Subscription:
        for _ in range(self.config.max_events_per_pass):
            try:
                event = self._receive(subscription)
            except SlowConsumer as exc:
                # The ingress log still has everything: pick up exactly where the queue overflowed.
                subscription.close()
                subscription = await self._bus.subscribe(ingress(self.id), "loop", start=exc.next_offset)
                subscription.set_listener(self._wake.set)
                continue
            if event is None:
                return subscription
            # Input takes the moment the loop takes it in: a replay feeds it back at that very moment.
            await self._handle(msgspec.structs.replace(event, seq=-1, t=self._moment))
            if self._ended is not None:
                return subscription
        self._nudge()  # more is queued: come straight back after this pass
        return subscription

    def _receive(self, subscription: Subscription) -> Event | None:
        """The next queued input. Pieces of one model stream queued back to back come as one: the speech is the
        same, the log shorter (a scripted reply is one line, not one a word)."""
        event, self._peeked = self._peeked or subscription.receive_nowait(), None
        while isinstance(event, ModelChunk):
            try:
                following = subscription.receive_nowait()
            except SlowConsumer:
                break  # raised again by the next receive, once what is queued is taken
            if not _continues(following, event):
                self._peeked = following
                break
            event = msgspec.structs.replace(event, text=event.text + following.text)
        return event

    async def _handle(self, event: Event, *, own: bool = False) -> Event:
        """Fold, record and react to one event (input, or something the agent did: ``own``); return it as stored."""
        self.stats.events += 1
        if not own:
            event = check_text(event, self.state.user_text) or event  # too long a text is refused (_limits.py)
        for fact in self._floor.observe(event):
            await self._record(msgspec.structs.replace(fact, t=event.t, source=LOOP))
        stored = await self._record(event)
        if isinstance(stored, UserInput | UserErase) and not self._speculating_on(self.state):
            self._drop_speculation()  # the user went on: that reply will never be heard
        if isinstance(stored, EndSession):
            self._ended = stored.reason
            return stored
        if isinstance(stored, StopOutput):
            await self._act(Stop(EndReason.STOPPED), stored)
        if isinstance(stored, ApprovalDecided) and own:
            await self._tool_calls.decided(stored)  # only the interaction layer's own record decides
        if isinstance(stored, ToolResult):
            self._tool_calls.finished(stored)
        if isinstance(stored, ModelChunk | ModelEnded) and stored.source == MODEL:
            self._models.received(stored)  # only what the model channel delivered is the model's output
        if isinstance(stored, ComponentFailed):
            apology = self._apologies.for_event(stored, self.state.user_turns, heard=bool(self.state.user_text.strip()))
            if apology is not None:
                await self._act(Say(apology, SpeechPurpose.ANNOUNCE, append=True), stored)
        for action in self._policy.react(self.state, stored):
            await self._act(action, stored)
        return stored

    @property
    def log_length(self) -> int:
        """How many events the session has recorded in its log."""
        return self._recorded

    async def _record(self, event: Event) -> Event:
        if event.source in (AGENT, LOOP):
            event = scrub_event(event)  # what the agent did; input was scrubbed at the door
        stored = await self._bus.publish(self.id, event)
        self._recorded += 1
        self.timeline.feed(stored)
        self._turn_events.append(stored)
        return stored

    async def _emit(self, event: Event, *, cause: Event | None = None) -> Event:
        """Record something the agent does now."""
        stamped = msgspec.structs.replace(
            event, t=self._moment, source=AGENT, cause=None if cause is None else cause.seq
        )
        return await self._handle(stamped, own=True)

    async def _speak(self, now: float) -> None:
        output = self._output
        if output.utterance is None:
            return
        word = output.take_due(now)
        for record in output.take_records():
            await self._emit(record)
        if word is not None and output.utterance is not None:
            await self._emit(AgentWord(utterance=output.utterance, word=word, duration=output.word_duration))
        if output.utterance is not None and output.finished(now):
            await self._end_utterance(EndReason.COMPLETED, cause=None)

    async def _decide(self, now: float, *, tick: bool) -> None:
        """Run a micro-turn: at every tick, and between ticks when the policy asked to decide then."""
        self.stats.ticks += tick
        self.stats.decisions += 1
        for fact in self._floor.advance(now):
            await self._record(msgspec.structs.replace(fact, t=now, source=LOOP))
        turn = MicroTurn(
            index=self.stats.decisions,
            start=self._last_decision,
            end=now,
            events=tuple(self._turn_events),
        )
        self._last_decision = now
        self._turn_events.clear()
        self._prefill_ahead()
        await self._speculate()
        for action in self._policy.decide(self.state, turn):
            await self._act(action, None)

    def _prefill_ahead(self) -> None:
        """Think while listening: let the model take in the transcript so far, off the loop's path."""
        if not self._models.prefills or self._generations or self._speculation is not None:
            return
        if len(self.timeline) == self._prefilled or (self._prefill is not None and not self._prefill.done()):
            return
        if self._prefill_failed == self.state.user_turns:
            return  # it is an optimisation: one failure a turn is enough to know it is not working
        self._prefilled = len(self.timeline)
        request = ModelRequest(timeline=self.timeline.text, user_text="", elapsed=self._moment, wall=self._clock.wall())
        self._prefill = self._spawn(self._prefill_guarded(request))

    async def _prefill_guarded(self, request: ModelRequest) -> None:
        """Prefill, and if it fails, record it and go on: the reply itself will show whether the model works."""
        try:
            await self._models.prefill(request)
        except Exception as error:  # never BaseException: cancellation goes through
            self._prefill_failed = self.state.user_turns
            # As outside input, like the model's output: a replay never prefills, so only the log knows.
            await self._models.report(failed("prefill", error))

    async def _speculate(self) -> None:
        """When the user pauses, start the reply to what they said so far (a local model only: it costs
        nothing but a core); it is kept if the turn ends on these words, else discarded unheard."""
        state = self.state
        if not self._models.prefills or self._generations or self._output.utterance is not None:
            return
        if not state.user_text.strip() or state.user_silent_for < self.config.tick:
            return
        if self._speculating_on(state):
            return
        self._drop_speculation()
        request = ModelRequest(
            timeline=self.timeline.text, user_text=state.user_text, elapsed=self._moment, wall=self._clock.wall()
        )
        asked, chunks = self._models.ask(request, speculative=True)
        await self._emit(asked)
        report = functools.partial(self._failed, "speculation")
        self._speculation = Speculation(state.user_text, state.last_user_input, chunks, self._spawn, report)

    def _speculating_on(self, state: FloorState) -> bool:
        return self._speculation is not None and self._speculation.matches(state.user_text, state.last_user_input)

    def _drop_speculation(self) -> None:
        if self._speculation is not None:
            self._speculation.cancel()
            self._speculation = None

    # --- actions -----------------------------------------------------------------------------------

    async def _act(self, action: Action, cause: Event | None) -> None:
        if isinstance(action, Reply):
            speculation, self._speculation = self._speculation, None
            last_input = self.state.last_user_input
            taken = self._floor.take_user_text()
            text = taken if action.text is None else action.text
            utterance = await self._utterance(SpeechPurpose.REPLY, cause, append=action.append, reply_to=text)
            plain = action.text is None and not action.instruction and not action.facts
            if speculation is not None and plain and speculation.matches(taken, last_input) and not speculation.failed:
                self._produce(utterance, speculation.reply())
                return
            if speculation is not None:
                speculation.cancel()
            request = ModelRequest(
                timeline=self.timeline.text,
                user_text=text,
                elapsed=self._moment,
                wall=self._clock.wall(),
                instruction=action.instruction,
                facts=action.facts,
            )
            asked, chunks = self._models.ask(request)
            await self._emit(asked, cause=cause)
            self._produce(utterance, chunks)
        elif isinstance(action, Say):
            utterance = await self._utterance(action.purpose, cause, append=action.append)
            self._produce(utterance, _once(action.text))
        elif isinstance(action, ClearTurn):
            self._floor.take_user_text()
        elif isinstance(action, Resume):
            if self._cut is not None and self._output.utterance is None:
                resumed, purpose, rest = self._cut
                utterance = await self._utterance(purpose, cause, resumes=resumed)
                self._produce(utterance, _once(rest))
        elif isinstance(action, Stop):
            if self._output.utterance is not None:
                await self._end_utterance(action.reason, cause)
        elif isinstance(action, Hold):
            if self._output.utterance is not None and not self._output.held:
                self._output.hold(self._moment)
                await self._emit(AgentSpeechHeld(utterance=self._output.utterance), cause=cause)
        elif isinstance(action, Release):
            if self._output.utterance is not None and self._output.held:
                self._output.release(self._moment)
                await self._emit(AgentSpeechReleased(utterance=self._output.utterance), cause=cause)
        elif isinstance(action, Record):
            await self._emit(action.event, cause=cause)
        elif isinstance(action, Delegate):
            job = f"bg-{self._next_number()}"  # "bg-": never clashes with jobs named outside
            await self._emit(
                JobRequested(job=job, task=action.task, priority=action.priority, deadline=action.deadline),
                cause=cause,
            )
        elif isinstance(action, CallTool):
            await self._tool_calls.call(f"call-{self._next_number()}", action, cause)
        elif isinstance(action, CancelTool):
            await self._tool_calls.cancel(action.call, cause)

    async def _utterance(
        self,
        purpose: SpeechPurpose,
        cause: Event | None,
        *,
        append: bool = False,
        reply_to: str = "",
        resumes: int | None = None,
    ) -> int:
        """The utterance to speak into: the current one when appending, else a new one."""
        if append and self._output.utterance is not None:
            self._output.reopen()
            return self._output.utterance
        if self._output.utterance is not None:
            await self._end_utterance(EndReason.STOPPED, cause)  # the newest speech wins
        self._cut = None  # what was cut off is now out of date
        utterance = self._next_number()
        self._output.start(utterance, purpose, self._moment)
        started = AgentSpeechStarted(utterance=utterance, purpose=purpose, reply_to=reply_to, resumes=resumes)
        await self._emit(started, cause=cause)
        return utterance

    def _produce(self, utterance: int, chunks: AsyncIterator[str]) -> None:
        """Stream ``chunks`` into the utterance, after whatever is already being streamed into it."""
        after = self._generations[-1] if self._generations else None
        self._generations.append(self._spawn(self._generate(utterance, chunks, after)))

    async def _end_utterance(self, reason: EndReason, cause: Event | None) -> None:
        utterance = self._output.utterance
        if utterance is None:
            return
        for generation in self._generations:
            generation.cancel()
        self._generations.clear()
        rest = self._output.remainder()
        purpose = self._output.purpose
        delivered = self._output.end()
        if reason is not EndReason.COMPLETED and rest:
            self._cut = (utterance, purpose, rest)
        await self._emit(AgentSpeechEnded(utterance=utterance, reason=reason, delivered=delivered), cause=cause)

    async def _generate(self, utterance: int, chunks: AsyncIterator[str], after: asyncio.Task[None] | None) -> None:
        if after is not None:
            await after
        output = self._output
        fed = False
        try:
            async for chunk in chunks:
                if output.utterance != utterance:
                    return
                output.feed(chunk)
                fed = True
                self._nudge()
        except Exception as error:  # never BaseException: a reply cut off by the user stays cancelled
            self._failed("model", error)
            if output.utterance == utterance:
                apology = self._apologies.for_model(self.state.user_turns, delivered=fed)
                if apology is not None:
                    output.feed(apology)
        if output.utterance == utterance and self._generations[-1] is asyncio.current_task():
            output.finish_input()
            self._nudge()

    def _failed(self, component: str, error: Exception) -> None:
        """A task of the session caught ``error``: the loop records it in its next pass (the one writer)."""
        self._failures.append(failed(component, error))
        self._nudge()

    async def _record_failures(self) -> None:
        failures, self._failures = self._failures, []
        for failure in failures:
            await self._emit(failure)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        assert self._task_group is not None, "actions run only while the session runs"
        return self._task_group.create_task(coroutine)

    def _next_number(self) -> int:
        self._counter += 1
        return self._counter

    async def _shutdown(self, reason: str) -> None:
        self._drop_speculation()
        await self._end_utterance(EndReason.STOPPED, None)
        self._tool_calls.cancel_all()
        self._models.cancel_all()
        await self._record(SessionEnded(reason=reason, t=self._moment, source=LOOP))
        if self._owns_model and not isinstance(self._models.model, Playback):
            await close_model(self._models.model)
