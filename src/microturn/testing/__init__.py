"""Public testing helpers: virtual time, scripted input, fakes, scenario runs.

Use them to test policies, transports and adapters deterministically::

    from microturn.testing import VirtualClock, run_session, spoken, end

    def test_answers() -> None:
        clock = VirtualClock()
        session, log = clock.run(run_session(clock, [*spoken("hello there", 1.0), *end(5.0)]))

For pytest, ``pytest_plugins = ["microturn.testing.pytest_plugin"]`` runs ``async def`` tests on a
virtual clock (with a ``clock`` fixture), like trio's autojump clock.
"""

from microturn._core._clock import VirtualClock
from microturn._core._tools import FakeToolbox
from microturn._eval import load_scenario, run_scenario
from microturn._models import ScriptedModel
from microturn.testing._fakes import FakeModel, FakePolicy
from microturn.testing._sessions import Step, TimedSource, end, run_session, spoken, typed

__all__ = [
    "FakeModel",
    "FakePolicy",
    "FakeToolbox",
    "ScriptedModel",
    "Step",
    "TimedSource",
    "VirtualClock",
    "end",
    "load_scenario",
    "run_scenario",
    "run_session",
    "spoken",
    "typed",
]
