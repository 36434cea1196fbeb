"""Every ``async def`` test runs on a fresh VirtualClock loop (see microturn.testing.pytest_plugin); the browser
tests share one Playwright driver per module, for the system Chromium."""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Playwright, sync_playwright

from microturn._sentences import Adapter

pytest_plugins = ["microturn.testing.pytest_plugin"]

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium, which Playwright drives (never ``playwright install``)."""


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"the browser tests need {CHROMIUM}: apt-get install chromium (./dev test does it)")
    with sync_playwright() as driver:
        yield driver


class FakeEncoder:
    """A sentence encoder that only keeps its adapter (``fake_tuning``)."""

    def __init__(self, *args: object, adapter: Adapter, cache: bool) -> None:
        assert not cache  # a fit-time adapter is not written to the model cache
        self.adapter = adapter


@pytest.fixture
def fake_tuning(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Tuning the sentence encoder (``_sentences/_tune.py``) replaced by tiny adapters that remember what they were
    trained on, and its encoders by ``FakeEncoder``: returns that memory (adapter digest: texts)."""
    from microturn._sentences import _tune

    trained_on: dict[str, list[str]] = {}

    def fake_tune(texts: list[str], labels: list[str], *, encoder: object) -> Adapter:
        number = np.full((1, 1), float(len(trained_on) + 1), np.float32)
        adapter = Adapter({"layer.0.attention.self.query": (number, number)})
        trained_on[adapter.digest] = list(texts)
        return adapter

    monkeypatch.setattr(_tune, "tune_adapter", fake_tune)
    monkeypatch.setattr(_tune, "TunedEncoder", lambda: None)
    monkeypatch.setattr(_tune, "SentenceEncoder", FakeEncoder)
    return trained_on
