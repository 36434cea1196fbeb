"""A turn read against the running job's words (``_learned/_job_change.py``): the policy hands the reader the
running jobs' tasks, the same words change one job and not another, the head is fitted cross-fitted on the job
examples and reads through its own tuned encoder by default."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from _registered import registered
from microturn._core._clock import VirtualClock
from microturn._core._events import JobRequested, JobResult, ResultDropped, ResultWoven
from microturn._policies import FullDuplexPolicy
from microturn._policies._full_duplex._decisions import (
    Decisions,
    IntentContext,
    IntentReading,
    RulesIntent,
    RulesOverlap,
    RulesTurnEnd,
)
from microturn._policies._full_duplex._decisions._learned._heads import JOB_CHANGE, head
from microturn._policies._full_duplex._decisions._learned._intent import LearnedIntent
from microturn._policies._full_duplex._decisions._learned._job_change import LABELS, job_change_features, paired
from microturn._sentences import sentence_encoder
from microturn.testing import end, run_session, spoken

NAME = "test-job-change"
INTENT = LearnedIntent()


def against(task: str, text: str) -> IntentReading:
    return INTENT.read(text, IntentContext(jobs_running=True, jobs=(task,)))


class _Recording(RulesIntent):
    def __init__(self) -> None:
        self.contexts: list[IntentContext] = []

    def read(self, text: str, context: IntentContext) -> IntentReading:
        self.contexts.append(context)
        return super().read(text, context)


@pytest.fixture
def recording() -> Iterator[_Recording]:
    reader = _Recording()
    with registered(NAME, lambda waits: Decisions(turn_end=RulesTurnEnd(waits), overlap=RulesOverlap(), intent=reader)):
        yield reader


def test_the_policy_reads_a_turn_against_the_running_jobs_tasks(recording: _Recording) -> None:
    steps = [
        (0.2, JobRequested(job="job-1", task="find a cheap hotel in porto")),
        (0.3, JobRequested(job="job-2", task="check the ferry times to the islands")),
        *spoken("what is the weather like there", 1.0),
        *end(6.0),
    ]
    clock = VirtualClock()
    clock.run(run_session(clock, steps, policy=FullDuplexPolicy(decisions=NAME)))
    turns = [context for context in recording.contexts if context.question is None]
    assert turns
    assert turns[-1].jobs == ("find a cheap hotel in porto", "check the ferry times to the islands")
    assert turns[-1].jobs_running


def test_without_a_job_running_no_job_is_read() -> None:
    assert INTENT.read("actually make it for three people", IntentContext()).slots.get("job") is None


def test_the_job_change_head_reads_through_its_own_tuned_encoder_by_default() -> None:
    jobs = head(JOB_CHANGE)
    assert jobs.adapter is not None
    assert set(jobs.labels) == set(LABELS)
    assert INTENT._jobs is jobs
    task, text = "book a table for two on friday", "make it three of us"
    tuned = job_change_features(task, text, jobs.adapter)
    frozen = sentence_encoder().pooled(paired(task, text))
    assert not np.allclose(tuned, np.concatenate([frozen.mean, frozen.max]))


def test_the_job_change_head_is_fitted_on_features_from_adapters_that_never_saw_their_case(
    monkeypatch: pytest.MonkeyPatch, fake_tuning: dict[str, list[str]]
) -> None:
    from microturn._policies._full_duplex._decisions._learned import _fit

    read_with: dict[str, str] = {}

    def fake_features(task: str, text: str, *, encoder: Any) -> np.ndarray:
        read_with[paired(task, text)] = encoder.adapter.digest  # conftest's FakeEncoder
        return np.full(4, float(len(text)), np.float32)

    monkeypatch.setattr(_fit, "job_change_features", fake_features)
    cases = [{"job": f"job {index % 2}", "text": f"turn {index}", "label": LABELS[index % 3]} for index in range(6)]
    fitted = _fit.fit_job_change(cases)
    assert len(read_with) == 6
    for text, digest in read_with.items():
        assert text not in fake_tuning[digest]
    assert fitted.adapter is not None
    assert fake_tuning[fitted.adapter.digest] == [paired(case["job"], case["text"]) for case in cases]


@pytest.mark.parametrize(
    ("task", "text"),
    [
        ("find a hotel in bath for next weekend", "somewhere with a sea view"),
        ("compare prices for a new washing machine", "a washer dryer would be better"),
    ],
)
def test_a_change_only_the_jobs_words_make_one_is_read_against_them(task: str, text: str) -> None:
    assert INTENT.read(text, IntentContext(jobs_running=True)).slots.get("job") is None  # alone: talk
    reading = against(task, text)
    assert (reading.label, reading.slots.get("job")) == ("revise_job", "revise")


@pytest.mark.parametrize(
    "text", ["what is nine times four", "thanks, you are a star", "my brother stayed there last year"]
)
def test_talk_beside_a_job_changes_nothing(text: str) -> None:
    reading = against("find a hotel in bath for next weekend", text)
    assert reading.slots.get("job") is None
    assert reading.label == "none"


HOTEL, MACHINES = "find a hotel in bath for next weekend", "compare prices for a new washing machine"


@pytest.mark.parametrize(
    ("jobs", "text", "meant"),
    [
        ((HOTEL, MACHINES), "somewhere with a sea view", HOTEL),
        ((MACHINES, HOTEL), "a washer dryer would be better", MACHINES),
        ((HOTEL, MACHINES), "a washer dryer would be better", MACHINES),
    ],
)
def test_with_several_jobs_running_a_change_is_aimed_at_the_one_it_is_about(
    jobs: tuple[str, str], text: str, meant: str
) -> None:
    reading = INTENT.read(text, IntentContext(jobs_running=True, jobs=jobs))
    assert (reading.label, reading.slots.get("target")) == ("revise_job", meant)


def test_with_one_job_running_a_change_is_not_aimed() -> None:
    assert "target" not in against(HOTEL, "somewhere with a sea view").slots


def test_the_default_policy_revises_the_job_a_turn_is_about_not_the_latest() -> None:
    steps = [
        (0.2, JobRequested(job="job-1", task=HOTEL)),
        (0.3, JobRequested(job="job-2", task=MACHINES)),
        *spoken("somewhere with a sea view", 1.0),
        (6.0, JobResult(job="job-1", text="The Royal Crescent has rooms.")),
        (6.5, JobResult(job="job-2", text="The Bosch is cheapest.")),
        *end(14.0),
    ]
    clock = VirtualClock()
    _, log = clock.run(run_session(clock, steps))
    assert [event.job for event in log if isinstance(event, ResultDropped)] == ["job-1"]
    assert [event.job for event in log if isinstance(event, ResultWoven)] == ["job-2"]
    revised = [event.task for event in log if isinstance(event, JobRequested)][2:]
    assert revised == [f"{HOTEL} (revised by the user: somewhere with a sea view)"]
