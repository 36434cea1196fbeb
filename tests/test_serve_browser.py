"""The page in a real headless Chromium (Debian's, driven by Playwright), against the real server.

The server runs on uvicorn in a thread on a free port. Chromium's fake microphone plays a WAV of a
spoken question into the page, which downsamples it in its AudioWorklet and streams it to the
server. Every wait is bounded; the page keeps its counters in ``window.__microturn``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from microturn._apps._serve import ConversationSpec, Voice, create_app, serving
from microturn._core._config import SessionConfig
from microturn._voice._audio import resample, write_wav
from microturn._voice._fakes import WORD_SECONDS, silence, tone
from microturn._voice._tts import PiperVoice

CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "browser-test-token"
ANSWER = "2 plus 3 is 5."
WITHIN_MS = 20_000  # the longest any one wait in the page may take
QUESTION = "What is two plus three?"
LEAD, TAIL = 0.5, 3.0  # seconds of silence around it: capture starts a little late; the turn must end
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"the browser tests need {CHROMIUM}: apt-get install chromium (./dev test does it)")
    with sync_playwright() as driver:
        yield driver


def launch(driver: Playwright, *, microphone: Path | None = None, autoplay: bool = True) -> Browser:
    """Headless Chromium in a fresh temporary profile; ``microphone``: a WAV its fake microphone plays once."""
    flags = list(FLAGS)
    if autoplay:
        flags.append("--autoplay-policy=no-user-gesture-required")  # else audio, and so capture, waits for a click
    if microphone is not None:
        flags += [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}%noloop",
        ]
    return driver.chromium.launch(executable_path=str(CHROMIUM), args=flags, headless=True)


@pytest.fixture
def server() -> Iterator[str]:
    with serve_page(voice="off") as url:
        yield url


def serve_page(*, voice: Voice) -> AbstractContextManager[str]:
    """The real server on a free port, with the scripted model; yields its base URL."""
    spec = ConversationSpec(config=SessionConfig(model="scripted", speaking_rate=0.1), voice=voice)
    return serving(create_app(spec, token=TOKEN))


@pytest.fixture(scope="module")
def question(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """A 16 kHz WAV of the question, spoken by the embedded Piper voice; and when its speech ends."""
    voice = PiperVoice()
    speech = resample(b"".join(voice.synthesize(QUESTION)), voice.sample_rate, 16_000)
    path = tmp_path_factory.mktemp("voice") / "question.wav"
    write_wav(path, silence(LEAD) + speech + silence(TAIL), 16_000)
    return path, LEAD + len(speech) / 32_000


def debug(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate("() => window.__microturn")
    return state


def words(text: str) -> list[str]:
    """Lower-case words without punctuation, numbers as digits: "What is two plus three?" -> what is 2 plus 3."""
    digits = {"two": "2", "three": "3", "five": "5"}
    return [digits.get(word, word) for word in "".join(c for c in text.lower() if c.isalnum() or c == " ").split()]


def test_typed_text_round_trips_a_reply_in_the_page(playwright: Playwright, server: str) -> None:
    browser = launch(playwright)
    try:
        page = browser.new_page()
        page.goto(f"{server}/?token={TOKEN}")
        page.wait_for_function("() => window.__microturn.session !== null", timeout=WITHIN_MS)
        page.fill("#text", "what is 2 plus 3")
        page.press("#text", "Enter")
        page.wait_for_function(f"() => window.__microturn.replies.includes({ANSWER!r})", timeout=WITHIN_MS)

        state = debug(page)
        assert state["state"] == "connected"
        assert state["voice"] == "off"
        assert state["errors"] == []
        assert page.inner_text(".line.user.typed .text") == "what is 2 plus 3"
        assert page.inner_text(".line.agent .text") == ANSWER
        assert page.locator("#lane-agent .bar.agent").count() == 1
        assert page.locator("#lane-user .bar.typed").count() == 1
        assert page.is_visible("#error") is False
    finally:
        browser.close()


def test_a_browser_that_holds_audio_back_gets_a_button_that_starts_it(
    playwright: Playwright, question: tuple[Path, float]
) -> None:
    """Without the autoplay flag, as in a browser opened from a terminal: nothing is captured until a click."""
    with serve_page(voice="fake") as server:
        browser = launch(playwright, microphone=question[0], autoplay=False)
        try:
            page = browser.new_page()
            page.goto(f"{server}/?token={TOKEN}")
            page.wait_for_selector("#mic.attention", timeout=WITHIN_MS)
            assert page.inner_text("#mic") == "Start audio"
            assert debug(page)["framesSent"] == 0
            page.click("#mic")
            page.wait_for_function("() => window.__microturn.framesSent > 5", timeout=WITHIN_MS)
            assert page.inner_text("#mic") == "Mute microphone"
        finally:
            browser.close()


def test_a_page_with_a_wrong_token_is_refused_and_says_so(playwright: Playwright, server: str) -> None:
    browser = launch(playwright)
    try:
        page = browser.new_page()
        page.goto(f"{server}/?token=not-the-token")
        page.wait_for_function("() => window.__microturn.closed !== null", timeout=WITHIN_MS)

        state = debug(page)
        assert state["closed"]["code"] == 4401
        assert state["session"] is None
        assert "wrong or missing token" in page.inner_text("#error")
        assert page.is_disabled("#text")
    finally:
        browser.close()


def test_a_spoken_question_is_heard_answered_and_played_in_the_page(
    playwright: Playwright, question: tuple[Path, float]
) -> None:
    """Chromium's fake microphone plays the WAV; the real engines hear it; the agent's voice plays in the page."""
    wav, speech_ends = question
    with serve_page(voice="real") as server:
        browser = launch(playwright, microphone=wav)
        try:
            page = browser.new_page()
            page.goto(f"{server}/?token={TOKEN}")
            page.wait_for_function("() => window.__microturn.transcripts.length > 0", timeout=WITHIN_MS)
            page.wait_for_function("() => window.__microturn.chunksPlayed > 0", timeout=WITHIN_MS)
            page.wait_for_function(f"() => window.__microturn.replies.includes({ANSWER!r})", timeout=WITHIN_MS)
            state = debug(page)
            heard = page.inner_text(".line.user .text")
        finally:
            browser.close()

    assert state["voice"] == "real"
    assert state["errors"] == []
    assert state["framesSent"] > 0
    assert state["bytesSent"] == 640 * state["framesSent"]  # 20 ms frames of 16 kHz s16le
    assert state["kinds"]["UserSpeechStarted"] >= 1  # the server's VAD heard the frames
    assert state["partials"] > 0
    assert words(state["transcripts"][0]) == words(QUESTION)
    assert words(heard) == words(QUESTION)
    assert state["audioChunks"] > 0
    assert state["audioBytes"] > 0
    assert state["chunksPlayed"] > 0
    assert state["secondsPlayed"] > 0.3
    # Voice to voice, as the page saw it: from the end of the WAV's speech to the first agent audio.
    # Capture began about one 20 ms frame before the first frame went out.
    spoken_until = state["micStartedAt"] - 20 + 1000 * speech_ends
    print(f"page ready {state['readyAt']:.0f} ms; voice to voice {state['firstAudioAt'] - spoken_until:.0f} ms")


def test_talking_over_the_agent_stops_its_voice_in_the_page(playwright: Playwright, tmp_path: Path) -> None:
    """Barge-in through the page, with the fake engines (a tone is a word): the server flushes, the page stops."""
    wav = tmp_path / "tones.wav"
    # "what is 2 plus 3" (a little short of five whole words, so the page's resampling cannot make a sixth);
    # the agent answers "2 plus 3 is 5." (1.25 s) about 0.3 s after it; 0.6 s into the answer, the user talks.
    pcm = silence(LEAD) + tone(5 * WORD_SECONDS - 0.1) + silence(0.9) + tone(0.6) + silence(TAIL)
    write_wav(wav, pcm, 16_000)
    with serve_page(voice="fake") as server:
        browser = launch(playwright, microphone=wav)
        try:
            page = browser.new_page()
            page.goto(f"{server}/?token={TOKEN}")
            page.wait_for_function("() => window.__microturn.flushes > 0", timeout=WITHIN_MS)
            page.wait_for_function(
                "() => { const s = window.__microturn; return s.replies.length >= 2 && "
                "s.chunksPlayed + s.chunksCut === s.audioChunks; }",
                timeout=WITHIN_MS,
            )
            state = debug(page)
            cut_lines = page.locator(".line.agent.cut").count()
        finally:
            browser.close()

    assert state["errors"] == []
    assert state["kinds"]["AgentSpeechHeld"] >= 1
    first = state["replies"][0]
    assert ANSWER.startswith(first)
    assert first != ANSWER  # cut off: only what was played counts as delivered
    assert cut_lines == 1
    assert state["chunksPlayed"] > 0
