"""The programs in examples/ do what their docstrings say, in virtual time with the scripted models.

examples/ is not a package: each file is loaded by path, as a user would run it. Every example builds its
agent with ``build_agent(model=...)``; the tests pass ``"scripted"`` (a deterministic fake) where the program
itself runs the real default model. The MCP example starts the real ``mcp-server-time`` process, so it runs
on the system clock (a virtual one would jump past the server's start-up); it takes about two seconds.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from types import ModuleType

import pytest
from websockets.asyncio.client import connect

from microturn import (
    Agent,
    AgentSession,
    AgentStep,
    ApprovalDecided,
    ApprovalRequested,
    CueFired,
    Finish,
    JobContext,
    JobRequested,
    JobResult,
    Observation,
    ResultWoven,
    TimerCancelled,
    TimerFired,
    TimerSet,
    ToolCalled,
    ToolResult,
    UseTool,
    VirtualClock,
)
from microturn.testing import FakeAgent, run_agent, spoken, typed

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PROGRAMS = sorted(path for path in EXAMPLES.glob("*.py"))
ALLOWED_IMPORTS = {"microturn", "websockets", *sys.stdlib_module_names}


def load(name: str) -> ModuleType:
    """An example, imported from its file (and registered, so its tools' type hints resolve)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def scripted(name: str, **options: object) -> Agent:
    agent = load(name).build_agent("scripted", **options)
    assert isinstance(agent, Agent)
    return agent


# --- every example ------------------------------------------------------------------------------------


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda path: path.stem)
def test_an_example_is_a_documented_program_on_the_public_api(program: Path) -> None:
    tree = ast.parse(program.read_text())
    docstring = ast.get_docstring(tree)
    assert docstring is not None
    assert "python examples/" + program.name in docstring, "say how to run it"
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0}
    assert {name.split(".")[0] for name in imported} <= ALLOWED_IMPORTS
    assert {name for name in imported if name.startswith("microturn")} <= {"microturn", "microturn.testing"}
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert "build_agent" in functions
    assert any(isinstance(node, ast.If) and "__main__" in ast.unparse(node.test) for node in tree.body)
    assert f"`{program.name}`" in (EXAMPLES / "README.md").read_text()


def test_there_are_at_least_five_examples_and_the_support_agent_fits_in_thirty_lines() -> None:
    assert len(PROGRAMS) >= 5
    assert len((EXAMPLES / "support_agent.py").read_text().splitlines()) <= 30


# --- support_agent.py: a refund that needs a yes, an order lookup in the background ---------------------


def test_the_support_agent_asks_before_refunding_and_refunds_on_yes() -> None:
    run = run_agent(scripted("support_agent"), [*typed("refund order 42", at=1.0, submit_at=1.5), *spoken("yes", 10.0)])
    asked = run.first(ApprovalRequested)
    assert (asked.tool, asked.arguments) == ("refund", {"order": "42"})
    assert any("refund" in reply and "?" in reply for reply in run.replies), run.transcript
    decided = run.first(ApprovalDecided)
    assert decided.granted
    (called,) = [event for event in run.of(ToolCalled) if event.tool == "refund"]  # asked for, not yet run
    (result,) = [event for event in run.of(ToolResult) if event.call == called.call]
    assert (result.seq or 0) > (decided.seq or 0), "run once the user said yes"
    assert result.output == "Order 42 is refunded: the money is on its way back."
    assert "Order 42 is refunded" in " ".join(run.replies), run.transcript


def test_the_support_agent_does_not_refund_on_no() -> None:
    run = run_agent(scripted("support_agent"), [*typed("refund order 42", at=1.0, submit_at=1.5), *spoken("no", 10.0)])
    assert run.first(ApprovalRequested).tool == "refund"
    assert not run.first(ApprovalDecided).granted
    (result,) = run.of(ToolResult)  # the call the agent asked to make was refused, never run
    assert result.error
    assert result.output.startswith("not approved by the user")
    assert "refunded" not in " ".join(run.replies)


def test_the_support_agent_looks_an_order_up_in_the_background_and_weaves_the_answer_in() -> None:
    run = run_agent(scripted("support_agent"), typed("can you look up order 42", at=1.0, submit_at=1.5))
    job = run.first(JobRequested)
    assert job.task == "look up order 42"
    (called,) = run.of(ToolCalled)
    assert (called.tool, called.arguments, called.source) == ("look_up_order", {"order": "42"}, "background")
    assert run.first(JobResult).text == "Order 42 shipped on Monday and arrives on Thursday."
    assert run.first(ResultWoven).job == job.job
    assert "arrives on Thursday" in " ".join(run.replies)


# --- cooking_companion.py: a recipe tool called while the user speaks, timers ---------------------------


def test_the_cooking_companion_looks_the_recipe_up_before_the_question_is_over() -> None:
    question = spoken("what is the recipe for pancakes please", 1.0)
    run = run_agent(scripted("cooking_companion"), question)
    called = run.first(ToolCalled)
    assert (called.tool, called.arguments) == ("recipe", {"dish": "pancakes"})
    assert called.t < question[-1][0], "called while the user was still speaking"
    assert run.replies[0].startswith("Pancakes: whisk 2 eggs")


def test_a_kitchen_timer_goes_off_on_time_and_rings_the_hook() -> None:
    rung: list[TimerFired] = []
    request = spoken("remind me in 2 minutes to flip the pancake", 1.0)
    run = run_agent(scripted("cooking_companion", on_timer=rung.append), request, settle=150.0)
    due = request[-1][0] + 0.3 + 120.0  # two minutes after the request's last word ended
    assert run.first(TimerSet).due == pytest.approx(due)
    assert "Okay, in 2 minutes." in run.replies
    (fired,) = rung
    assert fired.text == "Reminder: flip the pancake."
    assert fired.t == pytest.approx(due), "on time to the tick: the user was silent"
    assert run.replies[-1] == "Reminder: flip the pancake."


def test_a_timer_due_mid_sentence_interjects_at_the_next_pause_and_the_user_is_answered_after() -> None:
    steps = [
        *spoken("remind me in 10 seconds to flip the pancake", 1.0),
        *spoken("so while it cooks i was thinking we could make the sauce with", 10.0),
        *spoken("lemon and sugar", 15.5),
    ]
    run = run_agent(scripted("cooking_companion"), steps)
    fired = run.first(TimerFired)
    assert run.first(TimerSet).due < fired.t < 15.5, "at the pause after 'with', not at the end of the turn"
    assert run.replies[-2:] == [
        "Reminder: flip the pancake.",
        "You said: so while it cooks i was thinking we could make the sauce with lemon and sugar",
    ]


def test_two_timers_held_back_while_the_user_talks_are_both_said_word_for_word() -> None:
    steps = [
        *spoken("remind me in 20 seconds to flip the pancake", 1.0),
        *spoken("in 15 seconds say stir the sauce", 6.0),
        *spoken("so i am thinking about making a lemon and sugar topping for the first few pancakes today", 20.0),
    ]
    run = run_agent(scripted("cooking_companion"), steps)
    assert {event.text for event in run.of(TimerFired)} == {"Reminder: flip the pancake.", "stir the sauce"}
    said = " ".join(run.replies).split()
    assert "pancake." in said, run.replies
    assert "stir" in said, run.replies


def test_a_repeating_timer_keeps_time_until_the_timers_are_stopped() -> None:
    steps = [*spoken("every 20 seconds say stir the risotto", 1.0), *spoken("stop the timers", 70.0)]
    run = run_agent(scripted("cooking_companion"), steps, settle=60.0)
    start = run.first(TimerSet).due
    assert [event.t for event in run.of(TimerFired)] == pytest.approx([start, start + 20.0, start + 40.0])
    assert run.first(TimerCancelled).t > 70.0
    assert run.replies[-1] == "Okay, timers stopped."


# --- meeting_helper.py: cues, live notes, a summary at the end -----------------------------------------


def test_the_meeting_helper_interjects_on_cues_keeps_notes_and_publishes_a_summary() -> None:
    helper = load("meeting_helper")
    notes = helper.MeetingNotes()
    published: list[str] = []
    steps = [
        *spoken("tell me when I mention a number", 1.0),
        *spoken("stop me if I say synergy", 8.0),
        *spoken("okay team the launch moves to march and we need seventeen more testers", 15.0),
        *spoken("action item anna sends the slides", 25.0),
        *spoken("there is real synergy here between the teams", 32.0),
        *typed("action item: bob books the room", at=40.0, submit_at=41.0),
    ]
    run = run_agent(helper.build_agent("scripted", notes=notes, publish=published.append), steps, settle=20.0)
    seventeen, synergy = run.of(CueFired)
    assert (seventeen.matched, synergy.matched) == ("seventeen", "synergy")
    assert seventeen.t < 15.0 + 12 * 0.3, "while the user was still talking"
    assert {"Number: seventeen.", "Stop! You said synergy."} <= set(run.replies)
    assert notes.lines[2] == "okay team the launch moves to march and we need seventeen more testers"
    assert notes.action_items == ["anna sends the slides", "bob books the room"]
    assert notes.flagged == ["seventeen (watching for a number)", "synergy (watching for synergy)"]
    (summary,) = published
    assert summary.startswith("Meeting notes (1 min 1 s, 6 lines):")
    assert "Action items:\n- anna sends the slides\n- bob books the room\nFlagged:" in summary


# --- voice_assistant.py: tools from a real MCP server, used by a background job -------------------------


async def _lisbon(context: JobContext, observations: Sequence[Observation]) -> AgentStep:
    """A background model that knows one city's zone name and reports what the tool said."""
    if not observations:
        return UseTool("time.get_current_time", {"timezone": "Europe/Lisbon"}, note="asking the time server")
    return Finish(f"The time server says: {observations[-1].output}")


def test_the_voice_assistant_asks_the_mcp_time_server_in_the_background() -> None:
    agent = scripted("voice_assistant", background_model=FakeAgent(_lisbon))
    assert agent.voice == "real"

    async def conversation(talk: AgentSession) -> None:
        await talk.send("can you look up the time in lisbon")
        async with asyncio.timeout(10):
            async for _ in talk.events(JobResult):
                break
        await talk.end()  # the answer is woven in once "On it..." has been said (test_the_support_agent_...)
        log = await talk.log()
        (called,) = [event for event in log if isinstance(event, ToolCalled)]
        assert (called.tool, called.arguments) == ("time.get_current_time", {"timezone": "Europe/Lisbon"})
        (result,) = [event for event in log if isinstance(event, ToolResult)]
        assert not result.error
        assert '"timezone": "Europe/Lisbon"' in result.output
        (answer,) = [event for event in log if isinstance(event, JobResult)]
        assert answer.text == f"The time server says: {result.output}"

    agent.run(conversation)


# --- websocket_chat.py: a transport of your own ---------------------------------------------------------


async def test_the_chat_transport_relays_messages_and_replies_in_virtual_time(clock: VirtualClock) -> None:
    chat = load("websocket_chat")
    sent: list[tuple[float, str]] = []

    async def messages() -> AsyncIterator[str]:
        for pause, message in ((1.0, "hello"), (3.0, "what is 17 times 23"), (3.0, "tell me a story"), (1.0, "/stop")):
            await clock.sleep_until(clock.now() + pause)
            yield message
        await clock.sleep_until(clock.now() + 3.0)

    async def send(text: str) -> None:
        sent.append((clock.now(), text))

    await chat.converse(chat.build_agent("scripted"), messages(), send, clock=clock)
    hello, product, story = (text for _, text in sent)
    assert (hello, product) == ("Hello! What can I do for you?", "17 times 23 is 391.")
    assert story.startswith("Once upon a time")
    assert len(story.split()) < 20, "cut off by /stop"
    delays = [at - message_at for (at, _), message_at in zip(sent, (1.0, 4.0), strict=False)]
    assert max(delays) < 1.0, "a chat reply comes within a second of its message"


def test_the_chat_server_answers_over_a_real_websocket() -> None:
    chat = load("websocket_chat")

    async def scenario() -> str:
        async with chat.chat_server(chat.build_agent("scripted"), port=0) as server:
            port = server.sockets[0].getsockname()[1]
            async with connect(f"ws://127.0.0.1:{port}") as websocket, asyncio.timeout(5):
                await websocket.send("hello")
                reply = await websocket.recv()
                assert isinstance(reply, str)
                return reply

    assert asyncio.run(scenario()) == "Hello! What can I do for you?"
