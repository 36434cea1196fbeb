"""Public testing helpers: virtual time, scripted input, fakes. (Scenario files run with ``microturn eval``.)

Test an agent in virtual time (a minute of conversation takes milliseconds)::

    from microturn.testing import run_agent, typed

    def test_multiplies() -> None:
        run = run_agent(agent, typed("what's 17 times 23?", at=1.0, submit_at=2.0))
        assert "391" in run.replies[0]

Or test policies, transports and adapters at the session level::

    from microturn.testing import VirtualClock, run_session, spoken, end

    def test_answers() -> None:
        clock = VirtualClock()
        session, log = clock.run(run_session(clock, [*spoken("hello there", 1.0), *end(5.0)]))

For pytest, ``pytest_plugins = ["microturn.testing.pytest_plugin"]`` runs ``async def`` tests on a
virtual clock (with a ``clock`` fixture), like trio's autojump clock.
"""

from microturn._background import FakeAgent, ScriptedAgent
from microturn._core._clock import VirtualClock
from microturn._core._tools import FakeToolbox
from microturn._models import ScriptedModel
from microturn.testing._agents import AgentRun, run_agent
from microturn.testing._fakes import FakeModel, FakePolicy
from microturn.testing._sessions import Step, TimedSource, end, run_session, spoken, typed

__all__ = [
    "AgentRun",
    "FakeAgent",
    "FakeModel",
    "FakePolicy",
    "FakeToolbox",
    "ScriptedAgent",
    "ScriptedModel",
    "Step",
    "TimedSource",
    "VirtualClock",
    "end",
    "run_agent",
    "run_session",
    "spoken",
    "typed",
]
