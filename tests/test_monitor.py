"""The claim monitor in virtual time: it checks the user's words as they come, and the agent corrects them at
their next breath. The checker is a FAKE (deterministic, with the latency a test gives it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

import pytest

from microturn import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    ClaimFlagged,
    ComponentFailed,
    Event,
    FullDuplexPolicy,
    InputRejected,
    ModelRequest,
    ScriptedModel,
    SpeechPurpose,
    UserErase,
    UserInput,
    UserSpeechEnded,
    UserSpeechStarted,
    UserTranscript,
    VirtualClock,
    encode_event,
    encode_log,
)
from microturn._agent import Agent
from microturn._agent._models import monitor_choice
from microturn._background import ClaimChecker, ClaimContext, ClaimMonitor, FakeChecker, ModelChecker
from microturn._eval._replay import compare_logs, replay_log
from microturn._models._openai import OpenAICompatibleModel
from microturn._policies._full_duplex._decisions import DECISIONS
from microturn.errors import ConfigError, UnknownComponent
from microturn.testing import FakeModel, end, run_agent, run_session, spoken, typed

WALL = "Actually, the Great Wall isn't visible from space."
VERDICT = f'{{"problem": "false_premise", "correction": "{WALL}", "confidence": 0.9}}'
NONE = '{"problem": "none"}'


Handler = Callable[[ClaimContext], Awaitable[str]]


def answering(
    clock: VirtualClock, *, latency: float = 0.2, when: str = "great wall", verdict: str = VERDICT
) -> Handler:
    """A fake model: ``verdict`` when the words checked mention ``when``, else none; after ``latency`` seconds."""

    async def handler(context: ClaimContext) -> str:
        await clock.sleep_until(clock.now() + latency)
        return verdict if when in context.claim else NONE

    return handler


def monitored(
    clock: VirtualClock, steps: Sequence[Any], checker: ClaimChecker, *, decisions: str = "rules", timeout: float = 10.0
) -> list[Event]:
    """A session with the monitor beside it, over ``steps``; its log."""

    async def main() -> list[Event]:
        _, log = await run_session(
            clock,
            steps,
            policy=FullDuplexPolicy(decisions=decisions),
            model=ScriptedModel(),
            driver=lambda session: ClaimMonitor(session, clock=clock, checker=checker, timeout=timeout).run(),
        )
        return log

    return clock.run(main())


def utterances(log: Sequence[Event]) -> Iterator[tuple[AgentSpeechStarted, str]]:
    """Each utterance's start, with what it delivered."""
    started = {event.utterance: event for event in log if isinstance(event, AgentSpeechStarted)}
    for event in log:
        if isinstance(event, AgentSpeechEnded):
            yield started[event.utterance], event.delivered


def said(log: Sequence[Event], purpose: SpeechPurpose) -> list[tuple[float, str]]:
    return [(start.t, words) for start, words in utterances(log) if start.purpose is purpose]


def flagged(log: Sequence[Event]) -> list[ClaimFlagged]:
    return [event for event in log if isinstance(event, ClaimFlagged)]


PREMISE = "since the great wall is visible from space and"  # unfinished: the user goes on after a breath
DECISION_SETS = sorted(DECISIONS)


@pytest.mark.parametrize("decisions", DECISION_SETS)
def test_the_user_is_corrected_at_their_next_breath(decisions: str) -> None:
    clock = VirtualClock()
    checker = FakeChecker(answering(clock))
    steps = [*spoken(PREMISE, 1.0), *spoken("how long would it take to walk it", 5.0), *end(20.0)]
    log = monitored(clock, steps, checker, decisions=decisions)
    [finding] = flagged(log)
    assert (finding.claim, finding.problem, finding.correction) == (PREMISE, "false-premise", WALL)
    assert finding.source == "monitor"
    assert finding.said_at == pytest.approx(3.4)  # the last word of the claim
    [(at, words)] = said(log, SpeechPurpose.INTERJECTION)
    assert words == WALL
    assert 3.7 + 0.3 <= at < 5.0  # at the breath after "and" (its word ends at 3.7), before the user goes on
    assert any(words for _, words in said(log, SpeechPurpose.REPLY))  # and the turn is answered at its end


def test_checks_run_one_at_a_time_and_words_said_meanwhile_come_next() -> None:
    clock = VirtualClock()
    running = 0
    most = 0

    async def slow(context: ClaimContext) -> str:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await clock.sleep_until(clock.now() + 1.0)
        running -= 1
        return NONE

    checker = FakeChecker(slow)
    words = "the moon is made of cheese and it goes round the sun every day so we could walk there tomorrow and"
    parts = words.split()
    steps = [*spoken(" ".join(parts[:7]), 1.0), *spoken(" ".join(parts[7:14]), 3.6), *spoken(" ".join(parts[14:]), 6.2)]
    monitored(clock, [*steps, *end(20.0)], checker)
    assert most == 1
    claims = [context.claim for context in checker.contexts]
    assert len(claims) >= 2
    assert " ".join(claims) == words  # every word checked once, in order
    assert all(context.turn.endswith(context.claim) for context in checker.contexts)  # with the turn around it


def test_a_typed_word_is_not_checked_in_its_middle() -> None:
    clock = VirtualClock()
    checker = FakeChecker(answering(clock))
    text = "the moon is made of cheese and the sun is cold"
    # Keystrokes at 5 a second, with a pause of 0.8 s in the middle of "cheese" (at 5.0) and one after "and ".
    pauses = {text.index("ese"): 0.6, text.index(" the sun") + 1: 0.6}
    keys, at = [], 1.0
    for index, key in enumerate(text):
        at = round(at + 0.2 + pauses.get(index, 0.0), 6)
        keys.append((at, UserInput(text=key)))
    monitored(clock, [*keys, *end(20.0)], checker)
    claims = [context.claim for context in checker.contexts]
    assert claims == ["the moon is made of cheese and", "the sun is cold"]  # the last word: a second after its end


def test_an_unsure_finding_is_recorded_and_not_said() -> None:
    clock = VirtualClock()
    unsure = VERDICT.replace("0.9", "0.5")
    log = monitored(clock, [*spoken(PREMISE, 1.0), *end(12.0)], FakeChecker(answering(clock, verdict=unsure)))
    assert [finding.confidence for finding in flagged(log)] == [0.5]
    assert said(log, SpeechPurpose.INTERJECTION) == []
    assert all(WALL not in words for _, words in utterances(log))


def test_a_finding_that_comes_while_the_turn_is_answered_is_said_after_the_answer() -> None:
    clock = VirtualClock()
    question = "since the great wall is visible from space how long is it"  # complete: answered at once
    log = monitored(clock, [*spoken(question, 1.0), *end(20.0)], FakeChecker(answering(clock, latency=2.0)))
    starts = [(start.purpose, words) for start, words in utterances(log)]
    assert starts[0][0] is SpeechPurpose.REPLY
    assert (SpeechPurpose.ANNOUNCE, WALL) in starts[1:]  # after the answer, at a quiet moment


def test_a_finding_before_the_turn_ends_opens_the_reply() -> None:
    clock = VirtualClock()
    steps = [
        *typed("Since the Great Wall is visible from space. ", at=1.0),
        *typed("How long would it take to walk it?", at=1.2, submit_at=1.3),
        *end(20.0),
    ]
    log = monitored(clock, steps, FakeChecker(answering(clock, latency=0.1, when="Great Wall")))
    first_start, first = next(utterances(log))
    assert first_start.purpose is SpeechPurpose.REPLY
    assert first.startswith(WALL)  # the correction, then the answer in the same utterance
    assert len(first) > len(WALL)
    assert said(log, SpeechPurpose.INTERJECTION) == []


def test_no_correction_in_a_live_mode() -> None:
    clock = VirtualClock()
    steps = [*typed("repeat after me", at=1.0, submit_at=1.1), *spoken(PREMISE, 4.0), *end(20.0)]
    log = monitored(clock, steps, FakeChecker(answering(clock)))
    assert flagged(log)  # the monitor found it...
    assert all(WALL not in words for _, words in utterances(log))  # ...and the agent kept repeating


def test_a_failing_checker_costs_a_record_and_a_rest() -> None:
    clock = VirtualClock()

    async def broken(context: ClaimContext) -> str:
        raise RuntimeError("the model server fell over")

    checker = FakeChecker(broken)
    speech = [step for start in (1.0, 4.0, 7.0, 10.0, 13.0) for step in spoken("i think that rome is big and", start)]
    log = monitored(clock, [*speech, *end(30.0)], checker)
    failures = [event for event in log if isinstance(event, ComponentFailed)]
    assert failures
    assert {(event.component, event.source) for event in failures} == {("monitor", "monitor")}
    assert "the model server fell over" in failures[0].error
    assert len(failures) < 5  # it rested after each failure (2 s, then 4 s): not asked at every pause
    assert said(log, SpeechPurpose.REPLY)  # the conversation went on


def test_a_checker_that_hangs_is_given_up_on() -> None:
    clock = VirtualClock()

    async def hangs(context: ClaimContext) -> str:
        await clock.sleep_until(clock.now() + 3600)
        return VERDICT

    log = monitored(clock, [*spoken(PREMISE, 1.0), *end(30.0)], FakeChecker(hangs), timeout=5.0)
    [failure] = [event for event in log if isinstance(event, ComponentFailed)]
    assert "did not finish within 5 s" in failure.error
    assert failure.transient
    assert flagged(log) == []


def test_a_checker_that_returns_no_text_costs_a_record() -> None:
    clock = VirtualClock()

    async def wrong(context: ClaimContext) -> str:
        return None  # type: ignore[return-value]  # a checker of someone's own, with a bug

    log = monitored(clock, [*spoken(PREMISE, 1.0), *end(12.0)], FakeChecker(wrong))
    [failure] = [event for event in log if isinstance(event, ComponentFailed)]
    assert failure.component == "monitor"
    assert failure.error.startswith("TypeError")


@pytest.mark.parametrize("garbage", ["", "I think so.", "{{{{", '{"problem": "wrong_fact"}', "\u202e" * 300])
def test_garbage_is_no_finding_and_no_failure(garbage: str) -> None:
    clock = VirtualClock()
    log = monitored(clock, [*spoken(PREMISE, 1.0), *end(12.0)], FakeChecker(answering(clock, verdict=garbage)))
    assert flagged(log) == []
    assert not [event for event in log if isinstance(event, ComponentFailed | InputRejected)]


def test_words_taken_back_cancel_their_check_and_what_stands_is_checked_again() -> None:
    clock = VirtualClock()
    checker = FakeChecker(answering(clock, latency=1.0, when="germany"))
    steps = [
        *typed("paris is in germany ", at=1.0),
        (1.5, UserErase(count=8)),  # while its check runs (from 1.3)
        *typed("france ", at=1.7),
        *end(12.0),
    ]
    log = monitored(clock, steps, checker)
    assert [context.claim for context in checker.contexts] == ["paris is in germany", "paris is in france"]
    assert flagged(log) == []  # the stale check was cancelled: its finding never came


def test_any_chat_model_can_check_through_its_replies() -> None:
    # A model without chat messages of the caller's own is asked for a reply, with the check as the instruction.
    clock = VirtualClock()

    async def judge(request: ModelRequest) -> str:
        assert "fact" in request.instruction  # the checker's instructions, as the reply's instruction
        return VERDICT if "great wall" in request.user_text else NONE

    fake = FakeModel(judge)
    log = monitored(clock, [*spoken(PREMISE, 1.0), *end(12.0)], ModelChecker(fake))
    assert [finding.correction for finding in flagged(log)] == [WALL]
    echo = monitored(VirtualClock(), [*spoken(PREMISE, 1.0), *end(12.0)], ModelChecker(ScriptedModel()))
    assert flagged(echo) == []  # "You said: ..." is no verdict


def test_in_voice_it_checks_after_the_speech_and_again_if_the_final_transcript_differs() -> None:
    clock = VirtualClock()
    checker = FakeChecker(answering(clock, latency=1.0, when="germany"))
    steps = [
        (1.0, UserSpeechStarted()),
        *spoken("paris is in germany", 1.1),
        (2.6, UserSpeechEnded(duration=1.5, silence=0.3)),  # the check starts at 2.9, for a second
        (3.2, UserTranscript(text="Paris is in Hungary.", final=True)),  # the accurate recogniser heard otherwise
        *end(12.0),
    ]
    log = monitored(clock, steps, checker)
    assert [context.claim for context in checker.contexts] == ["paris is in germany", "Paris is in Hungary."]
    assert flagged(log) == []  # the stale check was cancelled


def test_a_replay_needs_no_monitor() -> None:
    clock = VirtualClock()
    steps = [*spoken(PREMISE, 1.0), *spoken("how long would it take to walk it", 5.0), *end(20.0)]
    log = encode_log(monitored(clock, steps, FakeChecker(answering(clock))))
    compare_logs(log, replay_log(log))  # the finding is in the log, as it came


def test_the_agent_runs_the_monitor_beside_its_sessions() -> None:
    clock = VirtualClock()
    checker = FakeChecker(answering(clock))
    agent = Agent(model=ScriptedModel(), policy=FullDuplexPolicy(), monitor=checker, builtin_tools=False)
    run = run_agent(agent, spoken(PREMISE, 1.0), clock=clock)
    assert [finding.correction for finding in run.of(ClaimFlagged)] == [WALL]
    assert WALL in run.replies


def test_the_monitor_is_off_by_default_unless_the_background_model_is_a_server() -> None:
    assert monitor_choice(None, "embedded", "embedded") is None  # the 270M model cannot judge facts
    assert monitor_choice(None, "scripted", "embedded") is None
    assert monitor_choice(None, "openai", "openai") == "openai"  # by name: an instance of its own
    server = OpenAICompatibleModel(base_url="http://127.0.0.1:9/v1", model="m", clock=VirtualClock())
    assert monitor_choice(None, server, "embedded") is server
    assert monitor_choice(None, server, server) is None  # the replies would wait for its checks
    assert monitor_choice(True, server, server) is server  # unless asked
    assert monitor_choice(False, "openai", "openai") is None
    assert monitor_choice(True, "embedded", "embedded") == "embedded"  # on, explicitly
    assert monitor_choice("embedded", "scripted", "embedded") == "embedded"
    with pytest.raises(ConfigError, match="no language model"):
        Agent(background_model="scripted", monitor=True)
    with pytest.raises(UnknownComponent):
        Agent(monitor="gpt-nonexistent")
    with pytest.raises(ConfigError, match="monitor must be"):
        Agent(monitor=42)  # type: ignore[arg-type]


async def test_a_session_without_findings_is_not_touched(clock: VirtualClock) -> None:
    # The feature is inert until the monitor reports: a session runs as it always has, event for event.
    steps = [*spoken("tell me a joke about cats and", 1.0), *spoken("dogs", 4.0), *end(15.0)]
    _, plain = await run_session(clock, steps, policy=FullDuplexPolicy(), model=ScriptedModel())
    _, wired = await run_session(clock, steps, policy=FullDuplexPolicy(), model=ScriptedModel())
    assert [encode_event(event) for event in plain[1:]] == [encode_event(event) for event in wired[1:]]
