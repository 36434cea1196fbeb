"""The benchmarks stay runnable: a tiny, virtual-time run of each measurement's machinery."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import decisions
import intent_parse
import loop_overhead
import ttfr
import voice
from microturn import ModelRequest
from microturn._models._embedded import EmbeddedModel, build_prompt
from microturn._models._openai import OpenAICompatibleModel


def test_cpu_per_tick_counts_the_ticks_of_every_side() -> None:
    rules = loop_overhead.cpu_per_tick("microturn-rules", 3, 2.0)
    learned = loop_overhead.cpu_per_tick("microturn-learned", 3, 2.0)
    bare = loop_overhead.cpu_per_tick("bare-asyncio", 3, 2.0)
    assert bare > 0
    assert 0 < rules < 0.01  # seconds of CPU per session-tick: far below a millisecond
    assert 0 < learned < 0.05


def test_capacity_stops_at_the_first_count_over_the_limit() -> None:
    lags = {1: 0.001, 2: 0.019, 3: 0.025, 4: 0.001}
    best, seen = loop_overhead.capacity(lambda n: lags[n], [1, 2, 3, 4])
    assert best == 2
    assert list(seen) == [1, 2, 3]


class FakeRecordingModel:
    """A fake model for the TTFR bench: records the prompts prefilled and asked for, answers "ok"."""

    def __init__(self) -> None:
        self.prefilled: list[str] = []
        self.asked: list[str] = []

    async def prefill(self, request: ModelRequest) -> None:
        self.prefilled.append(build_prompt(request))

    def stream(self, request: ModelRequest) -> AsyncIterator[str]:
        self.asked.append(build_prompt(request))
        return self._reply()

    async def _reply(self) -> AsyncIterator[str]:
        yield "ok"


PAST = ttfr.history(300)
WORDS = ttfr.utterance(20)


async def test_the_ttfr_baseline_keeps_the_previous_turns_prefix_as_the_streaming_side_starts() -> None:
    ours, theirs = FakeRecordingModel(), FakeRecordingModel()
    await ttfr.streaming(cast(EmbeddedModel, ours), PAST, WORDS)
    await ttfr.baseline(cast(EmbeddedModel, theirs), PAST, WORDS)
    assert theirs.prefilled == ours.prefilled[:1]  # the previous turn's prompt, nothing else in between
    assert len(ours.prefilled) == 1 + 5  # then one prefill per 3-word micro-turn: 15 words
    assert theirs.asked == ours.asked
    cached = theirs.prefilled[0].rsplit("\n", 1)[0]  # the history, up to the agent's cue of the last turn
    reply = theirs.asked[0]
    assert reply.startswith(cached + "\n")
    assert reply[len(cached) :].count("\n") == 2  # only the utterance's line and the cue are new


class FakeRecordingServer:
    """A fake OpenAI client (``chat.completions.create``) and adapter (``stream``): the requests, in order."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.chat = self
        self.completions = self

    async def create(self, **request: Any) -> None:
        self.requests.append(f"prefill {request['messages'][-1]['content']}")

    def stream(self, request: ModelRequest) -> AsyncIterator[str]:
        self.requests.append(f"reply {request.user_text}")
        return FakeRecordingModel()._reply()


async def test_the_server_baseline_finds_its_history_cached_with_no_other_conversation_between() -> None:
    server = FakeRecordingServer()
    await ttfr.server_baseline(cast(OpenAICompatibleModel, server), server, PAST, WORDS)
    [previous, reply] = server.requests
    assert previous.startswith("prefill ")
    assert previous.rstrip().endswith(PAST.rsplit("\n", 1)[1])  # the history's last line: the previous turn
    assert reply == f"reply {' '.join(WORDS)}"


def test_a_ttfr_cell_reports_every_column_and_its_ratio_to_streaming() -> None:
    taken = {"streaming": [0.1, 0.3, 0.2], "baseline": [0.5, 0.4, 0.9], "pipecat": [0.6, 0.8, 0.7]}
    row = ttfr.cell("server", 1000, 1741, 10, taken)
    assert row["streaming_ms"]["median"] == pytest.approx(200)
    assert row["baseline_ms"] == pytest.approx({"median": 500, "p90": 900})
    assert row["ratio"] == pytest.approx(2.5)
    assert row["pipecat_ratio"] == pytest.approx(3.5)


def test_the_voice_baseline_hears_the_clip_through_faster_whispers_default_call() -> None:
    from microturn._voice._audio import resample
    from microturn._voice._protocols import INPUT_RATE
    from microturn._voice._stt import WhisperFinal
    from microturn._voice._tts import PiperVoice

    piper = PiperVoice()
    clip = resample(b"".join(piper.synthesize("What is the capital of France?")), piper.sample_rate, INPUT_RATE)
    heard = voice.ShippedWhisper(WhisperFinal()._model()).transcribe(clip)
    assert "capital of france" in heard.lower()


def test_intent_parse_runs_both_modes_and_checks_the_request_at_the_end_was_found() -> None:
    for mode in intent_parse.MODES:
        assert intent_parse.measure(1, mode) > 0  # measure() raises if the timer request was missed
    assert intent_parse.hard_text(4096).endswith(intent_parse.REQUEST)
    assert len(intent_parse.hard_text(4096)) == 4096


def test_every_decision_is_timed_under_both_decision_sets(tmp_path: Path) -> None:
    assert decisions.main(["--cases", "2", "--json", str(tmp_path / "decisions.json")]) == 0
    rows = json.loads((tmp_path / "decisions.json").read_text())["rows"]
    assert [row["decision"] for row in rows] == [decision.name for decision in decisions.DECISIONS]
    assert "turn end (each word)" in {row["decision"] for row in rows}
    assert all(row["calls"] == 2 and row["learned_cpu_median_ms"] > 0 for row in rows)
