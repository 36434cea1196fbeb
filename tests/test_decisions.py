"""The full-duplex policy's decision interfaces (TurnEnd, Overlap, Intent): the rules implementations on
hand-made cases, the requests built from readings, and other implementations chosen by name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from microturn import AgentSpeechEnded, AgentSpeechStarted, EndReason, TimerSet, VirtualClock
from microturn._core._floor import FloorState
from microturn._policies import FullDuplexPolicy, make_policy, policy_options
from microturn._policies._full_duplex._decisions import (
    DECISIONS,
    Decisions,
    IntentContext,
    IntentReading,
    OverlapContext,
    OverlapKind,
    RulesIntent,
    RulesOverlap,
    RulesTurnEnd,
    TurnEndContext,
    TurnEndEstimate,
    Waits,
    make_decisions,
    rules,
)
from microturn._policies._full_duplex._end_of_turn import EndOfTurn
from microturn._policies._full_duplex._intents import (
    CueRequest,
    DelegateTask,
    StartLive,
    StopTimers,
    TimerRequest,
    request,
)
from microturn.errors import UnknownComponent
from microturn.testing import end, run_session, spoken

WAITS = Waits(complete=0.1, incomplete=1.8, max_incomplete=4.0, typed=2.5)
SPOKEN = TurnEndContext()
OVER_THE_AGENT = OverlapContext(agent_words=("the", "weather", "today"))
PLAIN = IntentContext()
JOB = IntentContext(jobs_running=True)
ASKED = IntentContext(question="May I delete files (path /tmp)? Please say yes or no.")


# --- TurnEnd -------------------------------------------------------------------------------------------


def test_the_rules_call_a_complete_sentence_over_and_answer_after_the_short_wait() -> None:
    for text in ("what time is it?", "I like tea", "I think so"):
        assert RulesTurnEnd(WAITS).estimate(text, SPOKEN) == TurnEndEstimate(probability=1.0, wait=0.1)


def test_the_rules_call_unfinished_words_not_over_and_wait_longer() -> None:
    for text in ("I went to the", "so, um", "and", ""):
        unfinished = TurnEndEstimate(probability=0.0, wait=1.8, backchannel=True)  # a pause a backchannel fits
        assert RulesTurnEnd(WAITS).estimate(text, SPOKEN) == unfinished


def test_the_rules_wait_after_unfinished_words_follows_the_speakers_pauses_up_to_the_cap() -> None:
    rules_ = RulesTurnEnd(WAITS)
    assert rules_.estimate("and", TurnEndContext(pauses=(2.0, 2.0))).wait == pytest.approx(2.6)
    assert rules_.estimate("and", TurnEndContext(pauses=(0.5,))).wait == 1.8  # never below the base wait
    assert rules_.estimate("and", TurnEndContext(pauses=(9.0,))).wait == 4.0
    assert rules_.estimate("I like tea", TurnEndContext(pauses=(9.0,))).wait == 0.1  # complete: not learned


def test_the_rules_wait_for_typed_words_without_enter() -> None:
    typed = TurnEndContext(typed=True)
    assert RulesTurnEnd(WAITS).estimate("I like tea", typed) == TurnEndEstimate(probability=1.0, wait=2.5)
    assert RulesTurnEnd(WAITS).estimate("I like", typed).wait == 7.5


def test_the_rules_read_no_precomputed_signal() -> None:
    alone = RulesTurnEnd(WAITS).estimate("I like tea", SPOKEN)
    for source in ("model", "server"):
        signals = TurnEndContext(model_end_probability=0.0, model_end_source=source, audio_end_probability=0.0)
        assert RulesTurnEnd(WAITS).estimate("I like tea", signals) == alone


class FixedTurnEnd:
    """A judge that always allows ``wait``, and remembers what it was given."""

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self.asked: list[tuple[str, bool, tuple[float, ...]]] = []

    def estimate(self, text: str, context: TurnEndContext) -> TurnEndEstimate:
        self.asked.append((text, context.typed, tuple(context.pauses)))
        return TurnEndEstimate(probability=0.5, wait=self.wait)


def test_the_end_of_turn_allows_the_judges_wait_after_the_users_last_input() -> None:
    judge = FixedTurnEnd(0.7)
    end_of_turn = EndOfTurn(judge)
    end_of_turn.paused(1.2, at=3)
    end_of_turn.paused(0.1, at=5)  # the gap between two words: not a pause
    state = FloorState(now=2.0, user_active_until=2.0, user_text="so then")
    assert end_of_turn.deadline(state, typed=True) == pytest.approx(2.7)
    assert judge.asked == [("so then", True, (1.2,))]


# --- Overlap -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["mm-hm", "yeah right", "okay [laughter]", "uh-huh.", "wow"])
def test_the_rules_let_listed_backchannels_through(text: str) -> None:
    assert RulesOverlap().classify(text, OVER_THE_AGENT) is OverlapKind.BACKCHANNEL


@pytest.mark.parametrize("text", ["[cough]", "[noise] [laughter]", "[cough]."])
def test_the_rules_call_noise_tags_alone_noise(text: str) -> None:
    assert RulesOverlap().classify(text, OVER_THE_AGENT) is OverlapKind.NOISE


@pytest.mark.parametrize("text", ["wait", "yeah but what about Porto", "no", "stop, that's wrong", ""])
def test_the_rules_call_anything_else_a_barge_in(text: str) -> None:
    assert RulesOverlap().classify(text, OVER_THE_AGENT) is OverlapKind.BARGE_IN


def test_the_rules_read_the_words_alone() -> None:
    for context in (OverlapContext(), OverlapContext(complete=True, typed=True), OVER_THE_AGENT):
        assert RulesOverlap().classify("mm-hm", context) is OverlapKind.BACKCHANNEL


# --- Intent --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("remind me in 30 seconds to stretch", IntentReading("timer", {"seconds": 30.0, "remind": "stretch"})),
        ("say hello in five seconds", IntentReading("timer", {"seconds": 5.0, "say": "hello"})),
        ("set a timer for two minutes", IntentReading("timer", {"seconds": 120.0})),
        ("every 10 seconds say tick", IntentReading("timer", {"seconds": 10.0, "every": 10.0, "say": "tick"})),
        ("stop the timer", IntentReading("cancel_timer")),
        ("tell me when I mention a number", IntentReading("cue", {"cue": "number"})),
        ("tell me when I mention a number and shout bingo", IntentReading("cue", {"cue": "number", "reply": "bingo"})),
        (
            "stop me if I say red balloon",
            IntentReading("cue", {"cue": "phrase", "phrase": "red balloon", "interrupt": True}),
        ),
        ("stop watching", IntentReading("cancel_cue")),
        ("translate into French as I speak", IntentReading("live_start", {"language": "french"})),
        ("repeat after me", IntentReading("live_start")),
        ("stop translating", IntentReading("live_stop")),
        ("can you find me a hotel in Porto", IntentReading("delegate", {"task": "find me a hotel in porto"})),
        ("how is it going", IntentReading("progress")),
        ("what's the weather like", IntentReading("none")),
        ("how do I cancel my alarm", IntentReading("none")),  # a question about it, not a request
    ],
)
def test_the_rules_read_requests_with_their_slots(text: str, reading: IntentReading) -> None:
    assert RulesIntent().read(text, PLAIN) == reading


def test_with_a_job_running_the_rules_read_its_cancellation_revision_and_a_change_of_topic() -> None:
    read = RulesIntent().read
    assert read("never mind", JOB) == IntentReading("cancel_job", {"job": "cancel", "jobs": "latest"})
    assert read("don't bother", JOB).label == "cancel_job"
    assert read("actually make it Lisbon", JOB) == IntentReading("revise_job", {"job": "revise", "jobs": "latest"})
    assert read("let's talk about something else", JOB) == IntentReading("cancel_job", {"job": "topic", "jobs": "all"})
    assert read("never mind, something else", JOB).slots == {"job": "cancel", "jobs": "all"}
    assert read("never mind", PLAIN).label == "none"  # no job: nothing to cancel


def test_a_request_and_a_job_change_in_one_turn_are_both_read() -> None:
    reading = RulesIntent().read("forget it and set a timer for a minute", JOB)
    assert reading == IntentReading("timer", {"seconds": 60.0, "job": "cancel", "jobs": "latest"})


@pytest.mark.parametrize(
    ("answer", "label"),
    [("yes", "yes"), ("sure, go ahead", "yes"), ("no", "no"), ("not now", "no"), ("hmm", "unclear")],
)
def test_with_a_question_pending_the_rules_read_the_answer_alone(answer: str, label: str) -> None:
    assert RulesIntent().read(answer, ASKED) == IntentReading(label)
    assert RulesIntent().read("yes, set a timer for a minute", ASKED).label == "unclear"


def test_the_rules_never_read_a_negation() -> None:
    for text in ("stop the timer", "don't bother", "what's up"):
        assert not RulesIntent().read(text, JOB).negated


# --- from a reading to the request a feature carries out ---------------------------------------------


def test_a_reading_becomes_the_features_request_with_the_policys_wording() -> None:
    assert request(IntentReading("timer", {"seconds": 30.0, "remind": "stretch"})) == TimerRequest(
        seconds=30.0, text="Reminder: stretch.", ack="Okay, in 30 seconds."
    )
    assert request(IntentReading("timer", {"seconds": 60.0})) == TimerRequest(
        seconds=60.0, text="Time is up.", ack="Timer set for 1 minute."
    )
    assert request(IntentReading("timer", {"seconds": 10.0, "every": 10.0})) == TimerRequest(
        seconds=10.0, every=10.0, text="", ack="Okay, every 10 seconds."
    )
    assert request(IntentReading("cue", {"cue": "phrase", "phrase": "red  balloon"})) == CueRequest(
        kind="phrase", watch="red balloon", phrase=("red", "balloon")
    )
    assert request(IntentReading("live_start")) == StartLive(language=None)
    assert request(IntentReading("delegate", {"task": "book a table"})) == DelegateTask(task="book a table")
    assert request(IntentReading("cancel_timer")) == StopTimers()


def test_no_request_for_nothing_for_a_job_change_alone_or_for_a_negated_reading() -> None:
    assert request(IntentReading("none")) is None
    assert request(IntentReading("cancel_job", {"job": "cancel", "jobs": "latest"})) is None
    assert request(IntentReading("yes")) is None
    assert request(IntentReading("cancel_timer", negated=True)) is None


# --- chosen by name ------------------------------------------------------------------------------------


class ListenThrough:
    """An Overlap for which nothing said over the agent is a barge-in."""

    def classify(self, text: str, context: OverlapContext) -> OverlapKind:
        return OverlapKind.BACKCHANNEL if context.agent_words else OverlapKind.BARGE_IN


class Negating(RulesIntent):
    """The rules, reading every request as negated."""

    def read(self, text: str, context: IntentContext) -> IntentReading:
        reading = super().read(text, context)
        return IntentReading(reading.label, reading.slots, negated=True)


def patient(waits: Waits) -> Decisions:
    return Decisions(turn_end=RulesTurnEnd(waits), overlap=ListenThrough(), intent=Negating())


@pytest.fixture
def registered() -> Iterator[str]:
    DECISIONS["patient"] = patient
    yield "patient"
    del DECISIONS["patient"]


def test_the_rules_are_built_by_name_and_recorded_in_the_options() -> None:
    assert isinstance(make_decisions("rules", WAITS).overlap, RulesOverlap)
    assert FullDuplexPolicy(decisions="rules").options["decisions"] == "rules"
    assert isinstance(rules(WAITS).intent, RulesIntent)


def test_unknown_decisions_are_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(UnknownComponent, match="rules"):
        FullDuplexPolicy(decisions="no-such-decisions")


def test_other_decisions_are_recorded_and_rebuilt_by_name(registered: str) -> None:
    policy = FullDuplexPolicy(decisions=registered)
    assert policy.options["decisions"] == registered
    assert policy_options(make_policy("full-duplex", policy.options)) == policy.options


STEPS = [
    *spoken("tell me a story", 0.5),
    *spoken("no stop that now", 2.5),  # over the story
    *spoken("set a timer for a minute", 9.0),
    *end(14.0),
]


@pytest.mark.parametrize(("decisions", "stopped"), [("rules", True), ("patient", False)])
async def test_the_policy_asks_its_decisions(
    clock: VirtualClock, registered: str, decisions: str, stopped: bool
) -> None:
    _, log = await run_session(clock, STEPS, policy=FullDuplexPolicy(decisions=decisions))
    story = next(event for event in log if isinstance(event, AgentSpeechStarted))
    (told,) = [e for e in log if isinstance(e, AgentSpeechEnded) and e.utterance == story.utterance]
    assert (told.reason is EndReason.INTERRUPTED) is stopped  # patient: nothing said over the agent is a barge-in
    assert bool([event for event in log if isinstance(event, TimerSet)]) is stopped  # patient: read as negated


class Stopping(RulesIntent):
    """Every turn read as a stop."""

    def read(self, text: str, context: IntentContext) -> IntentReading:
        return IntentReading("live_stop")


@pytest.fixture
def stopping() -> Iterator[str]:
    DECISIONS["stopping"] = lambda waits: Decisions(
        turn_end=RulesTurnEnd(waits), overlap=RulesOverlap(), intent=Stopping()
    )
    yield "stopping"
    del DECISIONS["stopping"]


async def test_a_stop_that_cuts_the_agent_off_silences_it_and_one_with_nothing_to_stop_is_answered(
    clock: VirtualClock, stopping: str
) -> None:
    """With no live mode on, a turn read as a stop is one only when it cut the agent off; otherwise it stops
    nothing and is talk ("thanks, that's all I needed"): the agent answers it, it does not fall silent."""
    steps = [*spoken("thanks that's all i needed", 0.5), *spoken("no stop", 2.4), *end(12.0)]
    _, log = await run_session(clock, steps, policy=FullDuplexPolicy(decisions=stopping))
    started = [event for event in log if isinstance(event, AgentSpeechStarted)]
    ended = [event for event in log if isinstance(event, AgentSpeechEnded)]
    assert [event.reply_to for event in started] == ["thanks that's all i needed"]  # nothing after the stop
    assert ended[0].reason is EndReason.INTERRUPTED
    assert ended[0].t < 2.4 + 0.3 + 0.2
