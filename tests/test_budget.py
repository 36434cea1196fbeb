"""Prompts within a budget in tokens: the transcript's recent part behind a summary, cut in stable steps;
background steps fitted (outputs shortened, the oldest left out); an estimate that errs on the safe side."""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path
from typing import Any

import pytest

from microturn._core._tools import ToolSpec
from microturn._models._base import ModelRequest, ToolCall, ToolStep
from microturn._models._budget import (
    KEEP_TOKENS,
    LINE_CHARS,
    SHORTENED,
    SUMMARY_TOKENS,
    Budget,
    clip,
    estimate_tokens,
    fit_steps,
    recent,
    size,
    summarise,
)
from microturn._models._embedded import EmbeddedModel, build_prompt
from microturn._models._openai import OpenAICompatibleModel, build_messages
from microturn._models._weights import gemma_weights
from microturn.errors import ConfigError
from microturn.testing import VirtualClock

LINES = [f"[{i // 60:02d}:{i % 60:02d}.0] user: line number {i} of a long conversation" for i in range(400)]


def test_a_short_transcript_is_kept_whole() -> None:
    short = "\n".join(LINES[:50])
    assert recent(short) == short


def test_a_long_transcript_keeps_its_recent_part_behind_a_summary_of_the_rest() -> None:
    grown = "\n".join(LINES)
    cut = recent(grown)
    summary, _, kept = cut.partition("\n")
    assert summary.startswith("(earlier conversation, in short: … / ")
    assert grown.endswith("\n" + kept)
    dropped = grown.removesuffix("\n" + kept)
    # The summary ends with the last line dropped, in short; older ones go first when it is full.
    assert summary.endswith(f"user: {dropped.rsplit('user: ', 1)[1]})")
    assert estimate_tokens(summary) <= SUMMARY_TOKENS
    assert size(cut, estimate_tokens) <= KEEP_TOKENS


def test_the_cut_and_its_summary_move_only_a_whole_step_later() -> None:
    grown = "\n".join(LINES)
    cut = recent(grown)
    # A few more words keep the same prefix (and the model's KV cache) ...
    longer = grown + "\n[07:00.0] user: and one more"
    assert recent(longer).startswith(cut)
    # ... and only a whole roll step later do the cut and the summary move on.
    much_longer = longer + "\n" + "\n".join(LINES[:80])
    assert not recent(much_longer).startswith(cut.partition("\n")[0])


@pytest.mark.parametrize("keep", [200, 800, 2000, 8000])
def test_any_budget_is_kept_however_the_transcript_grows(keep: int) -> None:
    grown = ""
    for line in LINES:
        grown += ("\n" if grown else "") + line
        assert size(recent(grown, keep=keep), estimate_tokens) <= keep


def test_the_summary_keeps_who_said_what_and_shortens_long_lines() -> None:
    earlier = "\n".join(
        [
            "[00:00.0] session started (Thu 2026-01-01 09:00 UTC)",
            "[00:01.0] user: what's the capital of spain",
            "[00:01.5] (silence 0.5 s)",
            "[00:02.0] agent: The capital of Spain is Madrid.",
            "[00:03.0] user: " + "and tell me everything about its history " * 5,
        ]
    )
    summary = summarise(earlier)
    assert summary.startswith("(earlier conversation, in short: user: what's the capital of spain / agent: The ")
    assert "silence" not in summary
    assert "session started" not in summary
    last = summary.rsplit(" / ", 1)[1]
    assert last.startswith("user: and tell me everything")
    assert last.endswith(" …)")
    assert len(last) <= LINE_CHARS + 3


def test_nothing_said_in_the_dropped_part_leaves_a_plain_marker() -> None:
    assert summarise("[00:00.0] session started\n[00:05.0] (silence 5.0 s)") == "(earlier conversation omitted)"


def test_a_line_too_long_for_the_budget_keeps_its_start_and_its_end() -> None:
    pasted = "[00:01.0] user: BEGIN " + "lorem ipsum dolor sit amet " * 3000 + "END"
    kept = recent("[00:00.0] session started\n" + pasted, keep=1000)
    assert kept.startswith("[00:00.0] session started\n[00:01.0] user: BEGIN lorem")
    assert kept.endswith("amet END")
    assert SHORTENED in kept
    assert size(kept, estimate_tokens) <= 1000


def test_clip_leaves_what_fits_and_never_exceeds_its_room() -> None:
    assert clip("short enough", 50, estimate_tokens) == "short enough"
    for room in (1, 5, 20, 100):
        assert estimate_tokens(clip("x1 " * 500, room, estimate_tokens)) <= max(room, estimate_tokens(SHORTENED))


def step_lines(count: int, output: str) -> list[tuple[str, str]]:
    return [(f'call: search {{"page": {i}}}', f"result: «{output} {i}»") for i in range(count)]


def test_background_steps_within_room_are_all_kept_and_only_grow() -> None:
    earlier = fit_steps(step_lines(3, "short"), 2000, estimate_tokens)
    later = fit_steps(step_lines(4, "short"), 2000, estimate_tokens)
    assert later[: len(earlier)] == earlier  # the prompt extends the last one (the KV cache holds)
    assert len(later) == 8


def test_each_tool_output_is_cut_to_its_share_with_a_marker() -> None:
    lines = fit_steps(step_lines(1, "word " * 5000), 900, estimate_tokens)
    assert SHORTENED in lines[1]
    assert lines[1].startswith("result: «word word")
    assert lines[1].endswith(" 0»")
    assert estimate_tokens(lines[1]) <= 300


def test_the_oldest_steps_are_left_out_first_and_the_latest_always_kept() -> None:
    steps = step_lines(8, "data " * 400)
    lines = fit_steps(steps, 1200, estimate_tokens)
    dropped = int(lines[0].removeprefix("(earlier steps left out: ").removesuffix(")"))
    assert 0 < dropped < 8
    assert lines[1] == steps[dropped][0]  # the oldest went first
    assert lines[-2] == steps[-1][0]  # the latest call, whole
    assert lines[-1].endswith(" 7»")
    assert size("\n".join(lines), estimate_tokens) <= 1200
    tiny = fit_steps(steps, 10, estimate_tokens)
    assert tiny[0] == "(earlier steps left out: 7)"
    assert len(tiny) == 3  # the latest step, however short its room


def test_an_impossible_context_is_refused_with_what_to_set() -> None:
    with pytest.raises(ConfigError, match=r"cannot hold .* give it at least \d+ tokens of context"):
        EmbeddedModel(context_tokens=512)
    with pytest.raises(ConfigError, match=r"'m' at http://x/v1: a context of 1024 tokens"):
        OpenAICompatibleModel(base_url="http://x/v1", model="m", clock=VirtualClock(), context_tokens=1024)
    Budget(4096, 48).check("the embedded model")  # the defaults hold


SEARCH = ToolSpec(
    name="search",
    description="Search the notes.",
    parameters={"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
)


def huge_requests() -> dict[str, ModelRequest]:
    """Requests whose raw prompts would be many times a 4,096-token context."""
    talk = "\n".join(f"[{i // 600:02d}:{i % 600 / 10:04.1f}] user: tell me about item {i} please" for i in range(3000))
    pasted = talk + "\n[05:00.0] user: " + "here is my whole file " * 4000
    output = "\n".join(f"{i}: " + "".join(random.Random(i).choices(string.ascii_letters, k=60)) for i in range(800))
    steps = tuple(ToolStep(ToolCall("search", {"query": f"part {i}"}), output) for i in range(8))
    return {
        "long talk": ModelRequest(timeline=talk, user_text="and the last one", elapsed=300.0, wall=0.0),
        "pasted file": ModelRequest(
            timeline=pasted, user_text="", elapsed=300.0, wall=0.0, facts=(output,), instruction=output
        ),
        "background job": ModelRequest(
            timeline=talk, user_text="find it " * 2000, elapsed=300.0, wall=0.0, tools=(SEARCH,), steps=steps
        ),
    }


@pytest.mark.parametrize("name", list(huge_requests()))
def test_the_estimate_fits_a_remote_prompt_within_its_context(name: str) -> None:
    messages = build_messages(huge_requests()[name], Budget(4096, 64))
    assert sum(estimate_tokens(str(message["content"])) for message in messages) <= 4096 - 64


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import llama_cpp

    path = gemma_weights(tmp_path_factory.mktemp("models"), progress=None)
    return llama_cpp.Llama(model_path=str(path), n_ctx=512, vocab_only=True, verbose=False)


def test_the_estimate_is_never_below_the_real_tokenizers_count(llama: Any) -> None:
    rng = random.Random(7)
    texts = {
        "prose": "Bonjour! The capital of Spain is Madrid, and it's 384,000 km away. " * 40,
        "code": Path(__file__).read_text(encoding="utf-8")[:6000],
        "random key": "".join(rng.choices(string.ascii_letters + string.digits, k=3000)),
        "base64": base64.b64encode(rng.randbytes(2000)).decode(),
        "hex": rng.randbytes(1000).hex(),
        "json": json.dumps({f"k{i}": [i, i * 2.5, "value"] for i in range(200)}),
        "digits": "1234567890 " * 200,
        "cjk": "你好世界，今天天气很好。" * 80,
        "emoji": "😀🎉👍🏽 " * 100,
        "transcript": "\n".join(LINES[:100]),
    }
    for name, text in texts.items():
        real = len(llama.tokenize(text.encode(), add_bos=False, special=False))
        assert estimate_tokens(text) >= real, name


def test_the_embedded_model_answers_prompts_that_would_overflow_its_context(tmp_path_factory: Any) -> None:
    """The real model: each request would be a ValueError from llama.cpp unfitted; now it fits and is answered."""
    import asyncio

    path = gemma_weights(tmp_path_factory.mktemp("models"), progress=None)
    model = EmbeddedModel(model_path=path, context_tokens=2048, max_tokens=8)

    def tokens(llama: Any, text: str) -> int:
        return len(llama.tokenize(text.encode(), add_bos=True, special=False))

    async def main() -> None:
        try:
            for name, request in huge_requests().items():
                said = [chunk async for chunk in model.stream(request)]  # llama.cpp raised ValueError here
                assert said, name
                llama = model._load()
                raw = request.timeline + "".join(step.output for step in request.steps)
                assert tokens(llama, raw) > 4 * 2048, name
                assert tokens(llama, build_prompt(request, model._budget(llama))) + 8 <= 2048, name
        finally:
            await model.aclose()

    asyncio.run(main())


def test_a_remote_models_context_comes_from_the_config_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    from microturn._models._roles import build_model, load_roles

    config = tmp_path / "models.toml"
    config.write_text('[background]\nmodel = "openai"\nbase_url = "http://x/v1"\nname = "m"\ncontext_tokens = 32768\n')
    environ = {"MICROTURN_OPENAI_BASE_URL": "http://x/v1", "MICROTURN_OPENAI_MODEL": "m"}
    roles = load_roles(config_file=config, environ={**environ, "MICROTURN_OPENAI_CONTEXT_TOKENS": "8192"})
    assert (roles.interaction.context_tokens, roles.background.context_tokens) == (8192, 8192)  # env over file
    assert load_roles(config_file=config, environ={}).background.context_tokens == 32768
    model = build_model(roles.background, role="background", clock=VirtualClock())
    assert isinstance(model, OpenAICompatibleModel)
    assert model._budget.context == 8192
    with pytest.raises(ConfigError, match="whole number of tokens, such as 8192, not '8k'"):
        load_roles(environ={**environ, "MICROTURN_BACKGROUND_OPENAI_CONTEXT_TOKENS": "8k"}, background="openai")
    with pytest.raises(ConfigError, match="give it at least"):
        build_model(
            load_roles(environ={**environ, "MICROTURN_OPENAI_CONTEXT_TOKENS": "900"}, interaction="openai").interaction,
            role="interaction",
            clock=VirtualClock(),
        )
