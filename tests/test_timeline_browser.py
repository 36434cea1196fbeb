"""The timeline page in a real headless Chromium: it opens fitted, zooms, pans and fits again.

Pages are rendered from synthetic sessions (``_long_session``) and opened from files: the page is
self-contained. Chromium is Debian's (as in ``test_serve_browser.py``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright

from _long_session import long_session
from conftest import CHROMIUM
from microturn._apps._render import render_timeline_html

VIEWPORT = {"width": 1280, "height": 900}

STATE = """() => {
  const roll = document.querySelector("svg.roll"), scroller = document.querySelector(".scroller");
  const view = document.querySelector(".overview .view");
  return {
    roll: Number(roll.getAttribute("width")), time: Number(roll.querySelector("svg.time").getAttribute("width")),
    client: scroller.clientWidth, scrollWidth: scroller.scrollWidth,
    left: scroller.scrollLeft, level: roll.getAttribute("class").split(" ").length - 1,
    readout: document.querySelector(".zoom-readout").textContent, view: view.style.width,
    axis: [...roll.querySelectorAll("g.axis text")].map((t) => { const b = t.getBBox(); return [b.x, b.x + b.width]; }),
  };
}"""

# The first agent word whose whole label is hidden at the overview: is it drawn, and inside its box?
WORD = """(index) => {
  const word = [...document.querySelectorAll("g.mk.agent-word")][index];
  const label = word.querySelector("text.lbl");
  const box = word.querySelector("rect.box").getBoundingClientRect();
  const text = label.getBoundingClientRect();
  return { shown: getComputedStyle(label).display !== "none" && text.width > 0,
           inside: text.left >= box.left - 0.5 && text.right <= box.right + 0.5, text: label.textContent };
}"""


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"], headless=True
    )
    yield launched
    launched.close()


def open_page(browser: Browser, tmp_path: Path, minutes: float) -> tuple[Page, list[str]]:
    path = tmp_path / f"session-{minutes:g}.html"
    path.write_text(render_timeline_html(long_session(minutes), title=f"{minutes:g} minutes"), encoding="utf-8")
    page = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    page.wait_for_function("() => document.querySelector('.zoom-bar').hidden === false")
    settle(page)
    return page, errors


def settle(page: Page) -> None:
    """Two animation frames: the axis and the overview are redrawn on the next one."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def state(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(STATE)
    return found


def assert_axis_labels_apart(axis: list[list[float]]) -> None:
    spans = sorted(axis)
    assert spans
    for (_, right), (left, _) in itertools.pairwise(spans):
        assert right + 4 <= left, spans


def test_it_opens_fitted_zooms_in_on_a_word_pans_and_fits_again(browser: Browser, tmp_path: Path) -> None:
    page, errors = open_page(browser, tmp_path, 3)
    try:
        fitted = state(page)
        assert fitted["roll"] == fitted["client"] == fitted["scrollWidth"]  # the whole session in the width
        assert fitted["left"] == 0
        assert fitted["readout"] == "0 s – 3:00 (the whole session)"
        assert_axis_labels_apart(fitted["axis"])
        assert page.evaluate(WORD, 0)["shown"] is False  # a word's label does not fit at the overview

        for _ in range(10):  # the + button until the word's label fits its box
            if page.evaluate(WORD, 0)["shown"]:
                break
            page.click(".zoom-bar button[data-action=in]")
            page.keyboard.press("Home")  # the first word is near the start
            settle(page)
        word = page.evaluate(WORD, 0)
        assert word["shown"]
        assert word["inside"], word
        zoomed = state(page)
        assert zoomed["roll"] > 4 * fitted["roll"]
        assert zoomed["level"] > fitted["level"]
        assert_axis_labels_apart(zoomed["axis"])
        assert float(zoomed["view"].rstrip("%")) < 30  # the overview's window shrank to the part in view

        page.keyboard.press("ArrowRight")
        settle(page)
        panned = state(page)
        assert panned["left"] > zoomed["left"]
        page.mouse.move(700, 400)
        page.mouse.down()
        page.mouse.move(500, 400, steps=4)  # drag left: later times come into view
        page.mouse.up()
        settle(page)
        assert state(page)["left"] == pytest.approx(panned["left"] + 200, abs=2)

        page.keyboard.press("-")
        settle(page)
        assert state(page)["time"] == pytest.approx(zoomed["time"] / 2, rel=0.001)
        page.click(".zoom-bar button[data-action=fit]")
        settle(page)
        again = state(page)
        assert again["roll"] == again["client"] == fitted["roll"]
        assert again["left"] == 0
        assert errors == []
    finally:
        page.close()


def test_ctrl_wheel_zooms_around_the_pointer_and_keys_zoom_and_fit(browser: Browser, tmp_path: Path) -> None:
    page, errors = open_page(browser, tmp_path, 3)
    try:
        box = page.locator(".scroller").bounding_box()
        assert box is not None
        x = box["x"] + box["width"] * 0.6
        seconds_at = (
            "(x) => { const s = document.querySelector('.scroller'); const r = s.getBoundingClientRect();"
            " const z = JSON.parse(document.querySelector('svg.roll').dataset.zoom);"
            " const w = Number(document.querySelector('svg.time').getAttribute('width'));"
            " return (s.scrollLeft + x - r.left - z.margin) / w * z.shown; }"
        )
        before = page.evaluate(seconds_at, x)
        page.mouse.move(x, box["y"] + 60)
        page.keyboard.down("Control")
        page.mouse.wheel(0, -400)
        page.keyboard.up("Control")
        settle(page)
        assert state(page)["roll"] > 1.5 * state(page)["client"]
        assert page.evaluate(seconds_at, x) == pytest.approx(before, abs=0.2)  # the moment under the pointer stays

        page.keyboard.press("0")
        settle(page)
        fitted = state(page)
        assert fitted["roll"] == fitted["client"]
        page.keyboard.press("+")
        page.keyboard.press("+")
        settle(page)
        assert state(page)["time"] == pytest.approx(4 * fitted["time"], rel=0.001)
        assert errors == []
    finally:
        page.close()


def test_an_hour_opens_fitted_and_zooms_in_to_words(browser: Browser, tmp_path: Path) -> None:
    page, errors = open_page(browser, tmp_path, 60)
    try:
        fitted = state(page)
        assert fitted["roll"] == fitted["client"]
        assert fitted["readout"] == "0 s – 1:00:00 (the whole session)"
        assert_axis_labels_apart(fitted["axis"])
        shown = "() => [...document.querySelectorAll('svg.roll text.lbl')].filter((t) => t.getBBox().width > 0).length"
        few = page.evaluate(shown)
        for _ in range(7):
            page.keyboard.press("+")
        settle(page)
        zoomed = state(page)
        assert zoomed["time"] == pytest.approx(128 * fitted["time"], rel=0.001)
        assert_axis_labels_apart(zoomed["axis"])
        assert page.evaluate(shown) > 20 * max(1, few)  # words appear as the zoom makes room for them
        assert errors == []
    finally:
        page.close()
