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

Time-driven work for ``now`` comes before input stamped ``now``. Input is handled at its own moment
whichever pass it reaches the loop in, so a replay that feeds the same input at the same times gets
the same log, byte for byte. (A live session's input is stamped when it arrives; the pass that
handles it may run some microseconds later, so a live log replays deterministically but may differ
from the live run by that jitter.)
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import AsyncIterator, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from microturn._actions import (
    Action,
    CallTool,
    CancelTool,
    Delegate,
    Dismiss,
    Emit,
    Hold,
    Release,
    Reply,
    Resume,
    Say,
    Stop,
)
from microturn._bus import EventBus, Start, StartAt, Subscription
from microturn._clock import Clock
from microturn._codec import decode_event
from microturn._config import SessionConfig
from microturn._events import (
    AgentSpeechEnded,
    AgentSpeechHeld,
    AgentSpeechReleased,
    AgentSpeechStarted,
    AgentWord,
    ApprovalDecided,
    EndReason,
    EndSession,
    Event,
    InputRejected,
    JobRequested,
    SessionEnded,
    SessionStarted,
    SpeechPurpose,
    StopOutput,
    ToolResult,
    UserErase,
    UserInput,
)
from microturn._floor import FloorState, FloorTracker
from microturn._models import ChatModel, ModelRequest, Prefilling, ToolCall, close_model, make_model
from microturn._policies import MicroTurn, Policy, make_policy
from microturn._session._output import OutputStream, SpeechOutput
from microturn._session._sources import Source
from microturn._session._speculation import Speculation
from microturn._session._tool_calls import ToolCalls
from microturn._timeline import Timeline
from microturn._tools import NoTools, Toolbox, ToolSpec
from microturn.errors import AdapterError, CodecError, ModelError, SessionStalled, SlowConsumer

__all__ = ["AGENT", "LOOP", "RUNTIME_SOURCES", "TOOLS", "LoopStats", "Session", "ingress"]

LOOP = "loop"  # floor facts and bookkeeping the loop derives
AGENT = "agent"  # what the agent says and does
TOOLS = "tools"  # tool results, published back through the ingress
RUNTIME_SOURCES = frozenset({LOOP, AGENT})
"""Sources the runtime derives; everything else is outside input and replayed as such. Tool results
count as outside input: the world may answer differently next time, so a replay feeds the recorded
results back instead of calling the tools again."""

_EPSILON = 1e-9
_MAX_PASSES_AT_ONE_MOMENT = 100_000  # far more than any real burst: past it, something spins
_LAG_SAMPLES = 4096
_SORRY = "Sorry, I couldn't come up with an answer just now."


async def _once(text: str) -> AsyncIterator[str]:
    yield text


async def _text(stream: AsyncIterator[str | ToolCall]) -> AsyncIterator[str]:
    """The reply's words; the interaction model is offered no tools, so a tool call is a model error."""
    async for chunk in stream:
        if isinstance(chunk, str):
            yield chunk
        else:
            raise ModelError(
                f"the interaction model called the tool {chunk.tool!r} without being offered tools", transient=False
            )


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
        model: ChatModel | None = None,
        tools: Toolbox | None = None,
        tool_specs: Sequence[ToolSpec] = (),
        sources: Sequence[Source] = (),
        output: SpeechOutput | None = None,
    ) -> None:
        """``output`` is what the agent speaks through: by default words paced at the speaking rate (text)."""
        self.id = session_id
        self.config = config or SessionConfig()
        self._bus = bus
        self._clock = clock
        self._policy = policy or make_policy(self.config.policy, self.config.policy_options)
        self._model = model or make_model(self.config.model, clock=clock)
        self._owns_model = model is None
        self._prefilled = 0  # timeline length the model has taken in ahead of a reply
        self._prefill: asyncio.Task[None] | None = None
        self._speculation: Speculation | None = None
        self._tool_specs = list(tool_specs)
        self._tool_calls = ToolCalls(
            toolbox=tools or NoTools(),
            specs=self._tool_specs,
            scopes=self.config.scopes,
            emit=lambda event, cause: self._emit(event, cause=cause),
            inject=lambda event: self.inject(event, source=TOOLS),
            spawn=self._spawn,
        )
        self._sources = list(sources)
        self._floor = FloorTracker(silence_min=self.config.silence_min)
        self._output: SpeechOutput = output if output is not None else OutputStream(rate=self.config.speaking_rate)
        self.timeline = Timeline()
        self.stats = LoopStats()
        self._wake = asyncio.Event()
        self._output.set_listener(self._wake.set)
        self._start: float | None = None
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
        """Publish an input event to this session; it is stamped with the session time if it has none."""
        if event.t < 0 or not event.source:
            event = msgspec.structs.replace(
                event, t=self.now() if event.t < 0 else event.t, source=event.source or source
            )
        return await self._bus.publish(ingress(self.id), event)

    async def inject_raw(self, data: bytes | str, *, source: str = "user") -> Event:
        """Decode a wire frame and inject it; malformed input becomes an InputRejected event instead."""
        try:
            event = decode_event(data)
        except CodecError as exc:
            excerpt = getattr(exc, "excerpt", "")
            event = InputRejected(reason=str(exc), excerpt=excerpt)
        return await self.inject(event, source=source)

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
            t=0.0,
            source=LOOP,
        )
        self._floor.observe(await self._record(started))
        tick = self.config.tick
        next_tick = 1
        same_moment, previous = 0, -1.0
        while True:
            self._wake.clear()
            now = self.now()
            self.stats.passes += 1
            same_moment = same_moment + 1 if now == previous else 0
            previous = now
            if same_moment > _MAX_PASSES_AT_ONE_MOMENT:
                raise SessionStalled(self.id, now, same_moment)
            await self._speak(now)
            due = round(next_tick * tick, 6)
            wake = self._policy_wake()
            if now + _EPSILON >= due:
                self.stats.tick_lags.append(now - due)
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
            for item in source.poll(now, self.state):
                if isinstance(item, bytes):
                    await self.inject_raw(item, source=source.name)
                else:
                    await self.inject(item, source=source.name)

    async def _drain(self, subscription: Subscription) -> Subscription:
        for _ in range(self.config.max_events_per_pass):
            try:
                event = subscription.receive_nowait()
            except SlowConsumer as exc:
                # The ingress log still has everything: pick up exactly where the queue overflowed.
                subscription.close()
                subscription = await self._bus.subscribe(ingress(self.id), "loop", start=exc.next_offset)
                subscription.set_listener(self._wake.set)
                continue
            if event is None:
                return subscription
            await self._handle(msgspec.structs.replace(event, seq=-1))
            if self._ended is not None:
                return subscription
        self._wake.set()  # more is queued: come straight back after this pass
        return subscription

    async def _handle(self, event: Event) -> Event:
        """Fold, record and react to one event (input, or something the agent did); return it as stored."""
        self.stats.events += 1
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
        if isinstance(stored, ApprovalDecided) and stored.source == AGENT:
            await self._tool_calls.decided(stored)  # only the interaction layer's record counts
        if isinstance(stored, ToolResult):
            self._tool_calls.finished(stored)
        for action in self._policy.react(self.state, stored):
            await self._act(action, stored)
        return stored

    @property
    def log_length(self) -> int:
        """How many events the session has recorded in its log."""
        return self._recorded

    async def _record(self, event: Event) -> Event:
        stored = await self._bus.publish(self.id, event)
        self._recorded += 1
        self.timeline.feed(stored)
        self._turn_events.append(stored)
        return stored

    async def _emit(self, event: Event, *, cause: Event | None = None) -> Event:
        """Record something the agent does now."""
        stamped = msgspec.structs.replace(event, t=self.now(), source=AGENT, cause=None if cause is None else cause.seq)
        return await self._handle(stamped)

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
        self._speculate()
        for action in self._policy.decide(self.state, turn):
            await self._act(action, None)

    def _prefill_ahead(self) -> None:
        """Think while listening: let the model take in the transcript so far, off the loop's path."""
        if not isinstance(self._model, Prefilling) or self._generations or self._speculation is not None:
            return
        if len(self.timeline) == self._prefilled or (self._prefill is not None and not self._prefill.done()):
            return
        self._prefilled = len(self.timeline)
        request = ModelRequest(timeline=self.timeline.text, user_text="", elapsed=self.now(), wall=self._clock.wall())
        self._prefill = self._spawn(self._model.prefill(request))

    def _speculate(self) -> None:
        """When the user pauses, start the reply to what they said so far (a local model only: it costs
        nothing but a core); it is kept if the turn ends on these words, else discarded unheard."""
        state = self.state
        if not isinstance(self._model, Prefilling) or self._generations or self._output.utterance is not None:
            return
        if not state.user_text.strip() or state.user_silent_for < self.config.tick:
            return
        if self._speculating_on(state):
            return
        self._drop_speculation()
        request = ModelRequest(
            timeline=self.timeline.text, user_text=state.user_text, elapsed=self.now(), wall=self._clock.wall()
        )
        chunks = _text(self._model.stream(request))
        self._speculation = Speculation(state.user_text, state.last_user_input, chunks, self._spawn)

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
            if speculation is not None and plain and speculation.matches(taken, last_input):
                self._produce(utterance, speculation.reply())
                return
            if speculation is not None:
                speculation.cancel()
            request = ModelRequest(
                timeline=self.timeline.text,
                user_text=text,
                elapsed=self.now(),
                wall=self._clock.wall(),
                instruction=action.instruction,
                facts=action.facts,
            )
            self._produce(utterance, _text(self._model.stream(request)))
        elif isinstance(action, Say):
            utterance = await self._utterance(action.purpose, cause, append=action.append)
            self._produce(utterance, _once(action.text))
        elif isinstance(action, Dismiss):
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
                self._output.hold(self.now())
                await self._emit(AgentSpeechHeld(utterance=self._output.utterance), cause=cause)
        elif isinstance(action, Release):
            if self._output.utterance is not None and self._output.held:
                self._output.release(self.now())
                await self._emit(AgentSpeechReleased(utterance=self._output.utterance), cause=cause)
        elif isinstance(action, Emit):
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
        self._output.start(utterance, purpose, self.now())
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
        try:
            async for chunk in chunks:
                if output.utterance != utterance:
                    return
                output.feed(chunk)
                self._wake.set()
        except AdapterError:
            if output.utterance == utterance and not output.delivered:
                output.feed(_SORRY)
        if output.utterance == utterance and self._generations[-1] is asyncio.current_task():
            output.finish_input()
            self._wake.set()

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
        await self._record(SessionEnded(reason=reason, t=self.now(), source=LOOP))
        if self._owns_model:
            await close_model(self._model)
