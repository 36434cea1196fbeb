"""The public agent API: Agent, its sessions for custom transports, hooks, tool sources, instructions."""

from __future__ import annotations

from pathlib import Path

import pytest

from microturn import (
    Agent,
    AgentSpeechEnded,
    ApprovalDecided,
    Event,
    JobResult,
    MCPServer,
    ModelRequest,
    Risk,
    SessionEnded,
    ToolCalled,
    ToolError,
    ToolRegistry,
    ToolResult,
    TurnBasedPolicy,
    tool,
)
from microturn.errors import ConfigError
from microturn.testing import AgentRun, FakeModel, ScriptedAgent, VirtualClock, run_agent, spoken, typed


@tool(scopes=["weather:read"], trigger=r"weather in (?P<city>[a-z]+)")
def weather(city: str) -> str:
    """Today's weather in a city."""
    return f"Sunny in {city.title()}, 21 degrees."


async def echo(request: ModelRequest) -> str:
    return f"Heard {request.user_text}"


def test_a_message_gets_a_reply_through_a_custom_transport() -> None:
    agent = Agent(model="scripted", builtin_tools=False)
    clock = VirtualClock()

    async def main() -> tuple[str, str, bool]:
        async with agent.session(clock=clock) as talk:
            await talk.send("what is two plus three?")
            first = await talk.next_reply(within=10)
            await talk.send("thanks")
            second = await talk.next_reply(within=10)
            await talk.end()
            return first, second, talk.ended

    first, second, ended = clock.run(main())
    assert "5" in first or "five" in first.lower()
    assert second
    assert second != first  # each call returns the next utterance, not the same one again
    assert ended


def test_next_reply_times_out_in_session_time_when_the_agent_stays_silent() -> None:
    agent = Agent(model="scripted", builtin_tools=False)
    clock = VirtualClock()

    async def main() -> float:
        async with agent.session(clock=clock) as talk:
            start = clock.now()
            with pytest.raises(TimeoutError):
                await talk.next_reply(within=5)
            return clock.now() - start

    assert clock.run(main()) == pytest.approx(5.0)


def test_instructions_reach_every_model_request_and_the_log() -> None:
    model = FakeModel(echo)
    agent = Agent("You are a pirate. Say arr.", model=model, builtin_tools=False)
    run = run_agent(agent, typed("hello there", at=1.0, submit_at=1.5))
    assert run.replies == ["Heard hello there"]
    assert model.requests
    assert all(request.persona == "You are a pirate. Say arr." for request in model.requests)
    started = run.log[0]
    assert started.config["instructions"] == "You are a pirate. Say arr."  # type: ignore[attr-defined]
    assert started.config["model"] == "fake"  # type: ignore[attr-defined]


def test_a_low_risk_tool_answers_from_its_trigger_and_hooks_see_the_call() -> None:
    seen: list[Event] = []
    agent = Agent(model="scripted", tools=[weather], scopes=["weather:read"], builtin_tools=False)
    agent.on(ToolCalled, ToolResult)(seen.append)
    run = run_agent(agent, typed("what's the weather in lisbon", at=1.0, submit_at=2.0))
    assert [type(event) for event in seen] == [ToolCalled, ToolResult]
    assert run.first(ToolResult).output == "Sunny in Lisbon, 21 degrees."
    assert any("Sunny in Lisbon" in reply for reply in run.replies)


def test_a_tool_without_its_scope_granted_does_not_run() -> None:
    agent = Agent(model="scripted", tools=[weather], builtin_tools=False)  # weather:read not granted
    run = run_agent(agent, typed("what's the weather in lisbon", at=1.0, submit_at=2.0))
    result = run.first(ToolResult)
    assert result.error
    assert "not permitted" in result.output


def test_a_hook_that_raises_costs_nothing_but_itself() -> None:
    calls: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("a bug in the app's hook")

    agent = Agent(model="scripted", builtin_tools=False)
    agent.on(AgentSpeechEnded)(broken)
    agent.on(AgentSpeechEnded, SessionEnded)(lambda event: calls.append(type(event).__name__))
    run = run_agent(agent, typed("hello", at=1.0, submit_at=1.5))
    assert run.replies  # the session went on
    assert calls == ["AgentSpeechEnded", "SessionEnded"]


def test_async_hooks_are_awaited_and_every_kind_is_offered_with_event() -> None:
    kinds: list[str] = []

    async def record(event: Event) -> None:
        kinds.append(type(event).__name__)

    agent = Agent(model="scripted", builtin_tools=False)
    agent.on(Event)(record)
    run = run_agent(agent, typed("hello", at=1.0, submit_at=1.5))
    assert kinds == [type(event).__name__ for event in run.log]


def test_background_work_uses_the_agent_model_given_as_an_object() -> None:
    @tool  # no trigger: the talking agent does not call it; a background job may
    def order_status(order: str) -> str:
        """Look up where an order is."""
        return f"Order {order} ships tomorrow."

    agent = Agent(model="scripted", background_model=ScriptedAgent(), tools=[order_status], builtin_tools=False)
    run = run_agent(agent, typed("can you look up order 42", at=1.0, submit_at=2.0))
    assert run.first(JobResult).text == "Order 42 ships tomorrow."
    assert any("Order 42 ships tomorrow" in reply for reply in run.replies)  # woven in at a pause


def test_a_policy_object_is_used_and_recorded_by_name() -> None:
    agent = Agent(model="scripted", policy=TurnBasedPolicy(end_silence=0.3), builtin_tools=False)
    run = run_agent(agent, spoken("hello there", 1.0))  # the turn-based policy ends the turn after 0.3 s of silence
    assert run.log[0].config["policy"] == "turn-based"  # type: ignore[attr-defined]
    assert run.replies


def test_tool_sources_are_combined_and_clashing_names_refused() -> None:
    agent = Agent(model="scripted", tools=[weather, ToolRegistry([weather])], builtin_tools=False)
    with pytest.raises(ToolError, match="weather"):
        run_agent(agent, [])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"policy": "chatty"}, "unknown policy 'chatty'"),
        ({"voice": "loud"}, "voice must be"),
        ({"scopes": "files:read"}, "list of scopes"),
    ],
)
def test_bad_settings_are_refused_with_the_fix(arguments: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Agent(**arguments)  # type: ignore[arg-type]


def test_a_workspace_needs_the_builtin_file_tools(tmp_path: Path) -> None:
    agent = Agent(model="scripted", builtin_tools=False, workspace=tmp_path)
    with pytest.raises(ConfigError, match="workspace"):
        run_agent(agent, [])


def test_an_mcp_server_needs_a_command() -> None:
    with pytest.raises(ConfigError, match="command"):
        MCPServer(name="time", command=[])
    server = MCPServer(name="time", command=["python", "-m", "mcp_server_time"])
    assert server.risk is Risk.HIGH  # third-party tools ask first unless lowered


def test_sending_to_an_ended_session_is_refused() -> None:
    agent = Agent(model="scripted", builtin_tools=False)
    clock = VirtualClock()

    async def main() -> None:
        async with agent.session(clock=clock) as talk:
            await talk.end()
            with pytest.raises(ConfigError, match="has ended"):
                await talk.send("anyone there?")

    clock.run(main())


def test_the_readmes_library_example_does_what_the_readme_says() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Build your own agent", 1)[1].split("\n## ", 1)[0]
    define, check = [block.split("\n```", 1)[0] for block in section.split("```python\n")[1:3]]
    assert "agent.run_console()" in define
    namespace: dict[str, object] = {}
    exec(define.replace("agent.run_console()", "pass"), namespace)  # the terminal is not for a test
    exec(check, namespace)  # its assert: the refund ran after the user's yes
    run = namespace["run"]
    assert isinstance(run, AgentRun)
    assert run.first(ApprovalDecided).granted
