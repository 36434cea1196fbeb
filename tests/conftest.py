"""Every ``async def`` test runs on a fresh VirtualClock loop (see microturn.testing.pytest_plugin); the browser
tests share one Playwright driver per module, for the system Chromium."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, sync_playwright

pytest_plugins = ["microturn.testing.pytest_plugin"]

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium, which Playwright drives (never ``playwright install``)."""


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"the browser tests need {CHROMIUM}: apt-get install chromium (./dev test does it)")
    with sync_playwright() as driver:
        yield driver
