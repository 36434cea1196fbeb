"""bench/speculation.py stays runnable and measures what it says: a tiny run of its machinery on a FAKE model."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import speculation as bench
from microturn import ModelRequest, UserInput, UserSpeechEnded, UserSubmit, UserTranscript, VirtualClock
from microturn._models import ToolCall

THINK = 0.4
"""Virtual seconds from a request to the FAKE model's first word."""


class FakeLocal:
    """A FAKE local model: it prefills, reads the end of turn (sure after "italy"), answers THINK s after a request."""

    name: ClassVar[str] = "fake-local"

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock

    async def prefill(self, request: ModelRequest) -> None:
        return None

    async def end_of_turn(self, request: ModelRequest) -> float | None:
        return 0.9 if request.user_text.lower().rstrip("?").endswith("italy") else 0.1

    async def stream(self, request: ModelRequest) -> AsyncIterator[str | ToolCall]:
        await self._clock.sleep_until(self._clock.now() + THINK)
        yield "Rome, I think."

    async def aclose(self) -> None:
        return None


def test_the_plans_end_where_the_user_ends() -> None:
    typed, enter = bench.typing(["hi you"])
    assert typed[-1] == (enter, UserSubmit())
    assert enter == pytest.approx(6 / bench.KEYS + bench.ENTER)
    said, spoke = bench.speaking(["hi", "you there"])
    assert spoke == pytest.approx(3 * bench.WORD + bench.PAUSE)
    assert [event for _, event in said if isinstance(event, UserInput)][-1].duration == bench.WORD
    heard, last_word = bench.voicing(["what is the capital of italy"])
    assert last_word == pytest.approx(6 * bench.WORD)
    assert isinstance(heard[-2][1], UserSpeechEnded)
    assert heard[-1][1] == UserTranscript(text="What is the capital of italy?", final=True)


@pytest.mark.parametrize("modality", bench.MODALITIES)
def test_each_arm_is_measured_and_only_speculation_speculates(modality: str) -> None:
    turns = bench.TURNS[:3]  # the third pauses after unfinished words
    measured = {name: bench.play(modality, name, 0, turns, make=FakeLocal) for name in bench.ARMS}
    for name, results in measured.items():
        assert [t.turn for t in results] == [0, 1, 2]
        assert all(t.latency_ms is not None and t.latency_ms > 0 for t in results), name
        assert all((t.speculations > 0) == (name == "speculation") for t in results)
        assert all(t.taken == (name == "speculation") for t in results)
    speculated, baseline = measured["speculation"], measured["prefill"]
    assert speculated[2].speculations == 2  # one in the pause inside the turn (wasted), one at its end (taken)
    for fast, slow in zip(speculated, baseline, strict=True):
        assert fast.latency_ms is not None
        assert slow.latency_ms is not None
        assert fast.latency_ms < slow.latency_ms  # the policy's wait (or Enter's) was spent thinking
    table = bench.summary([t for results in measured.values() for t in results])
    assert table[modality]["speculation"]["wasted"] == 1
    assert table[modality]["prefill"]["ratio_to_prefill"] == 1.0
