"""The learned intent (``FullDuplexPolicy(decisions="learned")``): requests in other words than the rules', their
slots, negation, jobs changed only with confidence, approvals that fail closed; and the learned set built or
refused (a missing model is a ConfigError naming the pip command)."""

from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path

import msgspec
import pytest

from microturn._apps._cli import main
from microturn._eval._devset import ApprovalCase, IntentCase, NarrativeCase, OverlapCase, PauseCase
from microturn._policies import FullDuplexPolicy
from microturn._policies._full_duplex._decisions import IntentContext, IntentReading, Waits, make_decisions
from microturn._policies._full_duplex._decisions._learned import LearnedIntent
from microturn._policies._full_duplex._intents import StartLive, TellStory, TimerRequest, request
from microturn._sentences import _encoder
from microturn.errors import ConfigError

INTENT = LearnedIntent()
JOB = IntentContext(jobs_running=True)
NOTHING_RUNNING = IntentContext()
QUESTION = IntentContext(question="May I delete 12 files? Please say yes or no.")
SAYING = "So the first step is to open the settings app and then scroll all the way down to the bit that says privacy"


def read(text: str, context: IntentContext = NOTHING_RUNNING) -> IntentReading:
    return INTENT.read(text, context)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("ping me in ten seconds", 10.0),
        ("set a ten second timer", 10.0),
        ("in ten seconds remind me to stretch", 10.0),
        ("could you give me a shout in half a minute", 30.0),
        ("pop a timer on for twenty minutes would you", 1200.0),
    ],
)
def test_a_timer_asked_for_in_other_words_is_set_for_its_time(text: str, seconds: float) -> None:
    reading = read(text)
    assert reading.label == "timer"
    timer = request(reading)
    assert isinstance(timer, TimerRequest)
    assert timer.seconds == seconds


def test_a_reminders_words_are_said_when_it_fires() -> None:
    timer = request(read("in ten seconds remind me to stretch"))
    assert isinstance(timer, TimerRequest)
    assert timer.text == "Reminder: stretch."


def test_a_timer_with_no_time_sets_nothing() -> None:
    reading = IntentReading("timer", {})
    assert request(reading) is None  # the model answers, and can ask how long


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("don't stop the timer", "cancel_timer"),
        ("please don't stop translating", "live_stop"),
        ("please don't cancel the search", "cancel_job"),
    ],
)
def test_a_negated_request_is_read_as_negated_and_does_nothing(text: str, label: str) -> None:
    reading = read(text, JOB)
    assert (reading.label, reading.negated) == (label, True)
    assert request(reading) is None


def test_a_negation_that_ends_something_going_on_is_a_request() -> None:
    assert read("i don't need the timer anymore").label == "cancel_timer"
    assert not read("i don't need the timer anymore").negated


def test_a_positive_request_after_a_negated_one_is_taken() -> None:
    assert read("no don't cancel the search, cancel the timer", JOB).label == "cancel_timer"


@pytest.mark.parametrize("text", ["that's actually really kind of you", "no need to hurry", "take your time"])
def test_remarks_while_a_job_runs_do_not_change_it(text: str) -> None:
    reading = read(text, JOB)
    assert reading.label == "none"
    assert "job" not in reading.slots


def test_a_job_is_cancelled_when_the_head_is_sure() -> None:
    reading = read("please cancel the search for flights", JOB)
    assert reading.label == "cancel_job"
    assert reading.slots["job"] == "cancel"


def test_a_job_means_nothing_with_no_job_running() -> None:
    assert read("how's it going with the flights").label != "progress"
    assert read("how's it going with the flights", JOB).label == "progress"


def test_a_direct_question_is_not_a_delegation() -> None:
    assert read("find out what two plus two is").label == "none"


def test_live_translation_into_a_language_and_without_one() -> None:
    assert request(read("could you do portuguese for everything i say")) == StartLive(language="portuguese")
    assert request(IntentReading("live_start", {"mode": "translate"})) is None  # into what?


@pytest.mark.parametrize("answer", ["yes", "sure", "okay", "yeah go ahead", "yep do it"])
def test_a_clear_yes_approves(answer: str) -> None:
    assert read(answer, QUESTION).label == "yes"


@pytest.mark.parametrize(
    "answer",
    ["hold on", "what will it delete?", "only the blurry ones", "yes but not the photos", "maybe later", "hmm"],
)
def test_an_unclear_answer_approves_nothing(answer: str) -> None:
    assert read(answer, QUESTION).label == "unclear"


@pytest.mark.parametrize("answer", ["no", "nope", "don't do that", "i'd rather not"])
def test_a_clear_no_declines(answer: str) -> None:
    assert read(answer, QUESTION).label == "no"


def test_the_learned_decisions_are_recorded_and_rebuilt_by_name() -> None:
    policy = FullDuplexPolicy(decisions="learned")
    assert policy.options["decisions"] == "learned"
    assert isinstance(make_decisions("learned", Waits(0.1, 1.8, 4.0, 2.5)).intent, LearnedIntent)


def test_a_missing_embedding_model_is_a_config_error_with_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> None:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(_encoder, "_shared", {})
    monkeypatch.setattr(metadata, "distribution", missing)
    with pytest.raises(ConfigError, match=r"pip install 'microturn\[embedded\]'"):
        FullDuplexPolicy(decisions="learned")


def test_missing_numpy_or_onnxruntime_is_a_config_error_with_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "microturn._policies._full_duplex._decisions._learned", None)
    with pytest.raises(ConfigError, match=r"pip install 'microturn\[embedded\]'"):
        FullDuplexPolicy(decisions="learned")


def test_the_devset_command_measures_the_learned_decisions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = tmp_path / "set"
    cases.mkdir()
    for family, case in {
        "pause": PauseCase(
            id="pause-0001-dev",
            family="pause",
            modality="spoken",
            context=(),
            before="what time does the shop close",
            pause=1.0,
            after="",
            label="end",
        ),
        "overlap": OverlapCase(
            id="overlap-0001-dev", family="overlap", agent_saying=SAYING, user="i see", label="backchannel"
        ),
        "narrative": NarrativeCase(
            id="narrative-0001-dev",
            family="narrative",
            modality="spoken",
            sentences=("i moved house last month", "how do i change my address"),
            pauses=(0.8,),
            asks_at_end=True,
        ),
        "intent": IntentCase(
            id="intent-0001-dev", family="intent", text="ping me in ten seconds", label="timer", slots={}
        ),
        "approval": ApprovalCase(
            id="approval-0001-dev", family="approval", question="May I?", answer="sure", label="yes"
        ),
    }.items():
        (cases / f"{family}.jsonl").write_text(msgspec.json.encode(case).decode() + "\n", encoding="utf-8")
    command = ["devset", "--cases", str(cases), "--decisions", "learned", "--out", str(tmp_path / "out")]
    assert main(command) == 2  # no recorded readings beside these cases: said, with what to do
    assert "--model-signal none" in capsys.readouterr().err
    assert main([*command, "--model-signal", "none"]) == 0
    assert "policy full-duplex (learned decisions)" in capsys.readouterr().out
    report = json.loads((tmp_path / "out" / "devset.json").read_text())
    assert report["headline"]["intent_accuracy"] == 1.0
    assert report["headline"]["approval_accuracy"] == 1.0
    assert report["headline"]["kept_going"] == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "actually could you make that the Sunday instead",
        "sorry I meant Leeds not York",
        "no wait, make it three nights not two",
    ],
)
def test_a_running_job_is_revised_in_other_words(text: str) -> None:
    reading = read(text, JOB)
    assert reading.label == "revise_job"
    assert reading.slots == {"job": "revise", "jobs": "latest"}


@pytest.mark.parametrize(
    "text", ["ok new topic, what's a good name for a cat", "forget that, let's talk about my garden instead"]
)
def test_a_change_of_topic_leaves_every_job_behind(text: str) -> None:
    reading = read(text, JOB)
    assert reading.slots == {"job": "topic", "jobs": "all"}


def test_a_job_change_means_nothing_with_no_job_running() -> None:
    assert "job" not in read("sorry I meant Leeds not York").slots


@pytest.mark.parametrize(("text", "label"), [("keep going please", "resume"), ("hold on one second", "wait")])
def test_asking_the_agent_to_go_on_or_to_hold_on(text: str, label: str) -> None:
    assert read(text).label == label


@pytest.mark.parametrize(
    ("text", "cue"),
    [("shout whenever i mention a number", "number"), ("correct me if i get my facts wrong", "wrong-fact")],
)
def test_number_and_wrong_fact_cues_in_other_words(text: str, cue: str) -> None:
    reading = read(text)
    assert reading.label == "cue"
    assert reading.slots["cue"] == cue


@pytest.mark.parametrize("text", ["I need flour, sugar and some eggs", "sorry, I really have to go now"])
def test_a_need_or_a_goodbye_is_no_request(text: str) -> None:
    assert read(text, JOB).label == "none"


@pytest.mark.parametrize("text", ["tell me a story about a dragon", "could you make up a bedtime story for my son"])
def test_a_story_asked_for_is_opened_as_one(text: str) -> None:
    reading = read(text)
    assert reading.label == "story"
    assert isinstance(request(reading), TellStory)


@pytest.mark.parametrize("text", ["that was a sad story", "let my brother know i'm going to be late"])
def test_a_story_or_a_lateness_mentioned_asks_for_neither_a_story_nor_a_timer(text: str) -> None:
    assert read(text).label not in {"story", "timer"}
