"""The first run in the browser: the real ``microturn serve`` command, the embedded model, the real voice, Chromium.

As a new user: the page opens with the microphone off (the browser is not even asked for it), a typed
arithmetic question is answered through the calculator, the user starts the microphone and asks the time
somewhere aloud (Chromium's fake microphone plays it, spoken by the embedded Piper voice), the rough words
show greyed until the final transcript replaces them, and the answer is the local time in words; stop
releases the microphone. Then the session's log, drawn by ``microturn timeline``, fits the window and zooms.
The terminal half is in tests/test_first_run.py.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, Playwright

from _terminal import Terminal
from microturn._voice._audio import resample, write_wav
from microturn._voice._fakes import silence
from microturn._voice._tts import PiperVoice
from test_serve_browser import WATCH, launch, tracks_live

MICROTURN = str(Path(sys.executable).with_name("microturn"))
TOKEN = "first-run-token"
START = 180.0  # seconds: the models load (the embedded model, speech recognition, the voice) before the URL shows
WITHIN_MS = 60_000  # the longest a step in the page may take: the embedded model on a loaded 2-core machine
SPOKEN = "What time is it in Tokyo?"


@pytest.fixture(scope="module")
def question(tmp_path_factory: pytest.TempPathFactory) -> Path:
    voice = PiperVoice()
    speech = resample(b"".join(voice.synthesize(SPOKEN)), voice.sample_rate, 16_000)
    path = tmp_path_factory.mktemp("first-run-voice") / "question.wav"
    write_wav(path, silence(0.5) + speech + silence(4.0), 16_000)
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``microturn serve`` as the README starts it (plus a free port and a log folder); its page URL and logs."""
    logs = tmp_path_factory.mktemp("first-run-logs")
    terminal = Terminal([MICROTURN, "serve", "--port", "0", "--token", TOKEN, "--log-dir", str(logs)], cwd=logs.parent)
    try:
        url = terminal.wait_for_text(r"http://\S+token=\S+", within=START).group(0)
        yield url, logs
    finally:
        terminal.send_control("c")
        terminal.exit_status(within=30)
        terminal.close()


def replies(page: Page) -> list[str]:
    said: list[str] = page.evaluate("() => window.__microturn.replies")
    return said


def wait_for_reply(page: Page, after: int, pattern: str) -> str:
    page.wait_for_function(
        f"() => window.__microturn.replies.slice({after}).some((reply) => /{pattern}/i.test(reply))",
        timeout=WITHIN_MS,
    )
    return next(reply for reply in replies(page)[after:] if re.search(pattern, reply, re.IGNORECASE))


def test_the_page_talks_and_types_and_its_timeline_fits(
    playwright: Playwright, served: tuple[str, Path], question: Path, tmp_path: Path
) -> None:
    url, logs = served
    browser = launch(playwright, microphone=question, autoplay=False)
    try:
        page = browser.new_page()
        page.add_init_script(WATCH)
        page.goto(url)
        page.wait_for_function("() => window.__microturn.session !== null", timeout=WITHIN_MS)
        page.wait_for_selector("#mic", state="visible", timeout=WITHIN_MS)
        assert page.inner_text("#mic") == "Start talking"
        assert page.evaluate("() => window.__watch.asked") == 0  # the microphone is off until the user starts it

        page.fill("#text", "what's 17 times 23?")
        page.press("#text", "Enter")
        assert "391" in wait_for_reply(page, 0, r"\d")

        before = len(replies(page))
        now = dt.datetime.now(ZoneInfo("Asia/Tokyo"))
        page.click("#mic")
        answer = wait_for_reply(page, before, r"\d|o'clock")
        hours = {now.hour % 12 or 12, (now + dt.timedelta(minutes=2)).hour % 12 or 12}
        assert any(re.search(rf"\b{hour}\b", answer) for hour in hours), (answer, now)
        assert not re.search(r"\d{4}-\d\d-\d\d|T\d\d:\d\d", answer), answer
        heard = page.evaluate("() => window.__watch.userLines")
        finals = [line["text"] for line in heard if not line["tentative"]]
        assert any("tokyo" in text.lower() for text in finals), heard  # the final transcript replaced the rough one
        page.click("#mic")
        page.wait_for_function("() => window.__microturn.mic === 'off'", timeout=WITHIN_MS)
        assert tracks_live(page) == 0  # stop released the microphone
        assert page.evaluate("() => window.__microturn.errors") == []
    finally:
        browser.close()

    log = next(logs.glob("*.jsonl"))
    drawn = tmp_path / "timeline.html"
    subprocess.run([MICROTURN, "timeline", str(log), "--out", str(drawn)], check=True, timeout=120)
    browser = launch(playwright)
    try:
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        page.goto(drawn.as_uri())
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 1200, width  # the whole session fits the window: nothing to scroll sideways
    finally:
        browser.close()
