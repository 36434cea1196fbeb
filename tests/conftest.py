"""Every ``async def`` test runs on a fresh VirtualClock loop (see microturn.testing.pytest_plugin)."""

pytest_plugins = ["microturn.testing.pytest_plugin"]
