"""Script timing (ScriptSource) and every expectation kind, each shown passing and failing."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from microturn import (
    AgentSpeechEnded,
    AgentSpeechHeld,
    AgentSpeechStarted,
    AgentWord,
    EndReason,
    EndSession,
    Event,
    JobProgress,
    JobResult,
    Modality,
    Note,
    Session,
    StopOutput,
    UserErase,
    UserInput,
    UserSubmit,
    VirtualClock,
    open_bus,
)
from microturn._core._floor import FloorState
from microturn._eval import CheckResult, Mark, Scenario, ScriptSource, evaluate, run_scenario
from microturn._eval._checks import RunRecord
from microturn._eval._format import Check
from microturn.errors import ScenarioError

# --- helpers ---------------------------------------------------------------------------------------------


def scenario(**fields: Any) -> Scenario:
    """A scenario under the turn-based baseline unless it says otherwise (these tests use its timing)."""
    fields.setdefault("config", {})
    fields["config"] = {"policy": "turn-based", **fields["config"]}
    return msgspec.convert({"name": "case", **fields}, Scenario)


def play(source: ScriptSource) -> list[tuple[float, Event | bytes]]:
    """Drain a source the way the loop does, without a session: (poll time, item) in order."""
    state = FloorState()
    played: list[tuple[float, Event | bytes]] = []
    while (t := source.next_awake(state)) is not None:
        played.extend((t, item) for item in source.poll(t, state))
    return played


def run_with_source(s: Scenario) -> tuple[list[Event], ScriptSource]:
    """A real Session run in virtual time, keeping the source to look at its marks."""
    source = ScriptSource(s)
    clock = VirtualClock()

    async def main() -> list[Event]:
        bus = open_bus("memory")
        session = Session(bus=bus, clock=clock, config=s.session_config(), session_id=s.name, sources=[source])
        await session.run()
        events = await bus.read(session.id)
        await bus.aclose()
        return events

    return clock.run(main()), source


def results(s: Scenario) -> list[CheckResult]:
    result, log = run_scenario(s)
    assert result.error is None
    assert log
    assert len(result.checks) == len(s.expect)
    assert result.passed == all(check.passed for check in result.checks)
    return result.checks


def one(s: Scenario, check: dict[str, Any]) -> CheckResult:
    (result,) = results(msgspec.structs.replace(s, expect=[msgspec.convert(check, Check)]))
    return result


# A typed question answered on the next tick: "2 plus 3 is 5." one word per 0.4 s from 0.4 s.
TYPED = scenario(duration=4, script=[{"at": 0.3, "type": "what is 2 plus 3", "cps": 0, "submit": True, "id": "ask"}])
# The same question spoken: the turn-based policy waits for end_silence (0.8 s) before answering.
SPOKEN = scenario(duration=5, script=[{"at": 0.5, "say": "what is two plus three", "id": "ask"}])
# A story cut off by a spoken word 0.3 s after its third word (1.0 s): the cut lands at 1.3 s.
BARGE_IN = scenario(
    duration=6,
    script=[
        {"at": 0.1, "type": "tell me a story", "cps": 0, "submit": True},
        {"when": {"agent": "speaks", "words": 3}, "delay": 0.3, "say": "wait", "id": "cut"},
    ],
)


# --- script timing ----------------------------------------------------------------------------------------


def test_say_emits_one_spoken_word_per_rate_and_pauses_add_their_seconds() -> None:
    s = scenario(
        duration=9,
        script=[{"at": 1.0, "say": "one two <pause 1.5> three", "rate": 0.5, "submit": True, "id": "s"}],
    )
    source = ScriptSource(s)

    played = play(source)

    assert played == [
        (1.0, UserInput(text="one", modality=Modality.SPOKEN, duration=0.5, t=1.0)),
        (1.5, UserInput(text="two", modality=Modality.SPOKEN, duration=0.5, t=1.5)),
        (3.5, UserInput(text="three", modality=Modality.SPOKEN, duration=0.5, t=3.5)),
        (4.0, UserSubmit(t=4.0)),
        (9.0, EndSession(reason="scenario over", t=9.0)),
    ]
    assert source.marks == {"s": Mark(start=1.0, end=4.0)}


def test_say_times_are_rounded_to_the_microsecond() -> None:
    source = ScriptSource(scenario(script=[{"at": 0.1, "say": "a b c", "rate": 0.3, "id": "s"}]))

    times = [item.t for _, item in play(source) if isinstance(item, UserInput)]

    assert times == [0.1, 0.4, 0.7]
    assert source.marks["s"] == Mark(start=0.1, end=1.0)


def test_type_emits_one_character_per_one_over_cps() -> None:
    source = ScriptSource(
        scenario(duration=3, script=[{"at": 0.5, "type": "abc", "cps": 4, "submit": True, "id": "k"}])
    )

    played = play(source)

    assert played[:4] == [
        (0.5, UserInput(text="a", duration=0.25, t=0.5)),
        (0.75, UserInput(text="b", duration=0.25, t=0.75)),
        (1.0, UserInput(text="c", duration=0.25, t=1.0)),
        (1.25, UserSubmit(t=1.25)),
    ]
    assert all(item.modality is Modality.TYPED for _, item in played[:3] if isinstance(item, UserInput))
    assert source.marks["k"] == Mark(start=0.5, end=1.25)


def test_type_with_cps_zero_pastes_one_chunk_and_submits_at_once() -> None:
    source = ScriptSource(
        scenario(duration=3, script=[{"at": 2.0, "type": "hello world", "cps": 0, "submit": True, "id": "p"}])
    )

    assert play(source)[:2] == [(2.0, UserInput(text="hello world", t=2.0)), (2.0, UserSubmit(t=2.0))]
    assert source.marks["p"] == Mark(start=2.0, end=2.0)


def test_delay_shifts_a_timed_step_and_its_mark() -> None:
    source = ScriptSource(scenario(duration=3, script=[{"at": 1.0, "delay": 0.5, "note": "late", "id": "n"}]))

    assert play(source)[0] == (1.5, Note(text="late", t=1.5))
    assert source.marks["n"] == Mark(start=1.5, end=1.5)


def test_steps_play_in_time_order_and_in_script_order_at_equal_times() -> None:
    s = scenario(
        duration=5,
        script=[
            {"at": 2.0, "note": "second"},
            {"at": 1.0, "note": "first"},
            {"at": 2.0, "note": "third"},
        ],
    )

    notes = [item.text for _, item in play(ScriptSource(s)) if isinstance(item, Note)]

    assert notes == ["first", "second", "third"]


def test_single_actions_become_their_events() -> None:
    s = scenario(
        duration=5,
        script=[
            {"at": 0.5, "erase": 2},
            {"at": 1.0, "event": {"kind": "StopOutput", "reason": "button"}},
            {"at": 1.5, "raw": '{"v": 1, "e": {"kind": "Teleport"}}'},
            {"at": 2.0, "result": {"job": "job-1", "text": "done"}},
            {"at": 2.5, "progress": {"job": "job-1", "text": "half", "fraction": 0.5}},
            {"at": 3.0, "note": "a screen changed"},
            {"at": 3.5, "submit": True, "id": "enter"},
        ],
    )
    source = ScriptSource(s)

    assert play(source) == [
        (0.5, UserErase(count=2, t=0.5)),
        (1.0, StopOutput(reason="button", t=1.0)),
        (1.5, b'{"v": 1, "e": {"kind": "Teleport"}}'),
        (2.0, JobResult(job="job-1", text="done", t=2.0)),
        (2.5, JobProgress(job="job-1", text="half", fraction=0.5, t=2.5)),
        (3.0, Note(text="a screen changed", t=3.0)),
        (3.5, UserSubmit(t=3.5)),
        (5.0, EndSession(reason="scenario over", t=5.0)),
    ]
    assert source.marks["enter"] == Mark(start=3.5, end=3.5)


def test_an_invalid_step_event_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError, match="Nope"):
        ScriptSource(scenario(script=[{"at": 1.0, "event": {"kind": "Nope"}}]))


def test_a_trigger_fires_at_the_nth_word_of_the_agent_plus_its_delay() -> None:
    s = scenario(
        duration=6,
        script=[
            {"at": 0.1, "type": "tell me a story", "cps": 0, "submit": True},
            {"when": {"agent": "speaks", "words": 3}, "delay": 0.3, "say": "wait", "id": "cut"},
            {"when": {"agent": "ends"}, "note": "first ended", "id": "ended"},
            {"when": {"agent": "speaks", "utterance": 2, "words": 2}, "delay": 0.05, "note": "second"},
            {"when": {"agent": "ends", "utterance": 2}, "delay": 0.5, "note": "after second"},
            {"when": {"agent": "speaks", "utterance": 3}, "note": "never", "id": "never"},
        ],
    )

    events, source = run_with_source(s)

    first = [w.t for w in events if isinstance(w, AgentWord) and w.utterance == 1]
    second = [w.t for w in events if isinstance(w, AgentWord) and w.utterance == 2]
    ends = {e.utterance: e for e in events if isinstance(e, AgentSpeechEnded)}
    spoken = [(e.text, e.t) for e in events if isinstance(e, UserInput) and e.modality is Modality.SPOKEN]
    notes = {e.text: e.t for e in events if isinstance(e, Note)}
    assert first == [0.2, 0.6, 1.0]
    assert spoken == [("wait", 1.3)]  # the third word at 1.0 s, plus 0.3 s
    assert source.marks["cut"] == Mark(start=1.3, end=1.7)
    assert ends[1].reason is EndReason.INTERRUPTED
    assert ends[1].t == 1.3
    assert notes["first ended"] == 1.3
    assert source.marks["ended"] == Mark(start=1.3, end=1.3)
    assert len(second) >= 2
    assert notes["second"] == round(second[1] + 0.05, 6)
    assert notes["after second"] == round(ends[2].t + 0.5, 6)
    assert "never" not in notes
    assert "never" not in source.marks


def test_a_typed_trigger_step_submits_at_its_end() -> None:
    s = scenario(
        duration=6,
        script=[
            {"at": 0.1, "type": "tell me a story", "cps": 0, "submit": True},
            {"when": {"agent": "speaks", "words": 2}, "type": "ok", "cps": 10, "submit": True, "id": "ok"},
        ],
    )

    events, source = run_with_source(s)

    typed = [(e.text, e.t) for e in events if isinstance(e, UserInput) and e.t > 0.1]
    submits = [e.t for e in events if isinstance(e, UserSubmit)]
    assert typed == [("o", 0.6), ("k", 0.7)]
    assert submits == [0.1, 0.8]
    assert source.marks["ok"] == Mark(start=0.6, end=0.8)


# --- each check, passing and failing ----------------------------------------------------------------------


def test_silent_passes_before_the_agent_speaks_and_fails_once_it_has() -> None:
    assert one(TYPED, {"check": "silent", "start": 0, "end": "ask"}) == CheckResult(
        "silent(start=0.0, end='ask')", True, "no agent output in [0.00, 0.30) s"
    )
    assert one(TYPED, {"check": "silent", "start": 0, "end": 0.4}).passed  # the end is exclusive

    failed = one(TYPED, {"check": "silent", "start": 0, "end": 4})

    assert not failed.passed
    assert failed.detail == "agent said '2' at 0.40 s"


def test_speaks_passes_within_the_bound_and_fails_outside_it() -> None:
    passed = one(TYPED, {"check": "speaks", "after": "ask", "within": 0.1})
    assert passed.passed
    assert passed.check == "speaks(after='ask', within=0.1)"

    failed = one(TYPED, {"check": "speaks", "after": "ask", "within": 0.05})

    assert not failed.passed
    assert failed.detail == "first word '2' 100 ms after 0.30 s"


def test_speaks_at_once_after_a_spoken_question_fails_with_the_turn_based_policy() -> None:
    failed = one(SPOKEN, {"check": "speaks", "after": "ask", "within": 0.0})

    assert not failed.passed
    # five words from 0.5 s end at 2.5 s; 0.8 s of silence later, the next tick (3.4 s) answers
    assert failed.detail == "first word '2' 900 ms after 2.50 s"
    assert one(SPOKEN, {"check": "speaks", "after": "ask", "within": 1.0}).passed


def test_speaks_fails_when_the_agent_never_speaks_again() -> None:
    failed = one(TYPED, {"check": "speaks", "after": 2.1, "within": 5.0})

    assert not failed.passed
    assert failed.detail == "agent never spoke after 2.10 s"


def test_says_matches_case_insensitively_after_a_time() -> None:
    assert one(TYPED, {"check": "says", "text": "2 plus 3 is 5."}).passed
    assert one(TYPED, {"check": "says", "text": "PLUS 3 IS"}).passed

    wrong = one(TYPED, {"check": "says", "text": "is 6"})
    late = one(TYPED, {"check": "says", "text": "2 plus", "after": 1.0})

    assert not wrong.passed
    assert wrong.detail == "agent said: '2 plus 3 is 5.'"
    assert not late.passed
    assert late.detail == "agent said: '3 is 5.'"


def test_not_says_passes_when_the_text_is_absent_and_fails_when_present() -> None:
    assert one(TYPED, {"check": "not_says", "text": "is 6"}).passed

    failed = one(TYPED, {"check": "not_says", "text": "plus"})

    assert not failed.passed
    assert "2 plus 3 is 5." in failed.detail


def test_stop_latency_passes_for_a_barge_in_cut_in_the_same_pass() -> None:
    passed = one(BARGE_IN, {"check": "stop_latency", "max": 0.0})

    assert passed.passed
    assert passed.detail == "1 interruption(s), worst stop latency 0 ms from onset"


def test_stop_latency_cannot_pass_without_an_interruption() -> None:
    failed = one(TYPED, {"check": "stop_latency", "max": 10.0})

    assert not failed.passed
    assert failed.detail == "0 interruption(s), expected at least 1"


def test_stop_latency_fails_with_fewer_interruptions_than_its_min() -> None:
    failed = one(BARGE_IN, {"check": "stop_latency", "max": 0.0, "min": 2})

    assert not failed.passed
    assert failed.detail == "1 interruption(s), expected at least 2"


def test_floor_passes_for_the_right_holder_and_fails_for_another() -> None:
    assert one(TYPED, {"check": "floor", "at": 0.5, "holder": "agent"}).passed
    assert one(TYPED, {"check": "floor", "at": 3.0, "holder": "none"}).passed
    assert one(SPOKEN, {"check": "floor", "at": 1.0, "holder": "user"}).passed
    assert one(BARGE_IN, {"check": "floor", "at": 1.35, "holder": "user"}).passed

    failed = one(TYPED, {"check": "floor", "at": 0.5, "holder": "user"})

    assert not failed.passed
    assert failed.detail == "floor at 0.50 s: agent"


def test_count_passes_within_its_bounds_and_fails_outside_them() -> None:
    assert one(TYPED, {"check": "count", "kind": "AgentWord", "min": 5, "max": 5}).passed
    assert one(TYPED, {"check": "count", "kind": "InputRejected", "max": 0}).passed

    too_many = one(TYPED, {"check": "count", "kind": "AgentWord", "max": 4})
    none_at_all = one(TYPED, {"check": "count", "kind": "InputRejected"})  # by default: at least one

    assert not too_many.passed
    assert too_many.detail == "5 AgentWord event(s)"
    assert not none_at_all.passed
    assert none_at_all.detail == "0 InputRejected event(s)"


def test_count_filters_by_reason() -> None:
    interrupted = {"check": "count", "kind": "AgentSpeechEnded", "reason": "interrupted", "min": 1, "max": 1}
    assert one(BARGE_IN, interrupted).passed
    assert one(TYPED, {"check": "count", "kind": "AgentSpeechEnded", "reason": "completed"}).passed

    failed = one(TYPED, interrupted)

    assert not failed.passed
    assert failed.detail == "0 AgentSpeechEnded event(s)"
    assert failed.check == "count(min=1.0, max=1.0, kind='AgentSpeechEnded', reason='interrupted')"


def test_count_reason_matches_string_reasons_too() -> None:
    s = scenario(
        duration=5,
        script=[
            {"at": 0.1, "type": "tell me a story", "cps": 0, "submit": True},
            {"at": 1.1, "event": {"kind": "StopOutput", "reason": "stop button"}},
        ],
    )

    assert one(s, {"check": "count", "kind": "StopOutput", "reason": "stop button", "max": 1}).passed
    assert not one(s, {"check": "count", "kind": "StopOutput", "reason": "requested"}).passed


def test_timeline_passes_when_it_contains_the_text_and_fails_showing_it() -> None:
    assert one(TYPED, {"check": "timeline", "contains": "agent: 2 plus 3 is 5."}).passed

    failed = one(TYPED, {"check": "timeline", "contains": "agent: 6"})

    assert not failed.passed
    assert failed.detail.startswith("not in the timeline:\n")
    assert "user: what is 2 plus 3 [enter]" in failed.detail


def test_replay_passes_for_a_real_run() -> None:
    passed = one(BARGE_IN, {"check": "replay"})

    assert passed.passed
    assert passed.check == "replay"
    assert passed.detail.startswith("replay identical (")


def test_a_scenario_passes_only_if_every_check_passes() -> None:
    s = msgspec.structs.replace(
        TYPED,
        expect=msgspec.convert(
            [{"check": "says", "text": "5"}, {"check": "says", "text": "6"}, {"check": "replay"}], list[Check]
        ),
    )

    result, _ = run_scenario(s)

    assert [check.passed for check in result.checks] == [True, False, True]
    assert not result.passed


# --- checks on hand-made runs: the failures a well-behaved runtime never produces --------------------------


def record(events: list[Event], *, replay: bytes | None = None) -> RunRecord:
    log = b"the log\n"
    return RunRecord(
        events=events,
        log=log,
        marks={},
        silence_min=0.5,
        replay=lambda data: data if replay is None else replay,
    )


def cut_story(*, cut_at: float, late_word: bool = False, cause: int | None = 3) -> list[Event]:
    events: list[Event] = [
        AgentSpeechStarted(utterance=1, t=0.2, seq=1, source="agent"),
        AgentWord(utterance=1, word="Once", duration=0.4, t=0.2, seq=2, source="agent"),
        UserInput(text="wait", modality=Modality.SPOKEN, duration=0.4, t=1.0, seq=3, source="scenario"),
    ]
    if late_word:
        events.append(AgentWord(utterance=1, word="upon", duration=0.4, t=1.0, seq=4, source="agent"))
    events.append(
        AgentSpeechEnded(
            utterance=1,
            reason=EndReason.INTERRUPTED,
            delivered="Once",
            t=cut_at,
            seq=len(events) + 1,
            cause=cause,
        )
    )
    return events


def check(**fields: Any) -> Check:
    return msgspec.convert(fields, Check)


def test_stop_latency_measures_from_the_cause_to_the_cut() -> None:
    slow = cut_story(cut_at=1.3)

    assert evaluate(check(check="stop_latency", max=0.3), record(slow)).passed
    failed = evaluate(check(check="stop_latency", max=0.1), record(slow))

    assert not failed.passed
    assert failed.detail == "1 interruption(s), worst stop latency 300 ms from onset"


def test_stop_latency_counts_from_the_onset_of_the_speech_not_from_the_word_that_stopped_it() -> None:
    """ "okay, but wait": the agent stops at "wait", but the user began talking over it at "okay"."""
    events: list[Event] = [
        AgentSpeechStarted(utterance=1, t=0.2, seq=1, source="agent"),
        AgentWord(utterance=1, word="Once", duration=0.4, t=0.2, seq=2, source="agent"),
        UserInput(text="okay", modality=Modality.SPOKEN, duration=0.4, t=0.6, seq=3, source="scenario"),
        UserInput(text="but", modality=Modality.SPOKEN, duration=0.4, t=1.0, seq=4, source="scenario"),
        AgentSpeechEnded(utterance=1, reason=EndReason.INTERRUPTED, delivered="Once", t=1.0, seq=5, cause=4),
    ]
    failed = evaluate(check(check="stop_latency", max=0.2), record(events))

    assert not failed.passed
    assert failed.detail == "1 interruption(s), worst stop latency 400 ms from onset"


def test_stop_latency_of_a_held_agent_counts_from_the_hold_and_takes_the_holds_cause() -> None:
    """Held at the user's first word, stopped once their words read as a barge-in (a decision with no input of
    its own): it went quiet at the hold."""
    events: list[Event] = [
        AgentSpeechStarted(utterance=1, t=0.2, seq=1, source="agent"),
        AgentWord(utterance=1, word="Once", duration=0.4, t=0.2, seq=2, source="agent"),
        UserInput(text="er", modality=Modality.SPOKEN, duration=0.4, t=0.6, seq=3, source="scenario"),
        AgentSpeechHeld(utterance=1, t=0.6, seq=4, source="agent", cause=3),
        UserInput(text="what", modality=Modality.SPOKEN, duration=0.4, t=1.0, seq=5, source="scenario"),
        AgentSpeechEnded(utterance=1, reason=EndReason.INTERRUPTED, delivered="Once", t=1.55, seq=6),
    ]
    passed = evaluate(check(check="stop_latency", max=0.0), record(events))

    assert passed.passed, passed.detail


def test_stop_latency_fails_when_a_word_follows_the_cut_in() -> None:
    failed = evaluate(check(check="stop_latency", max=1.0), record(cut_story(cut_at=1.0, late_word=True)))

    assert not failed.passed
    assert failed.detail == "agent said 'upon' after the user cut in at 1.00 s"


def test_stop_latency_fails_when_the_cut_has_no_cause() -> None:
    failed = evaluate(check(check="stop_latency", max=1.0), record(cut_story(cut_at=1.0, cause=None)))

    assert not failed.passed
    assert failed.detail == "interruption at 1.00 s has no cause event"


def test_replay_fails_when_the_replayed_log_differs() -> None:
    assert evaluate(check(check="replay"), record([])).passed

    failed = evaluate(check(check="replay"), record([], replay=b"another log\n"))

    assert not failed.passed
    assert failed.detail == "replay differs from the log"


# --- broken scenarios give a result with an error, never a crash ------------------------------------------


def test_an_invalid_step_event_gives_a_result_with_an_error() -> None:
    s = scenario(script=[{"at": 1.0, "event": {"kind": "Nope"}}], expect=[{"check": "replay"}])

    result, log = run_scenario(s)

    assert result.error is not None
    assert "'Nope'" in result.error
    assert not result.passed
    assert result.checks == []
    assert log == b""


def test_an_unknown_policy_gives_a_result_with_an_error() -> None:
    result, log = run_scenario(scenario(config={"policy": "turn-taking"}))

    assert result.error is not None
    choices = "full-duplex, full-duplex-learned, full-duplex-rules, turn-based"
    assert result.error.startswith(f"unknown policy 'turn-taking'; choose one of: {choices}")
    assert not result.passed
    assert log == b""


def test_an_invalid_triggered_step_event_gives_a_result_with_an_error() -> None:
    # SRC BUG: a 'when' step is expanded inside the running session (ScriptSource.next_awake), so its
    # ScenarioError escapes Session.run's TaskGroup as an ExceptionGroup and run_scenario crashes.
    s = scenario(
        duration=4,
        script=[
            {"at": 0.1, "type": "hi", "cps": 0, "submit": True},
            {"when": {"agent": "speaks"}, "event": {"kind": "Nope"}},
        ],
    )

    result, _ = run_scenario(s)

    assert result.error is not None
    assert "'Nope'" in result.error
    assert not result.passed


def test_a_policy_option_typo_gives_a_result_with_an_error() -> None:
    # SRC BUG: make_policy calls the policy class with the options as keywords, so an unknown option is a
    # TypeError (not a ConfigError) and run_scenario crashes instead of reporting it.
    result, _ = run_scenario(scenario(config={"policy_options": {"end_silance": 1.0}}))

    assert result.error is not None
    assert "end_silance" in result.error


def test_a_check_on_a_triggered_step_that_never_ran_fails_instead_of_crashing() -> None:
    # SRC BUG: _checks._time reads run.marks[ref]; a 'when' step whose trigger never fired has no mark,
    # so evaluating the check raises KeyError out of run_scenario.
    s = scenario(
        duration=3,
        script=[{"when": {"agent": "speaks"}, "say": "hey", "id": "late"}],
        expect=[{"check": "speaks", "after": "late", "within": 1.0}],
    )

    result, _ = run_scenario(s)

    assert not result.passed
    details = (result.error or "") + " ".join(check.detail for check in result.checks)
    assert "late" in details
