"""``AgentSession``: one live conversation with an agent, for a transport of your own to talk through."""

from __future__ import annotations

import asyncio
import builtins
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from microturn._agent._hooks import Hooks
from microturn._agent._toolset import DescribedToolbox
from microturn._background import AgentModel, BackgroundLane, ClaimChecker, ClaimMonitor
from microturn._bus import EventBus, Start, StartAt
from microturn._core._clock import Clock
from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    EndSession,
    Event,
    Modality,
    SessionEnded,
    SpeechPurpose,
    StopOutput,
    UserErase,
    UserInput,
    UserSubmit,
)
from microturn._models import ChatModel
from microturn._session import Session
from microturn._session._output import SpeechOutput
from microturn.errors import ConfigError

if TYPE_CHECKING:
    from microturn._agent._agent import Agent

__all__ = ["AgentSession"]

SOURCE = "app"
"""The source name of what a transport sends through an AgentSession (unless it names its own)."""


class AgentSession:
    """A running conversation with an agent (from :meth:`Agent.session`).

    Send it what the user does — :meth:`send` a message, :meth:`type` and :meth:`submit`, :meth:`say`
    spoken words, :meth:`interrupt` — and read what happens: :meth:`next_reply` for the agent's next
    utterance, :meth:`events` for the session log as it grows, :attr:`transcript` for the conversation so
    far. Everything is recorded in the session log, in event time.
    """

    def __init__(
        self,
        agent: Agent,
        *,
        bus: EventBus,
        clock: Clock,
        session_id: str,
        model: ChatModel,
        worker: AgentModel,
        toolbox: DescribedToolbox,
        output: SpeechOutput | None = None,
        source: str = SOURCE,
        checker: ClaimChecker | None = None,
    ) -> None:
        """Built by :meth:`Agent.session`; ``output`` is what the agent speaks through (a voice channel's),
        words paced at the speaking rate by default; ``checker``, if any, is the claim monitor's."""
        self._bus = bus
        self._clock = clock
        self._hooks: Hooks = agent.hooks
        self.source = source
        self.session = Session(
            bus=bus,
            clock=clock,
            config=agent.config,
            session_id=session_id,
            policy=None if isinstance(agent.policy, str) else agent.policy,
            model=model,
            tools=toolbox,
            tool_specs=toolbox.specs,
            output=output,
        )
        self._lane = BackgroundLane(
            self.session,
            clock=clock,
            agent=worker,
            tools=toolbox,
            tool_specs=toolbox.specs,
            scopes=agent.config.scopes,
        )
        self._monitor = None if checker is None else ClaimMonitor(self.session, clock=clock, checker=checker)
        self._replies_read = 0  # log offset after the last utterance next_reply returned
        self._ended = asyncio.Event()

    @property
    def id(self) -> str:
        """The session's id: its log's name on the bus (and its file name in a ``log_dir``)."""
        return self.session.id

    @property
    def transcript(self) -> str:
        """The conversation so far as the models see it: one line per turn, with times and what happened."""
        return self.session.timeline.text

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    # --- what the user does ---------------------------------------------------------------------------

    async def send(self, text: str) -> None:
        """A whole message, typed and sent (as pasting it and pressing Enter): a chat-room bot's way in."""
        await self.type(text)
        await self.submit()

    async def type(self, text: str) -> None:
        """Text the user typed (a keystroke, a word, a paste); the agent reads it as it comes."""
        await self.inject(UserInput(text=text))

    async def erase(self, count: int = 1) -> None:
        """The user deleted ``count`` characters of what they were typing."""
        await self.inject(UserErase(count=count))

    async def submit(self) -> None:
        """The user pressed Enter: their turn is over."""
        await self.inject(UserSubmit())

    async def say(self, text: str, *, seconds_per_word: float = 0.3) -> None:
        """Words the user speaks, one every ``seconds_per_word`` (as a speech recogniser would report them)."""
        for word in text.split():
            await self.inject(UserInput(text=word, modality=Modality.SPOKEN, duration=seconds_per_word))
            await self._clock.sleep_until(self._clock.now() + seconds_per_word)

    async def interrupt(self) -> None:
        """Stop the agent now (a stop button)."""
        await self.inject(StopOutput())

    async def inject(self, event: Event) -> None:
        """Any input a user can give (see :class:`Session`): recorded as coming from this transport."""
        if self.ended:
            raise ConfigError(f"session {self.id} has ended: start another to go on talking")
        await self.session.inject(event, source=self.source)

    async def end(self, reason: str = "ended by the app") -> None:
        """End the session (the agent stops at once) and wait until it has."""
        if not self.ended:
            await self.session.inject(EndSession(reason=reason), source=self.source)
        await self._ended.wait()

    # --- what happens ---------------------------------------------------------------------------------

    async def next_reply(self, *, within: float | None = None) -> str:
        """What the agent says next (after the last utterance this returned): the words the user got.

        Backchannels ("mm-hm") are not replies. Raises ``TimeoutError`` after ``within`` session seconds,
        and ``EOFError`` if the session ends first.
        """
        purposes: dict[int, SpeechPurpose] = {}
        limit = contextlib.nullcontext() if within is None else self._clock.timeout_at(self._clock.now() + within)
        async with limit:
            async for event in self.events(AgentSpeechStarted, AgentSpeechEnded, start=self._replies_read):
                self._replies_read = (event.seq or 0) + 1
                if isinstance(event, AgentSpeechStarted):
                    purposes[event.utterance] = event.purpose
                elif (
                    isinstance(event, AgentSpeechEnded)
                    and event.delivered.strip()
                    and purposes.get(event.utterance) is not SpeechPurpose.BACKCHANNEL
                ):
                    return event.delivered
        raise EOFError(f"session {self.id} ended before the agent said anything more")

    async def events(self, *kinds: builtins.type[Event], start: StartAt = Start.BEGINNING) -> AsyncIterator[Event]:
        """The session log's events of ``kinds`` (all if none) from ``start``, as they are recorded, until
        the session ends (its ``SessionEnded`` is the last one yielded when asked for)."""
        async for event in self.session.follow(f"{self.source}-events", start=start, kinds=kinds or None):
            if isinstance(event, SessionEnded):
                if not kinds or SessionEnded in kinds or Event in kinds:
                    yield event
                return
            yield event

    async def log(self) -> list[Event]:
        """The whole session log so far."""
        return await self._bus.read(self.id)

    # --- running ----------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the session, its background lane and the hooks while the block runs; end the session after."""
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._run_session())
            tasks.create_task(self.run_beside())
            try:
                yield
            finally:
                if not self.ended:
                    await self.session.inject(EndSession(reason="the app's session block ended"), source=self.source)

    async def run_beside(self) -> None:
        """Run what goes beside the session (its background lane, the claim monitor, the hooks) until it ends; a
        transport that runs the session itself runs this with it."""
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._lane.run())
            if self._monitor is not None:
                tasks.create_task(self._monitor.run())
            if self._hooks:
                tasks.create_task(self._call_hooks())

    async def _run_session(self) -> None:
        try:
            await self.session.run()
        finally:
            self._ended.set()

    async def _call_hooks(self) -> None:
        async for event in self.session.follow("hooks", start=Start.BEGINNING, kinds=self._hooks.kinds):
            await self._hooks.call(event)
