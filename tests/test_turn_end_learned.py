"""The learned turn end: fitted on TRAIN only and not stale; its probability moves with the words and the detectors;
its wait shrinks as an end grows likelier; a story told with pauses gets backchannels and its answer at the end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from _registered import registered as decisions_named
from microturn._core._clock import VirtualClock
from microturn._core._events import AgentSpeechStarted, AgentWord, Event, SpeechPurpose, UserInput
from microturn._models import ModelRequest
from microturn._policies import FullDuplexPolicy
from microturn._policies._full_duplex._decisions import (
    Decisions,
    IntentContext,
    IntentReading,
    RulesIntent,
    RulesOverlap,
    TurnEndContext,
    Waits,
)
from microturn._policies._full_duplex._decisions._learned._turn_end import (
    HEAD,
    WAIT,
    LearnedTurnEnd,
    Waiting,
    command,
    load_fit,
)
from microturn._policies._full_duplex._decisions._learned._turn_end_fit import (
    DEFAULT_WAITS,
    TurnEndExample,
    is_later,
    turn_end_examples,
    turn_end_sha256,
)
from microturn._sentences import load_head, sentence_encoder
from microturn.testing import FakeModel, end, run_session, spoken

WAITS = Waits(complete=0.1, incomplete=1.8, max_incomplete=4.0, typed=2.5)
NAME = "test-learned-turn-end"
SPOKEN = TurnEndContext()


@pytest.fixture(scope="module")
def learned() -> LearnedTurnEnd:
    return LearnedTurnEnd(WAITS)


@pytest.fixture
def registered() -> Iterator[str]:
    with decisions_named(
        NAME, lambda waits: Decisions(turn_end=LearnedTurnEnd(waits), overlap=RulesOverlap(), intent=RulesIntent())
    ):
        yield NAME


# --- the fit -----------------------------------------------------------------------------------------------


def test_the_head_and_the_waits_were_fitted_on_the_examples_as_they_are() -> None:
    digest = turn_end_sha256(turn_end_examples())
    assert load_head(HEAD).examples_sha256 == digest, "refit: fit_turn_end()"
    assert load_fit(WAIT).examples_sha256 == digest, "refit: fit_turn_end()"


def test_no_development_case_is_fitted_on() -> None:
    found = turn_end_examples()
    assert found
    assert not [e.id for e in found if "-dev" in e.id]


def test_a_turn_that_went_on_after_a_pause_is_an_example_from_where_it_went_on(tmp_path: Path) -> None:
    """A later pause (``pause2.jsonl``): the whole turn's words, its stretch from where it went on, the pause
    before it (one the wait learns from), the agent's question, and the model's reading by the case's id."""
    later = {
        "id": "pause2-t0001",
        "family": "pause2",
        "modality": "spoken",
        "context": [{"speaker": "agent", "text": "are you free this week?"}],
        "first": "i can't do friday because",
        "first_pause": 1.2,
        "before": "my sister's flying in",
        "pause": 1.5,
        "after": "",
        "label": "end",
    }
    first = {**later, "id": "pause-t0001", "family": "pause", "before": "so i was wondering", "label": "continue"}
    for key in ("first", "first_pause"):
        first.pop(key)
    files = {
        "trainset/pause.jsonl": [first],
        "trainset/pause2.jsonl": [later],
        "trainset/narrative.jsonl": [],
        "devset/pause.jsonl": [],
        "devset/narrative.jsonl": [],
    }
    for name, cases in files.items():
        (tmp_path / "eval" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "eval" / name).write_text("".join(json.dumps(case) + "\n" for case in cases))
    signals = {"probabilities": {"pause-t0001": 0.1, "pause2-t0001": 0.7}}
    (tmp_path / "eval" / "signals").mkdir()
    (tmp_path / "eval" / "signals" / "model_end_of_turn.json").write_text(json.dumps(signals))
    found = {e.id: e for e in turn_end_examples(tmp_path)}
    assert found["pause-t0001"].stretch_start == 0
    went_on = found["pause2-t0001"]
    assert went_on.text == "i can't do friday because my sister's flying in"
    assert went_on.text[went_on.stretch_start :] == "my sister's flying in"
    assert (went_on.end, went_on.pause, went_on.earlier, went_on.agent_asked) == (True, 1.5, (1.2,), True)
    assert went_on.model == 0.7
    assert is_later(went_on)
    assert not is_later(found["pause-t0001"])


def test_the_default_waits_are_the_policys() -> None:
    options = FullDuplexPolicy().options
    assert (options["complete_silence"], options["incomplete_silence"]) == (DEFAULT_WAITS.complete, 1.8)
    assert (options["max_incomplete_silence"], options["typed_silence"]) == (4.0, DEFAULT_WAITS.typed)


def test_the_head_reads_through_an_encoder_tuned_for_it_by_default(learned: LearnedTurnEnd) -> None:
    """The default path: the shipped head stores its adapter, and the learned turn end reads with it."""
    head = load_head(HEAD)
    assert head.adapter is not None
    assert learned._encoder is sentence_encoder(head.adapter)
    text = "the kids are finally asleep"
    assert not np.allclose(sentence_encoder(head.adapter).encode(text), sentence_encoder().encode(text))


def test_the_head_is_fitted_on_features_from_adapters_that_never_saw_their_example(
    monkeypatch: pytest.MonkeyPatch, fake_tuning: dict[str, list[str]]
) -> None:
    """``_turn_end_fit._tuned``: the examples a head is fitted on are read cross-fitted, each through an adapter
    trained without it; the examples it then reads, through the adapter trained on all of those, which it keeps."""
    from microturn._policies._full_duplex._decisions._learned import _turn_end_fit

    read_with: dict[str, str] = {}

    def fake_features(encoder: Any, text: str, *, typed: bool, agent_asked: bool) -> np.ndarray:
        read_with[text] = encoder.adapter.digest  # conftest's FakeEncoder
        return np.full(4, float(len(text)), np.float32)

    monkeypatch.setattr(_turn_end_fit, "head_features", fake_features)
    found = [
        TurnEndExample(f"pause-t{i}", f"pause-t{i}", f"words {i}", False, False, 0, i % 2 == 0, 1.0, 0.5)
        for i in range(8)
    ]
    fitted, others = [0, 1, 2, 3, 5, 6], [4, 7]
    rows, read, adapter = _turn_end_fit._tuned(found, np.array([e.end for e in found]))(fitted)
    assert rows.shape == (6, 4)
    assert [read(index).shape for index in others] == [(4,), (4,)]
    for index in fitted:
        assert found[index].text not in fake_tuning[read_with[found[index].text]]
    assert adapter is not None
    assert fake_tuning[adapter.digest] == [found[index].text for index in fitted]
    assert {read_with[found[index].text] for index in others} == {adapter.digest}


# --- the probability and the wait --------------------------------------------------------------------------


def test_the_wait_shrinks_as_an_end_grows_likelier() -> None:
    fit = load_fit(WAIT)
    waiting = Waiting(0.1, fit)
    for cost in (fit.delay_cost, fit.model_delay_cost, fit.server_delay_cost):
        waits = [waiting.wait(p / 100, 1.8, cost) for p in range(101)]
        assert waits == sorted(waits, reverse=True)
        assert (waits[0], waits[-1]) == (1.8, 0.1)
        assert waiting.wait(0.0, 2.6, cost) == 2.6  # this speaker's long pauses allow a longer wait


def test_a_question_is_answered_at_once_and_unfinished_words_wait(learned: LearnedTurnEnd) -> None:
    asked = learned.estimate("what time does the pharmacy close", SPOKEN)
    going_on = learned.estimate("so I was thinking that we could", SPOKEN)
    assert asked.probability > 0.5 > going_on.probability
    assert asked.wait == 0.1
    assert going_on.wait >= 1.5


def test_the_detectors_move_the_probability(learned: LearnedTurnEnd) -> None:
    text = "the meeting went well"
    alone = learned.estimate(text, SPOKEN)
    said_over, said_not = (learned.estimate(text, TurnEndContext(model_end_probability=p)) for p in (0.95, 0.05))
    assert said_over.probability > said_not.probability
    assert said_over.wait <= said_not.wait
    heard_over, heard_not = (learned.estimate(text, TurnEndContext(audio_end_probability=p)) for p in (0.9, 0.1))
    assert heard_over.probability > alone.probability > heard_not.probability


def test_a_servers_reading_is_weighed_by_the_servers_combination(learned: LearnedTurnEnd) -> None:
    """The same reading from a server (its top log-probabilities, calibrated) and from the embedded model's head:
    a server's 0.5 is a high one (its median at a real end is 0.45), the head's a lowish one (0.66): "sure why not"
    is over by the server's reading, and may go on by the head's."""
    fit = load_fit(WAIT)
    assert fit.combination("server") == (fit.server, fit.server_delay_cost)
    assert fit.combination("model") == (fit.model, fit.model_delay_cost)
    assert fit.combination(None) == (fit.text, fit.delay_cost)
    assert fit.server != fit.model
    head = TurnEndContext(model_end_probability=0.5)
    by_head = learned.estimate("sure why not", head)
    by_server = learned.estimate("sure why not", replace(head, model_end_source="server"))
    assert by_server.probability > by_head.probability
    assert by_server.wait == 0.1 < by_head.wait


def test_a_command_with_what_it_needs_is_a_whole_turn(learned: LearnedTurnEnd) -> None:
    """Words the policy would carry out as they are end the turn; the same request still missing its slot, or
    negated, is no command."""
    assert command(IntentReading("timer", {"seconds": 600.0}))
    assert not command(IntentReading("timer", {}))
    assert command(IntentReading("live_start", {"language": "French"}))
    assert not command(IntentReading("live_start", {"mode": "translate"}))
    assert not command(IntentReading("live_stop", negated=True))
    assert not command(IntentReading("delegate", {"task": "find a hotel"}))  # a job is asked for in many words
    translate = learned.estimate("translate into french as i speak", SPOKEN)
    unsaid = learned.estimate("translate into", SPOKEN)
    assert translate.probability > 5 * unsaid.probability
    read_as_talk = LearnedTurnEnd(WAITS, intent=_ReadsNothing())
    assert translate.probability > read_as_talk.estimate("translate into french as i speak", SPOKEN).probability + 0.1
    assert translate.wait == WAITS.complete  # answered at once (docs/decisions.md, "Commands end their turn")


class _ReadsNothing:
    """An intent reader that takes every turn for talk: the turn end without the command evidence."""

    def read(self, text: str, context: IntentContext) -> IntentReading:
        return IntentReading("none")


def test_typed_words_wait_as_the_rules_make_them(learned: LearnedTurnEnd) -> None:
    typed = TurnEndContext(typed=True)
    assert learned.estimate("what time is it", typed).wait == 2.5
    assert learned.estimate("i need to", typed).wait == 7.5
    assert not learned.estimate("and then we", TurnEndContext(typed=True, stretch_start=3)).backchannel


def test_a_backchannel_fits_a_story_not_a_turns_first_finished_words(learned: LearnedTurnEnd) -> None:
    first = "so last week i went to my cousin's wedding up in aberdeen"
    story = f"{first} and the whole thing was outdoors"
    assert not learned.estimate(first, SPOKEN).backchannel
    went_on = learned.estimate(story, TurnEndContext(stretch_start=len(first) + 1))
    assert went_on.probability < 0.5
    assert went_on.backchannel
    asked = learned.estimate(f"{story} how do i get mud out of silk", TurnEndContext(stretch_start=len(story) + 1))
    assert asked.probability > 0.5
    assert not asked.backchannel


# --- in a session ------------------------------------------------------------------------------------------

STORY = [
    "so my daughter started at a new school in september",
    "and she was really nervous about it because she didn't know anyone",
    "the first week she came home crying every day",
    "but now she's made two friends and she loves her teacher",
    "how can i help her keep those friendships going over the summer",
]


def test_a_story_told_with_pauses_gets_backchannels_and_its_answer_at_the_end(registered: str) -> None:
    steps = []
    at = 0.5
    for sentence in STORY:
        steps += spoken(sentence, at)
        at += 0.3 * len(sentence.split()) + 1.2
    last = at - 1.2
    clock = VirtualClock()
    log = clock.run(run_session(clock, [*steps, *end(last + 5.0)], policy=FullDuplexPolicy(decisions=registered)))[1]
    started = [e for e in log if isinstance(e, AgentSpeechStarted)]
    before = [e.purpose for e in started if e.t < last]
    assert before
    assert set(before) == {SpeechPurpose.BACKCHANNEL}
    answer = first_reply_word(log, last)
    assert answer is not None
    assert answer.t - last <= 0.3


def test_the_agents_question_is_what_a_short_answer_answers(registered: str) -> None:
    """The agent's last line reaches the judge: here it asked, and "friday" ends the turn sooner than without."""
    waits: dict[bool, float] = {}
    for asked in (True, False):
        clock = VirtualClock()
        line = "which day suits you?" if asked else "I can book that for you."
        steps = [*spoken("hello there", 0.5), *spoken("friday", 7.0), *end(14.0)]
        policy = FullDuplexPolicy(decisions=registered)
        log = clock.run(run_session(clock, steps, policy=policy, model=scripted(line)))[1]
        said = next(e for e in log if isinstance(e, UserInput) and e.text == "friday")
        word = first_reply_word(log, said.t + said.duration)
        waits[asked] = 99.0 if word is None else word.t - (said.t + said.duration)  # 99: no answer at all
    assert waits[True] <= 0.3
    assert waits[False] > waits[True]


def scripted(line: str) -> FakeModel:
    """A model that says ``line``, then "Okay." to anything."""
    lines = [line]

    async def answer(request: ModelRequest) -> str:
        return lines.pop() if lines else "Okay."

    return FakeModel(answer)


def first_reply_word(log: list[Event], after: float) -> AgentWord | None:
    replies = {e.utterance for e in log if isinstance(e, AgentSpeechStarted) and e.purpose is SpeechPurpose.REPLY}
    return next((e for e in log if isinstance(e, AgentWord) and e.utterance in replies and e.t >= after - 1e-9), None)


def test_a_turn_end_fit_of_another_shape_is_a_clear_error(tmp_path: Path) -> None:
    import numpy as np

    from microturn._policies._full_duplex._decisions._learned._turn_end import load_fit
    from microturn.errors import ConfigError

    old = tmp_path / "turn_end_wait.npz"  # as before the two delay costs: one, a 0-d array
    np.savez(
        old,
        text=np.zeros(5),
        model=np.zeros(8),
        pause_log=np.array([0.0, 0.3]),
        delay_cost=np.array(0.7),
        examples_sha256=np.array("x"),
    )
    with pytest.raises(ConfigError, match="cannot load the turn-end fit"):
        load_fit(old)


def test_every_session_shares_the_shipped_head_and_fit_read_once() -> None:
    """README, capacity: a session's turn end does not read its files from disk again (~1.7 ms a session)."""
    first, second = LearnedTurnEnd(DEFAULT_WAITS), LearnedTurnEnd(DEFAULT_WAITS)
    assert first._head is second._head
    assert first._fit is second._fit
