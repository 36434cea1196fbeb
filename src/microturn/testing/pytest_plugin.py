"""A pytest plugin that runs ``async def`` tests in virtual time.

Enable it with ``pytest_plugins = ["microturn.testing.pytest_plugin"]``.

pytest-asyncio is not a dependency: an async test runs on a fresh :class:`VirtualClock` loop (the
``clock`` fixture's, if the test asks for it), so sleeps and timeouts cost no real time and every run
is deterministic — the idea of trio's autojump-clock fixture.
"""

from __future__ import annotations

import inspect

import pytest

from microturn._core._clock import VirtualClock


@pytest.fixture
def clock() -> VirtualClock:
    """The virtual clock that drives this async test's event loop."""
    return VirtualClock()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    function = pyfuncitem.obj
    if not inspect.iscoroutinefunction(function):
        return None
    parameters = inspect.signature(function).parameters
    arguments = {name: pyfuncitem.funcargs[name] for name in parameters}
    driver = arguments.get("clock")
    if not isinstance(driver, VirtualClock):
        driver = VirtualClock()
    driver.run(function(**arguments))
    return True
