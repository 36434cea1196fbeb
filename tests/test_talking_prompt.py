"""The embedded talking model's prompt with the real model: what a new user asks, answered as a user expects.

A handful of the prompt probe's cases (issue 14), each a transcript in the session's own format: typed turns,
the tool lines a speculated call writes between the words and Enter, the fact found in the prompt's tail.
Greedy decoding, as the product runs it, so each answer is the same on every run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from microturn import ModelRequest, SystemClock
from microturn._models._embedded import EmbeddedModel
from microturn._models._weights import gemma_weights
from microturn._policies._full_duplex._intents import STORY_OPENING

START = "[00:00.0] session started (Thu 2026-12-03 22:00 UTC)"
TIMES = ("what's 17 times 23?", "17 times 23 is 391.")
TOKYO = ("what time is it in tokyo", "It's 7:55 in the morning in Tokyo, Friday 4 December.")


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedModel:
    path: Path = gemma_weights(tmp_path_factory.mktemp("models"), progress=None)
    return EmbeddedModel(clock=SystemClock(), model_path=path)


def asked(turns: Sequence[tuple[str, str | None, str | None]]) -> ModelRequest:
    """A request to answer the last of ``turns`` (the user's words, a tool's result or None, the agent's answer)."""
    lines, t = [START], 1.0
    for call, (words, result, answer) in enumerate(turns):
        if result is None:
            lines.append(f"[00:{t:04.1f}] user: {words} [enter]")
        else:  # as a session logs a speculated call: its lines come between the words and Enter
            lines += [
                f"[00:{t:04.1f}] user: {words}",
                f"[00:{t:04.1f}] (tool call call-{call}: lookup {{'q': '{words}'}})",
                f"[00:{t:04.1f}] (tool result call-{call}, data: «{result}»)",
                f"[00:{t + 1.5:04.1f}] user: [enter]",
            ]
        if answer is not None:
            lines.append(f"[00:{t + 1.5:04.1f}] agent: {answer}")
        t += 7.0
    words, result, _ = turns[-1]
    facts = () if result is None else (result,)
    return ModelRequest(timeline="\n".join(lines), user_text=words, elapsed=t - 5.0, wall=0.0, facts=facts)


def said(model: EmbeddedModel, request: ModelRequest) -> str:
    async def main() -> str:
        try:
            return "".join([str(chunk) async for chunk in model.stream(request)]).strip()
        finally:
            await model.aclose()

    return asyncio.run(main())


def test_a_fact_found_after_an_earlier_one_is_the_answer_not_the_earlier_line(model: EmbeddedModel) -> None:
    answer = said(model, asked([(*TIMES, TIMES[1]), (*TOKYO, None)]))
    assert "7:55" in answer
    assert "391" not in answer


def test_a_found_number_is_said(model: EmbeddedModel) -> None:
    turns = [(*TIMES, TIMES[1]), (*TOKYO, TOKYO[1]), ("what's 99 times 3", "99 times 3 is 297.", None)]
    assert "297" in said(model, asked(turns))


def test_the_agent_never_says_the_users_enter_key(model: EmbeddedModel) -> None:
    for words in ("good morning", "what are you good at"):
        assert "[enter]" not in said(model, asked([(words, None, None)]))


@pytest.mark.xfail(
    strict=True,
    reason="Gemma 3 270M (base) answers what it cannot know from its own line's start ('It's a bit of a "
    "mess.'); examples of honest answers pushed the prompt past a 2,048-token context, see docs/models.md",
)
def test_what_it_cannot_know_it_says_it_cannot(model: EmbeddedModel) -> None:
    answer = said(model, asked([("what's the weather like", None, None)]))
    assert "can't" in answer.lower()


def test_a_story_asked_for_is_told_from_the_opening_the_policy_gives(model: EmbeddedModel) -> None:
    """Told only to answer "tell me a story", the model says "I'm a baker."; with its line begun as a story (the
    policy's ``Reply(opening=...)`` for the ``story`` intent) it goes on with one, about what was asked."""
    request = replace(asked([("tell me a story about a dragon", None, None)]), opening=STORY_OPENING)
    answer = said(model, request)
    assert answer.startswith(STORY_OPENING), answer  # the opening is said, then the model's own words
    assert len(answer.removeprefix(STORY_OPENING).split()) >= 4, answer
    assert "dragon" in answer.lower(), answer
