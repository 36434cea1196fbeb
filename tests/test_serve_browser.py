"""The page in a real headless Chromium (Debian's, driven by Playwright), against the real server.

The server runs on uvicorn in a thread on a free port. Chromium's fake microphone plays a WAV of a
spoken question into the page, which (once the user presses Start talking) downsamples it in its
AudioWorklet and streams it to the server. Every wait is bounded; the page keeps its counters in
``window.__microturn``, and ``WATCH`` records the page's calls for the microphone and each state of
the user's lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright

from conftest import CHROMIUM
from microturn._apps._serve import ConversationSpec, Voice, create_app, serving
from microturn._core._config import SessionConfig
from microturn._voice._audio import resample, write_wav
from microturn._voice._fakes import WORD_SECONDS, silence, tone
from microturn._voice._tts import PiperVoice

TOKEN = "browser-test-token"
ANSWER = "2 plus 3 is 5."
WITHIN_MS = 20_000  # the longest any one wait in the page may take
QUESTION = "What is two plus three?"
LEAD, TAIL = 0.5, 3.0  # seconds of silence around it: capture starts a little late; the turn must end
WATCH = """
window.__watch = { asked: 0, streams: [], userLines: [] };
const ask = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = async (constraints) => {
  window.__watch.asked += 1;
  const stream = await ask(constraints);
  window.__watch.streams.push(stream);
  return stream;
};
let named = 0;
new MutationObserver(() => {
  for (const line of document.querySelectorAll(".line.user")) {
    line.dataset.watched ??= String(++named);
    const seen = { line: line.dataset.watched, tentative: line.classList.contains("tentative"),
                   text: line.querySelector(".text").textContent };
    const last = window.__watch.userLines.findLast((each) => each.line === seen.line);
    if (!last || last.tentative !== seen.tentative || last.text !== seen.text) window.__watch.userLines.push(seen);
  }
}).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
"""
"""Counts the page's calls for the microphone (keeping the streams, to see their tracks stopped) and records
each state of the user's lines in the conversation: which line, whether tentative, its text."""
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


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


def open_page(browser: Browser, server: str) -> Page:
    """The page, watched (``WATCH``), once its conversation is open."""
    page = browser.new_page()
    page.add_init_script(WATCH)
    page.goto(f"{server}/?token={TOKEN}")
    page.wait_for_function("() => window.__microturn.session !== null", timeout=WITHIN_MS)
    return page


def asked(page: Page) -> int:
    count: int = page.evaluate("() => window.__watch.asked")
    return count


def tracks_live(page: Page) -> int:
    """Microphone tracks the page was given that are still live (not stopped)."""
    count: int = page.evaluate(
        "() => window.__watch.streams.flatMap((s) => s.getTracks()).filter((t) => t.readyState === 'live').length"
    )
    return count


def type_and_wait_for_the_answer(page: Page) -> None:
    replies = len(debug(page)["replies"])
    page.fill("#text", "what is 2 plus 3")
    page.press("#text", "Enter")
    page.wait_for_function(
        f"() => window.__microturn.replies.slice({replies}).some((reply) => reply.endsWith({ANSWER!r}))",
        timeout=WITHIN_MS,
    )


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


def test_the_microphone_is_off_until_the_user_starts_it_and_stop_releases_it(
    playwright: Playwright, question: tuple[Path, float]
) -> None:
    """Without the autoplay flag, as in a browser opened from a terminal: the click (or key) starts it all."""
    with serve_page(voice="fake") as server:
        browser = launch(playwright, microphone=question[0], autoplay=False)
        try:
            page = open_page(browser, server)
            page.wait_for_selector("#mic", state="visible", timeout=WITHIN_MS)
            type_and_wait_for_the_answer(page)  # typing works with the microphone off
            assert page.inner_text("#mic") == "Start talking"
            assert page.get_attribute("#mic", "aria-pressed") == "false"
            assert page.is_visible("#listening") is False
            assert asked(page) == 0  # the browser was not even asked for the microphone
            assert debug(page)["framesSent"] == 0

            page.focus("#mic")
            page.keyboard.press("Space")  # the keyboard starts it as well as a click
            page.wait_for_function("() => window.__microturn.framesSent > 5", timeout=WITHIN_MS)
            assert page.inner_text("#mic") == "Stop"
            assert page.get_attribute("#mic", "aria-pressed") == "true"
            assert page.is_visible("#listening")
            assert (asked(page), tracks_live(page)) == (1, 1)

            page.click("#mic")
            page.wait_for_function("() => window.__microturn.mic === 'off'", timeout=WITHIN_MS)
            stopped_at = debug(page)["framesSent"]
            assert tracks_live(page) == 0  # released: the browser no longer shows it in use
            assert page.inner_text("#mic") == "Start talking"
            assert page.is_visible("#listening") is False
            type_and_wait_for_the_answer(page)  # the conversation goes on; no frame was sent meanwhile
            assert debug(page)["framesSent"] == stopped_at

            page.click("#mic")  # and it starts again
            page.wait_for_function(f"() => window.__microturn.framesSent > {stopped_at + 5}", timeout=WITHIN_MS)
            assert (asked(page), tracks_live(page)) == (2, 1)
            assert debug(page)["errors"] == []
        finally:
            browser.close()


def test_a_refused_microphone_says_what_to_do_and_typing_still_works(playwright: Playwright) -> None:
    """No fake permission UI: the browser refuses the microphone, as when the user clicks Block."""
    with serve_page(voice="fake") as server:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=[*FLAGS, "--use-fake-device-for-media-stream"], headless=True
        )
        try:
            page = open_page(browser, server)
            page.click("#mic")
            page.wait_for_selector("#mic-problem", state="visible", timeout=WITHIN_MS)
            problem = page.inner_text("#mic-problem")
            assert "The microphone is blocked for this page. Allow it" in problem
            assert "You can still type below." in problem
            assert page.inner_text("#mic") == "Start talking"  # to try again once allowed
            assert page.get_attribute("#mic", "aria-pressed") == "false"
            assert debug(page)["mic"] == "off"
            type_and_wait_for_the_answer(page)
            assert debug(page)["framesSent"] == 0
        finally:
            browser.close()


def test_a_background_result_is_shown_whole_where_the_user_reads(playwright: Playwright, server: str) -> None:
    """The agent may say only the gist of a long result; the page shows all of it, wrapped to the panel."""
    browser = launch(playwright)
    try:
        page = open_page(browser, server)
        page.fill("#text", "can you find me a hotel in Porto")
        page.press("#text", "Enter")
        page.wait_for_selector(".note .result", timeout=WITHIN_MS)
        result = page.locator(".note .result")
        assert result.count() == 1
        assert result.inner_text().strip()
        assert page.inner_text(".note:has(.result)").startswith("done in the background: ")
        assert page.evaluate(
            "() => { const panel = document.querySelector('.conversation'); "
            "return panel.scrollWidth <= panel.clientWidth; }"
        )
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
            page = open_page(browser, server)
            page.click("#mic")
            page.wait_for_function("() => window.__microturn.transcripts.length > 0", timeout=WITHIN_MS)
            page.wait_for_function("() => window.__microturn.chunksPlayed > 0", timeout=WITHIN_MS)
            # The answer may come after a holding phrase ("Let me check.") while the calculator works.
            page.wait_for_function(
                f"() => window.__microturn.replies.some((reply) => reply.endsWith({ANSWER!r}))", timeout=WITHIN_MS
            )
            state = debug(page)
            heard = page.inner_text(".line.user .text")
            user_lines: list[dict[str, Any]] = page.evaluate("() => window.__watch.userLines")
            finals, committed = page.evaluate(
                "() => [window.__microturn.transcripts.length, "
                "document.querySelectorAll('.line.user:not(.tentative)').length]"
            )
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
    # The rough text showed greyed in one line, which the final text then replaced; no rough text stayed.
    # The rough text showed greyed in one line ("what escape", ...), which the final text then replaced; a
    # line stops being tentative only with a final transcript.
    first = [seen for seen in user_lines if seen["line"] == "1"]
    assert len(first) > 2
    assert all(seen["tentative"] for seen in first[:-1])
    assert first[-1] == {"line": "1", "tentative": False, "text": state["transcripts"][0]}
    assert committed == finals
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
            page = open_page(browser, server)
            page.click("#mic")
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
