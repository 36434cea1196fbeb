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
    5. start a speculative reply if the user's input has paused (``_anticipation.py``)
    6. sleep until the earliest deadline, or until new input or model output wakes the loop

Time-driven work for ``now`` comes before input stamped ``now``. Each pass runs at one *moment* and
stamps everything it records with it: a deadline's own time (however late the clock woke the loop),
the clock's time when input woke it (the input takes that moment), or the same moment again when the
session's own work woke it (a model's output for the speaker). The model's output is itself input
(``_model_calls.py``). So a live session records only moments a replay in virtual time also reaches,
and a replay that feeds the same input at the same moments gets the same log, byte for byte.

The parts it drives live beside it: the moment of each pass and the ticks (``_moments.py``,
``_ticks.py``), its input (``_intake.py``), the agent's speech (``_utterances.py``), what each policy
action does (``_dispatch.py``), what the runtime itself does about an event (``_reactions.py``),
thinking ahead while the user talks (``_anticipation.py``), model and tool calls (``_model_calls.py``,
``_tool_calls.py``). They reach back into the loop only through the hooks it hands them (``_wiring.py``).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from typing import Any

import msgspec

from microturn._bus import EventBus, Start, StartAt, Subscription
from microturn._core._clock import Clock
from microturn._core._config import SessionConfig
from microturn._core._events import ComponentFailed, EndReason, EndSession, Event, SessionEnded, SessionStarted
from microturn._core._failures import failed
from microturn._core._floor import FloorState, FloorTracker
from microturn._core._limits import check_text
from microturn._core._secrets import scrub_event
from microturn._core._timeline import Timeline
from microturn._core._tools import NoTools, Toolbox, ToolSpec
from microturn._models import ChatModel, ModelRequest, close_model, make_model
from microturn._policies import MicroTurn, Policy, policy_options, session_policy
from microturn._session._anticipation import Anticipation
from microturn._session._apologies import Apologies
from microturn._session._dispatch import Dispatch
from microturn._session._ingress import AGENT, LOOP, TOOLS, Channel, admit, ingress, read_frame
from microturn._session._intake import Intake
from microturn._session._model_calls import ModelCalls, Playback
from microturn._session._moments import EPSILON, Moments
from microturn._session._output import OutputStream, SpeechOutput
from microturn._session._reactions import Reactions
from microturn._session._sources import Source
from microturn._session._ticks import LoopStats, Ticks
from microturn._session._tool_calls import ToolCalls
from microturn._session._utterances import Utterances
from microturn._session._wiring import Hooks
from microturn.errors import SlowConsumer

__all__ = ["LoopStats", "Session", "ingress"]


def _named(
    config: SessionConfig, policy: Policy | None, model: ChatModel | Playback | None, *, recorded: bool
) -> tuple[SessionConfig, Policy]:
    """``config`` naming the components that run, so the log says what ran (a playback keeps the name), and the
    policy: the one passed in code, else the config's (a ``recorded`` log's as it ran: ``session_policy``)."""
    if policy is not None:
        config = msgspec.structs.replace(config, policy=policy.name, policy_options=policy_options(policy))
    else:
        policy, options = session_policy(config.policy, config.policy_options, recorded=recorded)
        config = msgspec.structs.replace(config, policy_options=options)
    if model is not None and not isinstance(model, Playback):
        config = msgspec.structs.replace(config, model=model.name)
    return config, policy


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
        input as recorded (``config`` is then that log's, and its policy runs as it ran); ``output`` is what the
        agent speaks through: by default words paced at the speaking rate (text). A ``policy`` or ``model``
        passed in is recorded in the log by its name (a replay rebuilds the policy by name: see
        ``register_policy``); ``Playback`` is a replay's model."""
        self.id = session_id
        self.config, self._policy = _named(config or SessionConfig(), policy, model, recorded=replay is not None)
        self._bus = bus
        self._clock = clock
        self._owns_model = model is None
        self._models = ModelCalls(
            model or make_model(self.config.model, clock=clock),
            inject=lambda event, source: self._admit(event, Channel.MODEL, source),
            spawn=self._spawn,
        )
        self._failures: list[ComponentFailed] = []  # raised in the session's tasks, for the loop to record
        self._tool_specs = list(tool_specs)
        self._floor = FloorTracker(silence_min=self.config.silence_min)
        self.timeline = Timeline()
        self.stats = LoopStats()
        self._moments = Moments(clock, session_id)
        self._ticks = Ticks(self.config.tick, self.stats, self._moments.now)
        wake = self._moments.wake.set
        self._intake = Intake(bus, ingress(session_id), wake=wake, admit=self._admit, sources=sources, replay=replay)
        # Utterances, jobs and tool calls are numbered in one deterministic sequence.
        hooks = Hooks(
            emit=self._emit,
            spawn=self._spawn,
            report=self._failed,
            nudge=self._moments.nudge,
            moment=lambda: self._moments.moment,
            number=itertools.count(1).__next__,
            request=self._request,
        )
        self._tool_calls = ToolCalls(
            toolbox=tools or NoTools(),
            specs=self._tool_specs,
            scopes=self.config.scopes,
            hooks=hooks,
            inject=lambda event: self._admit(event, Channel.TOOLS, TOOLS),
        )
        apologies = Apologies()
        self._utterances = Utterances(
            output if output is not None else OutputStream(rate=self.config.speaking_rate),
            hooks,
            apology=lambda delivered: apologies.for_model(self.state.user_turns, delivered=delivered),
            max_words=self.config.max_utterance_words,
        )
        self._utterances.output.set_listener(wake)
        self._anticipation = Anticipation(self._models, self._utterances, self._floor, self.timeline, hooks)
        self._dispatch = Dispatch(
            self._floor, self._utterances, self._anticipation, self._models, self._tool_calls, hooks
        )
        self._reactions = Reactions(
            self._floor, self._dispatch, self._anticipation, self._tool_calls, self._models, apologies
        )
        self._turn_events: list[Event] = []
        self._recorded = 0
        self._last_decision = 0.0
        self._task_group: asyncio.TaskGroup | None = None
        self._ended: str | None = None

    @property
    def state(self) -> FloorState:
        return self._floor.state

    def now(self) -> float:
        """Session time: seconds since the session started, rounded to the microsecond."""
        return self._moments.now()

    async def subscribe(
        self,
        name: str,
        *,
        start: StartAt = Start.NEW,
        kinds: tuple[type[Event], ...] | None = None,
        capacity: int = 1024,
    ) -> Subscription:
        """Follow this session's log (what the agent and the user did), e.g. to render it."""
        return await self._bus.subscribe(self.id, name, start=start, kinds=kinds, capacity=capacity)

    async def follow(
        self,
        name: str,
        *,
        start: StartAt = Start.NEW,
        kinds: tuple[type[Event], ...] | None = None,
        subscription: Subscription | None = None,
        capacity: int = 1024,
    ) -> AsyncIterator[Event]:
        """The log's events (of ``kinds``: SessionEnded always comes too) from ``start`` to its SessionEnded,
        the last one yielded. A reader too slow for its queue goes on where the queue overflowed: the log keeps
        everything. ``subscription``: one already opened (before the session ran, so nothing is missed)."""
        wanted: tuple[type[Event], ...] | None = None if kinds is None else (*kinds, SessionEnded)
        log = subscription or await self.subscribe(name, start=start, kinds=wanted, capacity=capacity)
        try:
            while True:
                try:
                    event = await log.receive()
                except SlowConsumer as exc:
                    log.close()
                    log = await self.subscribe(name, start=exc.next_offset, kinds=wanted, capacity=capacity)
                    continue
                yield event
                if isinstance(event, SessionEnded):
                    return
        finally:
            log.close()

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
        return await self.inject(read_frame(data), source=source)

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
        self._moments.start()
        await self._intake.open()
        try:
            async with asyncio.TaskGroup() as task_group:
                self._task_group = task_group
                await self._run()
        finally:
            self._intake.close()
            self._task_group = None

    async def _run(self) -> None:
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
        deadline = 0.0
        while True:
            self.stats.passes += 1
            now = self._moments.next(deadline)
            await self._record_failures()
            await self._utterances.speak(now)
            if self._ticks.due(now):
                await self._decide(now, tick=True)
            elif (wake := self._policy_wake()) is not None and now + EPSILON >= wake:
                await self._decide(now, tick=False)  # the policy asked to decide at this moment
            await self._intake.poll(now, self.state)
            await self._drain()
            if self._ended is not None:
                break
            self._floor.set_time(now)  # sources look at the state as of the end of this pass
            await self._anticipation.paused(now)  # after the input: a word at this very moment is no pause
            deadlines = [
                self._utterances.output.next_awake(),
                self._policy_wake(),
                self._anticipation.next_awake(),
                *self._intake.next_awake(self.state),
            ]
            deadline = min([self._ticks.next_due, *(t for t in deadlines if t is not None)])
            await self._moments.sleep_until(deadline)
        await self._shutdown(self._ended or "ended")

    def _policy_wake(self) -> float | None:
        """The policy's next wake-up if still ahead: a moment already decided at never spins the loop."""
        wake = self._policy.wake_at(self.state)
        return wake if wake is not None and wake > self._last_decision + EPSILON else None

    async def _drain(self) -> None:
        for _ in range(self.config.max_events_per_pass):
            try:
                event = self._intake.receive()
            except SlowConsumer as exc:
                await self._intake.reopen(exc.next_offset)
                continue
            if event is None:
                return
            # Input takes the moment the loop takes it in: a replay feeds it back at that very moment.
            await self._handle(msgspec.structs.replace(event, seq=-1, t=self._moments.moment))
            if self._ended is not None:
                return
        self._moments.nudge()  # more is queued: come straight back after this pass

    async def _handle(self, event: Event, *, own: bool = False) -> Event:
        """Fold, record and react to one event (input, or something the agent did: ``own``); return it as stored."""
        self.stats.events += 1
        if not own:
            event = check_text(event, self.state.user_text) or event  # too long a text is refused (_limits.py)
        for fact in self._floor.observe(event):
            await self._record(msgspec.structs.replace(fact, t=event.t, source=LOOP))
        stored = await self._record(event)
        if isinstance(stored, EndSession):
            self._ended = stored.reason
            return stored
        await self._reactions.react(stored, own=own)
        for action in self._policy.react(self.state, stored):
            await self._dispatch.act(action, stored)
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

    async def _emit(self, event: Event, cause: Event | None = None) -> Event:
        """Record something the agent does now."""
        stamped = msgspec.structs.replace(
            event, t=self._moments.moment, source=AGENT, cause=None if cause is None else cause.seq
        )
        return await self._handle(stamped, own=True)

    async def _decide(self, now: float, *, tick: bool) -> None:
        """Run a micro-turn: at every tick, and between ticks when the policy asked to decide then."""
        self.stats.ticks += tick
        self.stats.decisions += 1
        for fact in self._floor.advance(now):
            await self._record(msgspec.structs.replace(fact, t=now, source=LOOP))
        turn = MicroTurn(
            index=self.stats.decisions, start=self._last_decision, end=now, events=tuple(self._turn_events)
        )
        self._last_decision = now
        self._turn_events.clear()
        self._anticipation.think_ahead()
        for action in self._policy.decide(self.state, turn):
            await self._dispatch.act(action, None)

    def _request(
        self, user_text: str, *, instruction: str = "", facts: tuple[str, ...] = (), opening: str = ""
    ) -> ModelRequest:
        """A request to the model as of this moment: the transcript so far, to answer ``user_text``. Every request
        (reply, speculation, prefill) carries the developer's instructions alike, so a prompt cache keeps them."""
        return ModelRequest(
            timeline=self.timeline.text,
            user_text=user_text,
            elapsed=self._moments.moment,
            wall=self._clock.wall(),
            instruction=instruction,
            facts=facts,
            opening=opening,
            persona=self.config.instructions,
        )

    def _failed(self, component: str, error: Exception) -> None:
        """A task of the session caught ``error``: the loop records it in its next pass (the one writer)."""
        self._failures.append(failed(component, error))
        self._moments.nudge()

    async def _record_failures(self) -> None:
        failures, self._failures = self._failures, []
        for failure in failures:
            await self._emit(failure)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        assert self._task_group is not None, "actions run only while the session runs"
        return self._task_group.create_task(coroutine)

    async def _shutdown(self, reason: str) -> None:
        self._anticipation.end()
        await self._utterances.end(EndReason.STOPPED, None)
        self._tool_calls.cancel_all()
        self._models.cancel_all()
        await self._record(SessionEnded(reason=reason, t=self._moments.moment, source=LOOP))
        if self._owns_model and not isinstance(self._models.model, Playback):
            await close_model(self._models.model)
