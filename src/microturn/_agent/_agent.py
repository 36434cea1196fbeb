"""``Agent``: what an agent is told, what it runs on and what it may do; run it in the terminal, a browser or
your own transport."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import msgspec

from microturn._agent._hooks import Hook, Hooks
from microturn._agent._models import MonitorChoice, monitor_choice, open_checker, open_models
from microturn._agent._session import AgentSession
from microturn._agent._toolset import ToolSource, open_toolset
from microturn._background import AgentModel
from microturn._bus import EventBus, LogConfig, open_bus
from microturn._core._clock import Clock, SystemClock, run_with_clock
from microturn._core._config import SessionConfig
from microturn._core._events import Event
from microturn._models import ChatModel
from microturn._policies import POLICIES, Policy
from microturn._session._output import SpeechOutput
from microturn._tools import SandboxLimits
from microturn.errors import ConfigError

__all__ = ["Agent", "Voice", "open_agent_session"]

Voice = Literal["real", "fake", "off"]
"""Speech engines: real (offline VAD, recognition and synthesis: ``microturn[voice]``), fake (tones and
scripted words, for trying a page or testing), off (typing only)."""


class Agent:
    """An interaction-native agent. Build one, then talk with it::

        agent = Agent("You are a friendly barista.", tools=[menu], model="embedded")
        agent.run_console()  # in this terminal; or agent.serve() for the browser

    ``model`` talks (always on, fast); ``background_model`` does delegated work (a ReAct loop over the
    tools). Each is a registered name (``"embedded"``, ``"openai"`` — set ``MICROTURN_OPENAI_BASE_URL``
    and ``MICROTURN_OPENAI_MODEL`` —, ``"scripted"``, or one you registered with :func:`register_model`)
    or a model object; the session log records what ran by name, and a replay plays the recorded output
    back without building any model. ``background_model`` defaults to ``model``'s name (its own instance),
    or to the same object. ``policy`` decides when to talk, listen, stop and interject: ``"full-duplex"``
    (the default), ``"turn-based"``, or a :class:`Policy`.

    ``tools`` are typed functions (see :func:`tool`), toolboxes and :class:`MCPServer` s; with
    ``builtin_tools`` the agent also has a calculator, the world clock, sandboxed Python (within the
    ``sandbox`` limits) and, given a ``workspace``, its files. A tool runs only if the agent was granted
    every one of its ``scopes``; a high-risk one only after the user said yes, when the agent asked.

    ``instructions`` (and ``background_instructions``) say who the agent is and how it behaves; they reach
    every model request and are recorded in the log. ``config`` holds the timing knobs (tick, speaking rate).

    ``monitor`` checks what the user says while they talk (wrong facts, false premises, plans that contradict
    what they said before), so the agent can correct them at their next pause: by default it runs only when
    the background model is an OpenAI-compatible server (the embedded 270M model cannot judge facts) other
    than the model object the agent talks with; ``True`` runs it on the background model anyway, ``False``
    never; or give it the model (a name or a ChatModel) to check with. docs/monitor.md says what it costs.
    """

    def __init__(
        self,
        instructions: str = "",
        *,
        model: str | ChatModel = "embedded",
        background_model: str | ChatModel | AgentModel | None = None,
        background_instructions: str = "",
        tools: Sequence[ToolSource] = (),
        builtin_tools: bool = True,
        workspace: Path | None = None,
        sandbox: SandboxLimits | None = None,
        scopes: Sequence[str] = (),
        policy: str | Policy = "full-duplex",
        voice: Voice = "off",
        config: SessionConfig | None = None,
        monitor: MonitorChoice = None,
    ) -> None:
        if isinstance(policy, str) and policy not in POLICIES:
            raise ConfigError(f"unknown policy {policy!r}; choose one of: {', '.join(sorted(POLICIES))}")
        if voice not in ("real", "fake", "off"):
            raise ConfigError(f"voice must be 'real', 'fake' or 'off', got {voice!r}")
        if isinstance(scopes, str):
            raise ConfigError(f"scopes is a list of scopes, such as ['files:read'], not the string {scopes!r}")
        self.instructions = instructions
        self.model = model
        self.background_model = background_model if background_model is not None else model
        monitor_choice(monitor, self.background_model, model)  # a choice that cannot work fails here, not later
        self.monitor = monitor
        self.tools = list(tools)
        self.builtin_tools = builtin_tools
        self.workspace = workspace
        self.sandbox = sandbox
        self.policy = policy
        self.voice: Voice = voice
        self.config = msgspec.structs.replace(
            config or SessionConfig(),
            instructions=instructions,
            background_instructions=background_instructions,
            scopes=list(scopes),
            policy=policy if isinstance(policy, str) else policy.name,
            model=_name(model),
            background_model=_name(self.background_model),
        )
        self.hooks = Hooks()

    # --- hooks --------------------------------------------------------------------------------------

    def on(self, *kinds: type[Event]) -> Callable[[Hook], Hook]:
        """Call the decorated function with every event of these kinds, in every session, as it is recorded::

            @agent.on(ToolCalled, ToolResult)
            def log_tool(event: ToolCalled | ToolResult) -> None: ...

        ``on(Event)`` gets everything. Hooks run beside the session, in log order; one that raises is
        logged and skipped, never the session's end. A slow hook delays only the hooks after it.
        """

        def register(hook: Hook) -> Hook:
            self.hooks.add(kinds, hook)
            return hook

        return register

    # --- running it ---------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def session(
        self,
        *,
        clock: Clock | None = None,
        bus: EventBus | None = None,
        session_id: str | None = None,
        log_dir: Path | None = None,
    ) -> AsyncIterator[AgentSession]:
        """A live conversation for a transport of your own, running while the block runs::

            async with agent.session() as talk:
                await talk.send("what's 17 times 23?")
                async for reply in talk.replies():
                    print(reply)

        The session, its background lane and the hooks run in tasks of their own; leaving the block ends
        the session (if it has not ended) and waits for it. ``clock`` is real time by default (pass a
        ``VirtualClock`` to test in virtual time); ``log_dir`` journals the session log there, event by
        event (crash-safe; see ``microturn timeline`` and ``replay``); ``bus`` shares one you opened.
        """
        clock = clock or SystemClock()
        if bus is not None and log_dir is not None:
            raise ConfigError("give session() a bus or a log_dir for the bus it opens, not both")
        async with contextlib.AsyncExitStack() as stack:
            if bus is None:
                bus = open_bus("memory", log_dir=log_dir)
                stack.push_async_callback(bus.aclose)
            talk = await stack.enter_async_context(
                open_agent_session(self, clock=clock, bus=bus, session_id=session_id)
            )
            async with talk.running():
                yield talk

    def run_console(
        self, *, record: Path | None = None, log_dir: Path | None = None, log_config: LogConfig | None = None
    ) -> None:
        """Talk with the agent in this terminal until Ctrl-D: your keystrokes stream to it as you type, its
        words stream back, and typing while it talks interrupts it. ``record`` writes the session log there
        at the end; ``log_dir`` journals it as it goes."""
        from microturn._apps._console import run_agent_chat

        run_agent_chat(self, record=record, log_dir=log_dir, log_config=log_config)

    def serve(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8765,
        token: str | None = None,
        log_dir: Path | None = None,
        max_conversations: int = 4,
        announce: Callable[[str], None] = print,
    ) -> None:
        """Serve a page where people talk with the agent (by voice unless ``voice="off"``) until Ctrl-C.

        Each browser tab is one conversation with its own session. ``announce`` gets the page's URL with
        its access token (``token``, or a new random one). Needs ``pip install 'microturn[serve]'`` (and
        ``microturn[voice]`` for ``voice="real"``).
        """
        from microturn._apps._serving import serve_agent

        serve_agent(
            self,
            host=host,
            port=port,
            token=token,
            log_dir=log_dir,
            max_conversations=max_conversations,
            announce=announce,
        )

    def run(self, main: Callable[[AgentSession], Any], *, clock: Clock | None = None) -> None:
        """Run ``async def main(session)`` in a session on a fresh event loop (a script's entry point)."""
        clock = clock or SystemClock()

        async def go() -> None:
            async with self.session(clock=clock) as talk:
                await main(talk)

        run_with_clock(clock, go)

    def __repr__(self) -> str:
        return f"Agent(model={self.config.model!r}, policy={self.config.policy!r}, tools={len(self.tools)})"


def _name(component: str | ChatModel | AgentModel) -> str:
    return component if isinstance(component, str) else str(component.name)


def _new_id(clock: Clock) -> str:
    started = dt.datetime.fromtimestamp(clock.wall(), tz=dt.UTC)
    return started.strftime("session-%Y%m%d-%H%M%S")


@contextlib.asynccontextmanager
async def open_agent_session(
    agent: Agent, *, clock: Clock, bus: EventBus, session_id: str | None = None, output: SpeechOutput | None = None
) -> AsyncIterator[AgentSession]:
    """A session of ``agent``, built but not running (its tools and models open while the block runs): for
    transports that run the session themselves (``serve``), and :meth:`Agent.session`."""
    async with contextlib.AsyncExitStack() as stack:
        toolbox = await stack.enter_async_context(
            open_toolset(
                agent.tools, clock=clock, builtins=agent.builtin_tools, workspace=agent.workspace, sandbox=agent.sandbox
            )
        )
        model, worker = await stack.enter_async_context(open_models(agent, clock=clock))
        checker = await stack.enter_async_context(open_checker(agent, clock=clock))
        yield AgentSession(
            agent,
            bus=bus,
            clock=clock,
            session_id=session_id or _new_id(clock),
            model=model,
            worker=worker,
            toolbox=toolbox,
            output=output,
            checker=checker,
        )
