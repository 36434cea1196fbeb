"""Tool use as text, the background role played by a model, and which model plays each role."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from microturn import JobProgress, JobRequested, JobResult, Note, ToolResult, VirtualClock, open_bus
from microturn._background import BackgroundLane, Finish, JobContext, ModelAgent, Observation, UseTool
from microturn._background._model_agent import cannot
from microturn._core._actions import Record
from microturn._core._tools import FakeToolbox, ToolSpec
from microturn._models import ModelRequest, ScriptedModel, ToolCall, ToolStep
from microturn._models._openai import OpenAICompatibleModel
from microturn._models._roles import ModelChoice, build_model, load_roles
from microturn._models._tool_text import WorkerLine, describe_tools, parse_call, render_steps
from microturn._session import Session
from microturn.errors import ConfigError
from microturn.testing import FakePolicy, TimedSource, end

CALCULATOR = ToolSpec(
    name="calculator",
    description="Evaluate arithmetic exactly.",
    parameters={
        "type": "object",
        "properties": {"expression": {"type": "string", "description": "Arithmetic such as 2 + 3"}},
        "required": ["expression"],
    },
)
CLOCK = ToolSpec(name="current_time", description="The time now.", parameters={"properties": {"zone": {}}})
TOOLS = (CALCULATOR, CLOCK)

# --- tool use as text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "call"),
    [
        ('call: calculator {"expression": "2 + 2"}', ToolCall("calculator", {"expression": "2 + 2"})),
        ("  call:calculator(12 * 7)", ToolCall("calculator", {"expression": "12 * 7"})),
        ("call: current_time", ToolCall("current_time", {})),
        ('call: current_time {"zone": ', ToolCall("current_time", {})),
        ("call: delete_files {}", None),
        ("answer: 4", None),
        ("the calculator says call: calculator {}", None),
    ],
)
def test_a_call_line_names_an_offered_tool_and_its_arguments(line: str, call: ToolCall | None) -> None:
    assert parse_call(line, TOOLS) == call


def test_tools_and_steps_are_written_as_lines_with_results_quoted_as_data() -> None:
    assert describe_tools([CALCULATOR]) == (
        'calculator {"expression": "Arithmetic such as 2 + 3"} — Evaluate arithmetic exactly.'
    )
    step = ToolStep(ToolCall("calculator", {"expression": "1/0"}), "division\nby zero", error=True)
    assert render_steps([step]) == [('call: calculator {"expression": "1/0"}', "error: «division ⏎ by zero»")]


def test_an_answer_streams_at_once_and_a_call_is_read_whole() -> None:
    answer = WorkerLine(TOOLS)
    assert [answer.feed(piece) for piece in [" ans", "wer:", " It is", " 4."]] == ["", "", "It is", " 4."]
    assert answer.end() == ""
    call = WorkerLine(TOOLS)
    assert [call.feed(piece) for piece in ["call", ": calculator ", '{"expression": "2+2"}']] == ["", "", ""]
    assert call.end() == ToolCall("calculator", {"expression": "2+2"})
    plain = WorkerLine(TOOLS)  # a model that forgets the "answer:" label still answers
    assert plain.feed("It is 4.") == "It is 4."
    named = WorkerLine(TOOLS)  # ... even when its answer starts with a tool's name
    assert [named.feed(piece) for piece in ["calc", "ulator says", " 4."]] == ["", "calculator says", " 4."]


def test_a_copied_tool_listing_is_no_answer_and_no_call() -> None:
    """The embedded model went on with the prompt's tool list: that line was spoken as the job's result."""
    copied = WorkerLine(TOOLS)
    pieces = ["calcul", "ator", ' {"expression": "Arithmetic such as 2 + 3"}', " — Evaluate arithmetic exactly."]
    assert [copied.feed(piece) for piece in pieces] == ["", "", "", ""]
    assert copied.end() == ""


# --- the background role played by a model -----------------------------------------------------------------


class ToolUsingFake:
    """A FAKE tool-using model: calls the calculator first, then answers from the result it was given."""

    name: ClassVar[str] = "tool-using-fake"

    def __init__(self) -> None:
        self.requests: list[ModelRequest] = []

    async def stream(self, request: ModelRequest) -> AsyncIterator[str | ToolCall]:
        self.requests.append(request)
        if not request.steps:
            yield ToolCall("calculator", {"expression": "12 * 7"})
            return
        for word in f"It comes to {request.steps[-1].output}.".split(" "):
            yield word + " "


async def test_a_model_agent_calls_a_tool_through_the_lane_and_answers_from_its_result(clock: VirtualClock) -> None:
    calls: list[dict[str, Any]] = []

    async def calculator(tool: str, arguments: dict[str, Any]) -> str:
        calls.append(arguments)
        return "84"

    model = ToolUsingFake()
    bus = open_bus("memory")
    steps = [(1.0, Note(text="start")), *end(5.0)]  # the agent starts the job (input cannot claim to be it)
    job = JobRequested(job="j1", task="work out 12 times 7")
    policy = FakePolicy(lambda _, event: [Record(job)] if isinstance(event, Note) else [])
    session = Session(bus=bus, clock=clock, policy=policy, sources=[TimedSource(steps)])
    lane = BackgroundLane(
        session,
        clock=clock,
        agent=ModelAgent(model, clock=clock),
        tools=FakeToolbox(calculator),
        tool_specs=[CALCULATOR],
    )
    async with asyncio.TaskGroup() as group:
        group.create_task(session.run())
        group.create_task(lane.run())
    log = await bus.read(session.id)
    assert calls == [{"expression": "12 * 7"}]
    assert [e.text for e in log if isinstance(e, JobProgress)] == ["using calculator"]
    assert [e.output for e in log if isinstance(e, ToolResult)] == ["84"]
    assert [e.text for e in log if isinstance(e, JobResult)] == ["It comes to 84."]
    first, second = model.requests
    assert (first.user_text, first.tools, first.steps) == ("work out 12 times 7", (CALCULATOR,), ())
    assert second.steps == (ToolStep(ToolCall("calculator", {"expression": "12 * 7"}), "84"),)


class InventingFake:
    """A FAKE small model that answers every task from its own "knowledge", as the embedded one did."""

    name: ClassVar[str] = "inventing-fake"

    async def stream(self, request: ModelRequest) -> AsyncIterator[str | ToolCall]:
        yield "The Grand Hotel has rooms for 80 euros."


class EmbeddedFake(InventingFake):
    """The same FAKE, named as the embedded model is."""

    name: ClassVar[str] = "embedded"


TRIGGERED = ToolSpec(
    name="calculator", description="Evaluate arithmetic exactly.", trigger=r"(?P<expression>\d+ times \d+)"
)


async def test_a_grounded_agent_says_plainly_what_no_tool_can_do_instead_of_inventing_it() -> None:
    agent = ModelAgent(InventingFake(), clock=VirtualClock(), grounded=True)
    context = JobContext(job="j1", task="find me a hotel in porto", timeline="", tools=(TRIGGERED, CLOCK))
    step = await agent.step(context, [])
    assert step == Finish(cannot((TRIGGERED, CLOCK)))
    assert step.answer.startswith("I can't do that from here: none of my tools can.")
    assert "calculator, current time" in step.answer
    assert "--mcp" in step.answer


async def test_a_grounded_agent_uses_the_tool_a_trigger_names_and_reports_what_it_said() -> None:
    agent = ModelAgent(InventingFake(), clock=VirtualClock(), grounded=True)
    context = JobContext(job="j1", task="work out 17 times 23", timeline="", tools=(TRIGGERED,))
    assert await agent.step(context, []) == UseTool(
        "calculator", {"expression": "17 times 23"}, note="using calculator"
    )
    seen = [Observation("calculator", {"expression": "17 times 23"}, "17 times 23 is 391.")]
    assert await agent.step(context, seen) == Finish("17 times 23 is 391.")
    failed = [Observation("calculator", {}, "not permitted", error=True)]
    assert await agent.step(context, failed) == Finish("I couldn't do that: not permitted")


async def test_only_the_embedded_model_is_grounded_by_default() -> None:
    context = JobContext(job="j1", task="find me a hotel in porto", timeline="", tools=(CLOCK,))
    assert await ModelAgent(InventingFake(), clock=VirtualClock()).step(context, []) == Finish(
        "The Grand Hotel has rooms for 80 euros."
    )
    assert await ModelAgent(EmbeddedFake(), clock=VirtualClock()).step(context, []) == Finish(cannot((CLOCK,)))


# --- which model plays each role ---------------------------------------------------------------------------


def test_by_default_the_embedded_model_talks_and_works_and_the_background_follows_the_talking_model() -> None:
    roles = load_roles(environ={})
    assert (roles.interaction.model, roles.background.model) == ("embedded", "embedded")
    assert load_roles(environ={}, interaction="scripted").background.model == "scripted"  # the fake, by name
    environ = {"MICROTURN_OPENAI_BASE_URL": "http://shared:1/v1", "MICROTURN_OPENAI_MODEL": "small"}
    assert load_roles(environ=environ, interaction="openai").background == ModelChoice(
        "openai", "http://shared:1/v1", "small", context_tokens=0
    )
    assert load_roles(environ={"MICROTURN_BACKGROUND_MODEL": "scripted"}).background.model == "scripted"


def test_flags_win_over_the_environment_which_wins_over_the_file(tmp_path: Path) -> None:
    config = tmp_path / "microturn.toml"
    config.write_text(
        '[interaction]\nmodel = "scripted"\n\n'
        '[background]\nmodel = "openai"\nbase_url = "http://file:1/v1"\nname = "big"\napi_key_env = "MY_KEY"\n'
    )
    from_file = load_roles(config_file=config, environ={})
    assert from_file.interaction == ModelChoice(model="scripted")
    assert from_file.background == ModelChoice("openai", "http://file:1/v1", "big", "MY_KEY")
    environ = {"MICROTURN_MODEL": "embedded", "MICROTURN_BACKGROUND_OPENAI_BASE_URL": "http://env:2/v1"}
    from_env = load_roles(config_file=config, environ=environ)
    assert from_env.interaction.model == "embedded"
    assert from_env.background.base_url == "http://env:2/v1"
    from_flags = load_roles(config_file=config, environ=environ, interaction="scripted", background="embedded")
    assert (from_flags.interaction.model, from_flags.background.model) == ("scripted", "embedded")
    via_env = load_roles(environ={"MICROTURN_CONFIG": str(config)})
    assert via_env.background.name == "big"


def test_each_role_can_have_its_own_server_and_key_and_the_key_stays_out_of_sight() -> None:
    environ = {
        "MICROTURN_OPENAI_BASE_URL": "http://shared:1/v1",
        "MICROTURN_OPENAI_MODEL": "small",
        "MICROTURN_BACKGROUND_OPENAI_MODEL": "big",
        "MICROTURN_BACKGROUND_OPENAI_API_KEY": "sk-secret-background",
    }
    roles = load_roles(environ=environ, interaction="openai", background="openai")
    assert (roles.interaction.name, roles.background.name) == ("small", "big")
    assert roles.background.base_url == "http://shared:1/v1"
    model = build_model(roles.background, role="background", clock=VirtualClock(), environ=environ)
    assert isinstance(model, OpenAICompatibleModel)
    assert "sk-secret" not in repr(model) + repr(roles)
    talking = build_model(roles.interaction, role="interaction", clock=VirtualClock(), environ=environ)
    assert "small" in repr(talking)
    assert isinstance(build_model(ModelChoice("scripted"), role="interaction", clock=VirtualClock()), ScriptedModel)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[interaction]\nmodel = "gpt"\n', "unknown interaction model 'gpt'"),
        ('[background]\nmodel = "openai"\n', "MICROTURN_BACKGROUND_OPENAI_BASE_URL"),
        ('[background]\nmodle = "openai"\n', "is invalid"),
        ("[interaction\n", "cannot read"),
        ('[interaction]\napi_key = "sk-1"\n', "is invalid"),
    ],
)
def test_a_bad_config_file_is_a_clear_error(tmp_path: Path, text: str, says: str) -> None:
    config = tmp_path / "microturn.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=says.replace("(", r"\(")):
        load_roles(config_file=config, environ={})


def test_a_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_roles(config_file=tmp_path / "nope.toml", environ={})
