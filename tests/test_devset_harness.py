"""The development-set harness (microturn._eval._devset): each family's measure on hand-made cases whose
outcome under the full-duplex rules is known, the log readings at their edges, the loader's errors, and
``microturn devset``. Every session runs in virtual time: the whole file takes about a second."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from microturn._apps._cli import main
from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechHeld,
    AgentSpeechReleased,
    AgentSpeechStarted,
    AgentWord,
    EndReason,
    EndSession,
    Event,
    Modality,
    UserInput,
)
from microturn._eval._devset import (
    ApprovalCase,
    ContextTurn,
    IntentCase,
    NarrativeCase,
    OverlapCase,
    PauseCase,
    TurnReading,
    load_devset,
    measure_approvals,
    measure_intents,
    measure_narratives,
    measure_overlaps,
    measure_pauses,
    readers,
    rules_approval,
    rules_intent,
    summarise_approvals,
    summarise_intents,
    summarise_overlaps,
    summarise_pauses,
)
from microturn._eval._devset._cases import Case
from microturn._eval._devset._speech import stopped_at, utterance_at
from microturn._policies import FullDuplexPolicy, TurnBasedPolicy
from microturn._policies._full_duplex._decisions import IntentContext, IntentReading
from microturn.errors import ScenarioError

RULES = functools.partial(FullDuplexPolicy, decisions="rules")


def pause(
    before: str, seconds: float, after: str = "", *, typed: bool = False, context: tuple[ContextTurn, ...] = ()
) -> PauseCase:
    return PauseCase(
        id="pause-0001-dev",
        family="pause",
        modality="typed" if typed else "spoken",
        context=context,
        before=before,
        pause=seconds,
        after=after,
        label="continue" if after else "end",
    )


def overlap(user: str, label: str) -> OverlapCase:
    saying = "The bus leaves from stop K on the north side of the square, and it runs every twenty minutes"
    return OverlapCase(id="overlap-0001-dev", family="overlap", agent_saying=saying, user=user, label=label)  # type: ignore[arg-type]


# --- pauses ----------------------------------------------------------------------------------------------


def test_a_pause_after_a_complete_clause_is_taken_over_and_one_after_an_unfinished_clause_is_not() -> None:
    complete, unfinished = measure_pauses(
        [
            pause("i finally got the results back", 1.0, "and it's just a vitamin thing"),
            pause("what's the best way to", 0.8, "get to the station from here"),
        ],
        RULES,
    )
    # The rules answer 0.1 s after a complete clause: three words (1.2 s) before the user goes on.
    assert (complete.spoke, complete.backchannel_only, complete.takeover, complete.error) == (True, False, True, "")
    # After "to" they wait 1.8 s: the 0.8 s pause passes in silence.
    assert (unfinished.spoke, unfinished.takeover) == (False, False)
    row = summarise_pauses([complete, unfinished])[0]
    assert (row.group, row.continues, row.spoke, row.takeovers) == ("spoken", 2, 1, 1)


def test_a_short_blurt_is_speech_in_the_pause_but_no_fdb_take_over() -> None:
    (blurt,) = measure_pauses([pause("the printer's working again", 0.5, "but it prints everything in pink")], RULES)
    # Reply at +0.1 s, the user back at +0.5 s: one word (0.4 s) said, then cut off.
    assert (blurt.spoke, blurt.takeover) == (True, False)


def test_end_latency_spoken_typed_and_after_a_context_the_agent_opened() -> None:
    spoken, typed, answered = measure_pauses(
        [
            pause("yeah that works for me", 1.0),
            pause("can u check my order", 1.0, typed=True),
            pause(
                "just nuts",
                1.5,
                context=(
                    ContextTurn("agent", "how old is your daughter?"),
                    ContextTurn("user", "she's nine"),
                    ContextTurn("agent", "and does she have any allergies?"),
                ),
            ),
        ],
        RULES,
    )
    assert spoken.latency == pytest.approx(0.1)
    assert typed.latency == pytest.approx(5.0)  # typed without Enter: the rules wait 5 s (a typed pause is no turn end)
    assert answered.latency == pytest.approx(0.1)
    assert not answered.error
    rows = {row.group: row for row in summarise_pauses([spoken, typed, answered])}
    assert rows["all"].latency_median == pytest.approx(0.1)
    assert rows["all"].slow == 1  # the typed end: answered only after 5 s without Enter
    assert rows["typed"].ends == 1


# --- speech over the agent -----------------------------------------------------------------------------


def test_overlap_backchannel_talked_through_barge_ins_stopped_from_their_onset() -> None:
    results = measure_overlaps(
        [
            overlap("mm-hm", "backchannel"),
            overlap("[cough]", "noise"),
            overlap("i see", "backchannel"),
            overlap("no, it's wednesday", "barge_in"),
            overlap("okay so how long does it take", "barge_in"),
        ],
        RULES,
    )
    listening, cough, i_see, correction, late = results
    assert (listening.stopped, listening.latency, cough.stopped) == (False, None, False)
    assert (i_see.stopped, i_see.latency) == (True, 0.0)  # "i" is no backchannel to the rules
    assert (correction.stopped, correction.latency) == (True, 0.0)
    assert late.stopped
    assert late.latency == pytest.approx(0.3)  # "okay" passes; "so", a word later, stops
    summary = summarise_overlaps(results)
    assert (summary.kept_going, summary.acknowledgements) == (1, 2)
    assert (summary.prompt_stops, summary.barge_ins) == (1, 2)


def test_overlap_measures_any_policy() -> None:
    (result,) = measure_overlaps([overlap("mm-hm", "backchannel")], TurnBasedPolicy)
    assert (result.stopped, result.latency) == (True, 0.0)  # turn-based stops at any input


def test_a_hold_stops_the_agent_unless_released_and_only_the_users_stop_counts() -> None:
    held = [AgentSpeechStarted(utterance=1, t=1.0), AgentSpeechHeld(utterance=1, t=2.0)]
    assert (
        stopped_at(seq(*held, AgentSpeechEnded(utterance=1, reason=EndReason.INTERRUPTED, delivered="", t=2.5)), 1)
        == 2.0
    )
    assert stopped_at(seq(*held, AgentSpeechReleased(utterance=1, t=2.4)), 1) is None
    assert stopped_at(seq(*held), 1) == 2.0  # held to the end: the user heard it stop there
    cut = AgentSpeechEnded(utterance=1, reason=EndReason.STOPPED, delivered="", t=9.0)
    assert stopped_at(seq(held[0], EndSession(reason="over", t=9.0), cut), 1) is None  # the session ended it
    log = seq(held[0], AgentWord(utterance=1, word="So", duration=0.4, t=1.0), user(2.0))
    assert utterance_at(log, 2.0) == 1
    assert utterance_at(seq(user(0.5), held[0]), 0.5) is None


def seq(*events: Event) -> list[Event]:
    return [event.__class__(**{**event_fields(event), "seq": index}) for index, event in enumerate(events)]


def event_fields(event: Event) -> dict[str, Any]:
    return {name: getattr(event, name) for name in event.__struct_fields__}


def user(t: float) -> UserInput:
    return UserInput(text="stop", modality=Modality.SPOKEN, duration=0.3, t=t)


# --- stories -----------------------------------------------------------------------------------------------


def test_a_story_of_complete_sentences_gets_replies_and_one_of_unfinished_ones_gets_backchannels() -> None:
    told = NarrativeCase(
        id="narrative-0001-dev",
        family="narrative",
        modality="spoken",
        sentences=("so last week i went to my cousin's wedding", "it rained the whole time", "what a day"),
        pauses=(1.0, 1.2),
        asks_at_end=False,
    )
    trailing = NarrativeCase(
        id="narrative-0002-dev",
        family="narrative",
        modality="spoken",
        sentences=("so i went down to the shop and", "they had run out of bread and", "what should i do now"),
        pauses=(1.0, 1.0),
        asks_at_end=True,
    )
    (replied,) = measure_narratives([told], RULES)
    (listened,) = measure_narratives([trailing], lambda: FullDuplexPolicy(backchannel_after=1.0, decisions="rules"))
    assert (replied.replies, replied.listened, replied.answered) == (2, False, True)
    # One backchannel, not two: the second pause comes within the 5 s the rules leave between them.
    assert (listened.backchannels, listened.replies, listened.listened, listened.answered) == (1, 0, True, True)


# --- readings of a whole turn --------------------------------------------------------------------------------


def test_the_rules_intent_reading_with_a_job_running() -> None:
    assert rules_intent("remind me in 5 minutes to stretch").seconds == 300
    assert rules_intent("don't stop the timer").label == "cancel_timer"  # negation is not read
    assert rules_intent("cancel the timer").label == "cancel_timer+cancel_job"  # "cancel the" cancels the job too
    assert rules_intent("actually that's really kind of you").label == "revise_job"
    assert rules_intent("how's it going with the flights").label == "progress"
    cases = [
        IntentCase(
            id="intent-0001-dev",
            family="intent",
            text="set a timer for 10 seconds",
            label="timer",
            slots={"seconds": 10},
        ),
        IntentCase(
            id="intent-0002-dev", family="intent", text="ping me in ten seconds", label="timer", slots={"seconds": 10}
        ),
        IntentCase(id="intent-0003-dev", family="intent", text="thanks a lot", label="none", slots={}),
    ]
    summary = summarise_intents(measure_intents(cases, rules_intent))
    assert (summary.cases, summary.right, summary.timers_read, summary.timer_seconds_right) == (3, 2, 1, 1)
    assert summary.rows[0].misread_as == "none ×1"


def test_approval_readings_and_the_false_yes_count() -> None:
    question = "May I delete the 3 files in Downloads? Please say yes or no."
    answers = [
        ("yeah go ahead", "yes"),
        ("no problem", "yes"),
        ("i'd rather not", "no"),
        ("sure... actually no", "unclear"),
    ]
    cases = [
        ApprovalCase(id=f"approval-000{n}-dev", family="approval", question=question, answer=a, label=label)  # type: ignore[arg-type]
        for n, (a, label) in enumerate(answers, start=1)
    ]
    results = measure_approvals(cases, rules_approval)
    assert [r.read for r in results] == ["yes", "yes", "no", "unclear"]
    summary = summarise_approvals(results)
    assert (summary.right, summary.false_yes) == (4, 0)
    fooled = summarise_approvals(measure_approvals(cases, lambda question, answer: "yes"))
    assert fooled.false_yes == 2


class Canned:
    """An Intent that reads every turn as ``reading`` and remembers the contexts it was asked in."""

    def __init__(self, reading: IntentReading) -> None:
        self.reading = reading
        self.contexts: list[IntentContext] = []

    def read(self, text: str, context: IntentContext) -> IntentReading:
        self.contexts.append(context)
        return self.reading


def test_any_intent_implementation_is_read_the_same_way() -> None:
    both = Canned(IntentReading("timer", {"seconds": 60, "job": "revise", "jobs": "latest"}))
    assert readers(both).intent("whatever") == TurnReading("timer+revise_job", seconds=60.0)
    assert both.contexts == [IntentContext(jobs_running=True)]  # every case is read with a job running
    assert readers(Canned(IntentReading("cancel_job", {"job": "cancel"}))).intent("x").label == "cancel_job"
    assert readers(Canned(IntentReading("cancel_timer", negated=True))).intent("x").label == "none"
    answer = Canned(IntentReading("maybe"))
    assert readers(answer).approval("May I?", "hmm") == "unclear"  # anything but yes or no is unclear
    assert answer.contexts == [IntentContext(question="May I?")]


# --- the cases and the command ----------------------------------------------------------------------------------

TINY: dict[str, list[Case]] = {
    "pause": [pause("what time does the shop close", 1.0)],
    "overlap": [overlap("mm-hm", "backchannel")],
    "narrative": [
        NarrativeCase(
            id="narrative-0001-dev",
            family="narrative",
            modality="spoken",
            sentences=("i moved house last month", "how do i change my address"),
            pauses=(0.8,),
            asks_at_end=True,
        )
    ],
    "intent": [
        IntentCase(id="intent-0001-dev", family="intent", text="cancel the timer", label="cancel_timer", slots={})
    ],
    "approval": [
        ApprovalCase(id="approval-0001-train", family="approval", question="May I?", answer="yes", label="yes")
    ],
}


def write_set(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for family, cases in TINY.items():
        text = "".join(msgspec.json.encode(case).decode() + "\n" for case in cases)
        (directory / f"{family}.jsonl").write_text(text, encoding="utf-8")
    return directory


def test_load_keeps_the_split_and_names_the_file_and_line_of_a_bad_case(tmp_path: Path) -> None:
    cases = write_set(tmp_path / "set")
    assert len(load_devset(cases, "dev").approval) == 0
    assert len(load_devset(cases, "train").approval) == 1
    assert len(load_devset(cases, "all").pause) == 1
    good = (cases / "overlap.jsonl").read_text()
    for bad, said in [
        ('{"id": "overlap-0002-dev", "family": "overlap"}', "Object missing required field"),
        (good.strip()[:-1] + ', "extra": 1}', "unknown field"),
        (good.replace('"backchannel"', '"bored"'), "Invalid enum value 'bored'"),
        (good.replace("-dev", "-test"), "id ending in -train or -dev"),
        ("not json", "not a valid overlap case"),
    ]:
        (cases / "overlap.jsonl").write_text(good + "\n" + bad + "\n", encoding="utf-8")
        with pytest.raises(ScenarioError, match="line 3") as error:
            load_devset(cases, "all")
        assert said in str(error.value)
        assert "overlap.jsonl" in str(error.value)
    with pytest.raises(ScenarioError, match="cannot read the pause cases"):
        load_devset(tmp_path / "nowhere")


def test_the_command_prints_a_table_per_family_and_writes_devset_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = write_set(tmp_path / "set")
    (tmp_path / "signals").mkdir()
    (tmp_path / "signals" / "model_end_of_turn.json").write_text('{"probabilities": {"pause-0001-dev": 0.9}}')
    command = ["devset", "--cases", str(cases), "--split", "all", "--decisions", "rules"]  # the rules' numbers below
    assert main([*command, "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    for title in ("model signal: recorded", "pause:", "overlap:", "narrative:", "intent:", "approval:", "target"):
        assert title in printed
    report = json.loads((tmp_path / "out" / "devset.json").read_text())
    assert (report["split"], report["policy"]) == ("all", "full-duplex (rules decisions)")
    assert report["model_signal"] == "recorded"
    assert report["headline"]["end_latency_median"] == pytest.approx(0.1)
    assert report["headline"]["kept_going"] == 1.0
    assert report["headline"]["intent_accuracy"] == 0.0  # cancel_timer+cancel_job
    assert report["families"]["pause"]["cases"][0]["id"] == "pause-0001-dev"
    assert main(["devset", "--cases", str(cases), "--policy", "turn-based", "--out", str(tmp_path / "tb")]) == 0
    assert "not measured: no intent reader for the policy 'turn-based'" in capsys.readouterr().out
    (tmp_path / "signals" / "model_end_of_turn.json").unlink()  # not needed without the model's signal
    assert main(["devset", "--cases", str(cases), "--model-signal", "none", "--out", str(tmp_path / "none")]) == 0
    assert "model signal: none" in capsys.readouterr().out
