"""The full-duplex policy's parts on their own: intents, cues, weaving and speculation.

Each part is pure, so these tests build the floor state by hand and call them directly.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from microturn._core._actions import Action, CallTool, CancelTool, ClearTurn, Delegate, Record, Reply, Say
from microturn._core._events import (
    CancelJob,
    JobRequested,
    JobResult,
    ResultDropped,
    ResultWoven,
    SpeechPurpose,
    ToolCalled,
    ToolResult,
)
from microturn._core._floor import FloorState
from microturn._core._tools import ToolSpec
from microturn._policies._full_duplex._cues import Cue, Hit
from microturn._policies._full_duplex._decisions import IntentContext, IntentReading, RulesIntent
from microturn._policies._full_duplex._intents import (
    CueRequest,
    Request,
    StartLive,
    StopCues,
    StopLive,
    StopTimers,
    TellStory,
    TimerRequest,
    parse_intent,
)
from microturn._policies._full_duplex._tool_speculation import Speculator
from microturn._policies._full_duplex._weaving import Weaver

# --- intents ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # one-shot reminders and timers
        (
            "remind me in 30 seconds to stretch",
            TimerRequest(seconds=30.0, text="Reminder: stretch.", ack="Okay, in 30 seconds."),
        ),
        (
            "Remind me in thirty seconds to drink some water.",
            TimerRequest(seconds=30.0, text="Reminder: drink some water.", ack="Okay, in 30 seconds."),
        ),
        (
            "remind me in twenty five seconds to stretch",
            TimerRequest(seconds=25.0, text="Reminder: stretch.", ack="Okay, in 25 seconds."),
        ),
        (
            "remind me to call mum in 2 minutes",
            TimerRequest(seconds=120.0, text="Reminder: call mum.", ack="Okay, in 2 minutes."),
        ),
        (
            "remind me in a second to blink",
            TimerRequest(seconds=1.0, text="Reminder: blink.", ack="Okay, in 1 second."),
        ),
        ("say hello in 5 seconds", TimerRequest(seconds=5.0, text="hello", ack="Okay, in 5 seconds.")),
        ("in five seconds, say hello", TimerRequest(seconds=5.0, text="hello", ack="Okay, in 5 seconds.")),
        (
            "in 10 seconds tell me to breathe",
            TimerRequest(seconds=10.0, text="to breathe", ack="Okay, in 10 seconds."),
        ),
        (
            "set a timer for 2 minutes",
            TimerRequest(seconds=120.0, text="Time is up.", ack="Timer set for 2 minutes."),
        ),
        (
            "Set a timer for twenty five seconds.",
            TimerRequest(seconds=25.0, text="Time is up.", ack="Timer set for 25 seconds."),
        ),
        (
            "set an alarm for a minute",
            TimerRequest(seconds=60.0, text="Time is up.", ack="Timer set for 1 minute."),
        ),
        (
            "set a timer for half a minute",
            TimerRequest(seconds=30.0, text="Time is up.", ack="Timer set for 30 seconds."),
        ),
        (
            "set a timer for 1.5 seconds",
            TimerRequest(seconds=1.5, text="Time is up.", ack="Timer set for 1.5 seconds."),
        ),
        # repeating timers
        (
            "every 10 seconds say tick",
            TimerRequest(seconds=10.0, every=10.0, text="tick", ack="Okay, every 10 seconds."),
        ),
        (
            "say tick every ten seconds",
            TimerRequest(seconds=10.0, every=10.0, text="tick", ack="Okay, every 10 seconds."),
        ),
        (
            "tell me every ten seconds",
            TimerRequest(seconds=10.0, every=10.0, text="", ack="Okay, every 10 seconds."),
        ),
        (
            "tell me how much time has passed every 10 seconds",
            TimerRequest(seconds=10.0, every=10.0, text="", ack="Okay, every 10 seconds."),
        ),
        (
            "tell me the time every 30 seconds",
            TimerRequest(seconds=30.0, every=30.0, text="", ack="Okay, every 30 seconds."),
        ),
        # cancelling timers
        ("stop the timer", StopTimers()),
        ("cancel the reminders", StopTimers()),
        ("please stop counting", StopTimers()),
        ("clear all alarms", StopTimers()),
        # cues: numbers
        ("tell me when I mention a number", CueRequest(kind="number", watch="a number")),
        ("let me know if I say a number", CueRequest(kind="number", watch="a number")),
        ("tell me whenever I use any number", CueRequest(kind="number", watch="a number")),
        # cues: phrases to tell
        (
            "let me know if I say Paris",
            CueRequest(kind="phrase", watch="paris", phrase=("paris",)),
        ),
        (
            "tell me when I say the word banana",
            CueRequest(kind="phrase", watch="banana", phrase=("banana",)),
        ),
        # cues: phrases to stop at
        (
            "Stop me if I say Paris is in Italy.",
            CueRequest(
                kind="phrase",
                watch="paris is in italy",
                phrase=("paris", "is", "in", "italy"),
                interrupt=True,
            ),
        ),
        (
            "stop me whenever I mention that deadline",
            CueRequest(kind="phrase", watch="deadline", phrase=("deadline",), interrupt=True),
        ),
        # cues: wrong facts
        (
            "stop me if I get a fact wrong",
            CueRequest(kind="wrong-fact", watch="a wrong fact", interrupt=True),
        ),
        (
            "stop me if I get any facts wrong",
            CueRequest(kind="wrong-fact", watch="a wrong fact", interrupt=True),
        ),
        (
            "correct me if I get a sum wrong",
            CueRequest(kind="wrong-fact", watch="a wrong fact", interrupt=True),
        ),
        (
            "tell me if I make a mistake",
            CueRequest(kind="wrong-fact", watch="a wrong fact", interrupt=True),
        ),
        # no more cues
        ("stop watching", StopCues()),
        ("okay, you can stop listening for that", StopCues()),
        ("forget the cues", StopCues()),
        ("cancel the cue", StopCues()),
        ("no more cues please", StopCues()),
        ("ok turn off the cue", StopCues()),
        ("stop telling me when I say a number", StopCues()),
        # live modes
        ("translate into Spanish as I speak", StartLive(language="spanish")),
        ("translate what I say into French", StartLive(language="french")),
        ("translate everything to german", StartLive(language="german")),
        ("repeat after me", StartLive(language=None)),
        ("repeat everything I say", StartLive(language=None)),
        ("stop translating", StopLive()),
        ("okay stop repeating now", StopLive()),
        ("I want bread please stop translating", StopLive()),
        # a bare stop: the whole of the last clause
        ("stop", StopLive()),
        ("ok, stop", StopLive()),
        ("that's enough for now", StopLive()),
        ("wait, stop", StopLive()),
        ("you can stop now", StopLive()),
        ("good morning. stop!", StopLive()),
        ("tell me a story", TellStory()),
        ("could you tell us a bedtime story please", TellStory()),
        ("I'd love a story about a dragon", TellStory()),
    ],
)
def test_parse_intent(text: str, intent: Request) -> None:
    assert parse_intent(text) == intent


@pytest.mark.parametrize(
    "text",
    [
        "what is the weather in Paris",
        "what time is it",
        "how long have we been talking",
        "can you say that again",
        "what is two plus two",
        "remind me about the meeting",
        "set a timer",
        "every day I go running",
        "translate this",
        "repeat that please",
        "tell me when you are ready",
        "in ten minutes I have a meeting",
        "remind me in zero seconds to stretch",
        "tell me about numbers",
        "how do I cancel my alarm on my phone",
        "what did you say",
        "I love Paris in the spring",
        "what story did you like best",
        "that's a long story",
        "",
    ],
)
def test_ordinary_words_are_no_intent(text: str) -> None:
    assert parse_intent(text) is None


def test_stopping_a_live_mode_wins_over_starting_one() -> None:
    assert parse_intent("stop translating into Spanish") == StopLive()


@pytest.mark.parametrize(
    "text", ["the bus stop is near", "stop the car", "good morning stop", "no no stop that's not what I meant"]
)
def test_stop_inside_a_sentence_is_content(text: str) -> None:
    assert parse_intent(text) is None


@pytest.mark.parametrize(
    "text", ["please don't stop translating", "do not stop repeating", "don't cancel the cue", "never stop translating"]
)
def test_a_negated_stop_of_a_mode_or_a_cue_is_no_request(text: str) -> None:
    assert parse_intent(text) is None


def test_a_stop_after_never_mind_is_still_a_stop() -> None:
    assert parse_intent("never mind, stop translating") == StopLive()


# --- cues ------------------------------------------------------------------------------------------

NUMBER = CueRequest(kind="number", watch="a number")
WRONG_FACT = CueRequest(kind="wrong-fact", watch="a wrong fact", interrupt=True)
PARIS_ITALY = CueRequest(
    kind="phrase", watch="paris is in italy", phrase=("paris", "is", "in", "italy"), interrupt=True
)
BANANA = CueRequest(kind="phrase", watch="banana", phrase=("banana",))


def hear_words(cue: Cue, text: str) -> list[tuple[str, Hit]]:
    """Feed ``text`` a word at a time, as speech arrives; return the words it fired on."""
    heard = [(word, cue.hear(word)) for word in text.split()]
    return [(word, hit) for word, hit in heard if hit is not None]


def test_a_number_cue_fires_once_per_number_phrase() -> None:
    cue = Cue("cue-1", NUMBER)
    assert hear_words(cue, "I have twenty five cats and 3 dogs") == [
        ("twenty", Hit(matched="twenty", say="Number: twenty.")),
        ("3", Hit(matched="3", say="Number: 3.")),
    ]
    assert cue.flush() is None


def test_a_number_cue_is_silent_without_numbers() -> None:
    cue = Cue("cue-1", NUMBER)
    assert hear_words(cue, "no numbers here at all, honestly") == []


def test_a_number_cue_fires_on_a_number_inside_a_chunk() -> None:
    assert Cue("cue-1", NUMBER).hear("I bought 12 eggs") == Hit(matched="12", say="Number: 12.")


def test_a_phrase_cue_fires_at_its_last_word() -> None:
    cue = Cue("cue-1", PARIS_ITALY)
    fired = hear_words(cue, "I think Paris is in Italy")
    assert fired == [("Italy", Hit(matched="paris is in italy", say="Stop! You said paris is in italy."))]


def test_a_phrase_cue_ignores_punctuation_between_its_words() -> None:
    cue = Cue("cue-1", PARIS_ITALY)
    assert [word for word, _ in hear_words(cue, "well Paris, is in Italy")] == ["Italy"]


def test_a_telling_phrase_cue_says_it_without_stop() -> None:
    assert Cue("cue-1", BANANA).hear("a banana") == Hit(matched="banana", say="You said banana.")


def test_a_cue_with_a_reply_says_it_when_it_fires() -> None:
    number = CueRequest(kind="number", watch="a number", reply="bingo")
    assert Cue("cue-1", number).hear("I bought 12 eggs") == Hit(matched="12", say="bingo")
    banana = CueRequest(kind="phrase", watch="banana", phrase=("banana",), reply="ding")
    assert Cue("cue-1", banana).hear("a banana") == Hit(matched="banana", say="ding")
    stop = CueRequest(kind="phrase", watch="banana", phrase=("banana",), interrupt=True, reply="busted")
    assert Cue("cue-1", stop).hear("a banana") == Hit(matched="banana", say="Stop! busted")


class KnownMembers:
    """A fake ``Member`` (the learned one is tested on its own): the words it is given, and what it was asked."""

    def __init__(self, category: str, *members: str) -> None:
        self.category = category
        self.members = set(members)
        self.asked: list[tuple[str, str, list[str]]] = []

    def is_member(self, category: str, word: str, before: Sequence[str]) -> bool:
        self.asked.append((category, word, list(before)))
        return category == self.category and word in self.members


def colour_cue(member: KnownMembers, *, reply: str = "", interrupt: bool = False) -> Cue:
    request = CueRequest(kind="category", watch="a colour", category="colour", reply=reply, interrupt=interrupt)
    return Cue("cue-1", request, member)


def test_a_category_cue_fires_on_each_member_it_hears_read_with_the_words_before_it() -> None:
    member = KnownMembers("colour", "navy", "white")
    cue = colour_cue(member)
    assert hear_words(cue, "the dress was navy, with white dots") == [
        ("navy,", Hit(matched="navy", say="Colour: navy.")),
        ("white", Hit(matched="white", say="Colour: white.")),
    ]
    assert ("colour", "white", ["the", "dress", "was", "navy", "with"]) in member.asked  # no punctuation
    assert [word for _, word, _ in member.asked] == ["the", "dress", "was", "navy", "with", "white", "dots"]


def test_a_category_cue_says_the_users_reply_and_stops_them_if_asked() -> None:
    assert colour_cue(KnownMembers("colour", "red"), reply="ding").hear("a red car") == Hit("red", "ding")
    stopping = colour_cue(KnownMembers("colour", "red"), reply="ding", interrupt=True)
    assert stopping.hear("a red car") == Hit("red", "Stop! ding")


def test_a_category_cue_is_silent_without_a_member_and_under_the_rules_hears_only_the_name() -> None:
    assert hear_words(colour_cue(KnownMembers("colour")), "we painted it a lovely shade") == []
    rules = Cue("cue-1", CueRequest(kind="category", watch="a colour", category="colour"))
    assert [word for word, _ in hear_words(rules, "a red car, what colour is that")] == ["colour"]


def test_a_phrase_cue_does_not_fire_on_part_of_the_phrase() -> None:
    cue = Cue("cue-1", PARIS_ITALY)
    assert hear_words(cue, "Paris is in France and Rome is in Italy") == []


def test_a_phrase_cue_fires_once_for_one_mention() -> None:
    # Punctuation or a noise tag after the phrase is not a second mention.
    cue = Cue("cue-1", PARIS_ITALY)
    assert cue.hear("Paris is in Italy") is not None
    assert cue.hear(",") is None
    assert cue.hear("[cough]") is None
    assert cue.hear("right") is None


def test_a_phrase_cue_fires_again_for_a_second_mention() -> None:
    cue = Cue("cue-1", BANANA)
    assert [word for word, _ in hear_words(cue, "banana split and another banana")] == ["banana", "banana"]


def test_a_wrong_sum_fires_with_the_correction() -> None:
    cue = Cue("cue-1", WRONG_FACT)
    fired = hear_words(cue, "so seven plus five is thirteen right")
    assert fired == [("thirteen", Hit(matched="seven plus five is thirteen", say="Wait, 7 plus 5 is 12."))]


def test_a_wrong_sum_in_one_chunk_fires() -> None:
    hit = Cue("cue-1", WRONG_FACT).hear("3 plus 4 is 8")
    assert hit == Hit(matched="3 plus 4 is 8", say="Wait, 3 plus 4 is 7.")


def test_a_correct_sum_never_fires() -> None:
    cue = Cue("cue-1", WRONG_FACT)
    assert hear_words(cue, "two plus two is four and three times three is nine") == []
    assert cue.flush() is None


def test_a_correct_sum_with_several_operators_never_fires() -> None:
    # 5 * 2 + 1 is 11: the claim is about the whole expression, not its last part ("two plus one").
    cue = Cue("cue-1", WRONG_FACT)
    assert hear_words(cue, "five times two plus one is eleven") == []
    assert cue.flush() is None


def test_a_claim_of_twenty_waits_for_the_rest_of_the_number() -> None:
    cue = Cue("cue-1", WRONG_FACT)
    assert hear_words(cue, "twenty plus three is twenty") == []  # maybe "twenty three": correct
    assert cue.hear("three") is None
    assert cue.flush() is None


def test_a_wrong_compound_claim_fires_when_the_number_is_complete() -> None:
    cue = Cue("cue-1", WRONG_FACT)
    fired = hear_words(cue, "twenty plus three is twenty four")
    assert fired == [("four", Hit(matched="twenty plus three is twenty four", say="Wait, 20 plus 3 is 23."))]


def test_a_pause_completes_a_claim_of_twenty() -> None:
    cue = Cue("cue-1", WRONG_FACT)
    assert hear_words(cue, "twenty plus four is twenty") == []
    assert cue.flush() == Hit(matched="twenty plus four is twenty", say="Wait, 20 plus 4 is 24.")
    assert cue.flush() is None  # reported once


def test_a_wrong_fact_fires_once_however_much_follows() -> None:
    cue = Cue("cue-1", WRONG_FACT)
    fired = hear_words(cue, "seven plus five is thirteen and I have two cats and 3 dogs")
    assert [word for word, _ in fired] == ["thirteen"]
    assert cue.flush() is None


def test_dividing_by_zero_is_not_a_checkable_claim() -> None:
    cue = Cue("cue-1", WRONG_FACT)
    assert hear_words(cue, "ten divided by zero is five") == []


def test_words_without_arithmetic_never_fire_a_wrong_fact_cue() -> None:
    cue = Cue("cue-1", WRONG_FACT)
    assert hear_words(cue, "my flat is 3 floors up and it is 20 years old") == []
    assert cue.flush() is None


def test_cues_ignore_noise_tags() -> None:
    cue = Cue("cue-1", BANANA)
    assert cue.hear("[cough]") is None
    assert cue.heard == []


def test_only_wrong_fact_cues_have_anything_to_flush() -> None:
    number, phrase = Cue("cue-1", NUMBER), Cue("cue-2", BANANA)
    number.hear("twenty")
    phrase.hear("banana")
    assert number.flush() is None
    assert phrase.flush() is None


# --- weaving ---------------------------------------------------------------------------------------


def floor(
    now: float,
    *,
    user_until: float = 0.0,
    last_input: float | None = None,
    agent_utterance: int | None = None,
    user_text: str = "",
    tools: tuple[ToolSpec, ...] = (),
) -> FloorState:
    return FloorState(
        now=now,
        user_active_until=user_until,
        last_user_input=last_input,
        agent_utterance=agent_utterance,
        user_text=user_text,
        tools=tools,
    )


def weaver(*, pause: float = 0.6, summary_words: int = 30) -> Weaver:
    return Weaver(pause=pause, summary_words=summary_words)


def judged(w: Weaver, text: str, *, started: float) -> list[Action]:
    """The weaver's judgement of a turn, as the rules read it with the jobs running."""
    return w.turn_ended(RulesIntent().read(text, IntentContext(jobs_running=True)), text, started=started)


def requested(job: str, task: str, t: float, priority: int = 0) -> JobRequested:
    return JobRequested(job=job, task=task, t=t, priority=priority)


def result(job: str, text: str, t: float) -> JobResult:
    return JobResult(job=job, text=text, t=t)


def woven(job: str, said: str, purpose: SpeechPurpose = SpeechPurpose.ANNOUNCE) -> list[Action]:
    return [Record(ResultWoven(job=job)), Say(said, purpose)]


def test_a_result_waits_for_a_pause_of_weave_pause_after_the_user() -> None:
    w = weaver()
    w.track(requested("j1", "find flights to Lisbon", 1.0))
    talking = floor(3.0, user_until=3.2, last_input=2.9)
    assert w.arrived(result("j1", "There are three flights.", 3.0), talking) == []
    assert w.deliver(talking) == []
    assert w.moments(talking) == [pytest.approx(3.8)]
    assert w.deliver(floor(3.5, user_until=3.2, last_input=2.9)) == []  # silent only 0.3 s
    at_pause = floor(3.8, user_until=3.2, last_input=2.9)
    assert w.deliver(at_pause) == woven("j1", "About find flights to Lisbon: There are three flights.")


def test_a_result_is_never_delivered_twice() -> None:
    w = weaver()
    w.track(requested("j1", "check the news", 1.0))
    quiet = floor(5.0)
    w.arrived(result("j1", "Nothing new.", 5.0), quiet)
    assert w.deliver(quiet) == woven("j1", "About check the news: Nothing new.")
    assert w.deliver(quiet) == []
    assert w.moments(quiet) == []
    again = w.arrived(result("j1", "Nothing new.", 6.0), quiet)
    assert again == [Record(ResultDropped(job="j1", reason="already delivered"))]
    assert w.deliver(quiet) == []


def test_a_result_is_not_said_over_the_agent() -> None:
    w = weaver()
    w.track(requested("j1", "check the news", 1.0))
    speaking = floor(5.0, agent_utterance=3)
    w.arrived(result("j1", "Nothing new.", 5.0), speaking)
    assert w.deliver(speaking) == []
    assert w.deliver(floor(6.0)) == woven("j1", "About check the news: Nothing new.")


def test_a_result_before_the_user_said_anything_is_said_at_once() -> None:
    w = weaver()
    w.track(requested("j1", "check the news", 0.0))
    quiet = floor(0.5)
    w.arrived(result("j1", "Nothing new.", 0.5), quiet)
    assert w.deliver(quiet) == woven("j1", "About check the news: Nothing new.")


def test_ready_results_are_said_one_at_a_time_in_order() -> None:
    w = weaver()
    w.track(requested("j1", "check the news", 1.0))
    w.track(requested("j2", "check the weather", 1.5))
    quiet = floor(5.0)
    w.arrived(result("j2", "Sunny.", 4.0), quiet)
    w.arrived(result("j1", "Nothing new.", 4.5), quiet)
    assert w.deliver(quiet) == woven("j2", "About check the weather: Sunny.")
    assert w.deliver(quiet) == woven("j1", "About check the news: Nothing new.")
    assert w.deliver(quiet) == []


def test_an_urgent_result_interjects_at_once_even_over_the_user() -> None:
    w = weaver()
    w.track(requested("j1", "watch the oven", 1.0, priority=10))
    talking = floor(3.0, user_until=3.3, last_input=3.0)
    said = w.arrived(result("j1", "It is hot.", 3.0), talking)
    assert said == woven("j1", "About watch the oven: It is hot.", SpeechPurpose.INTERJECTION)
    assert w.deliver(floor(9.0)) == []


def test_a_result_just_below_urgent_waits() -> None:
    w = weaver()
    w.track(requested("j1", "watch the oven", 1.0, priority=9))
    talking = floor(3.0, user_until=3.3, last_input=3.0)
    assert w.arrived(result("j1", "It is hot.", 3.0), talking) == []


def test_a_cancelled_job_is_dropped_as_cancelled() -> None:
    w = weaver()
    w.track(requested("j1", "book a table", 1.0))
    w.track(CancelJob(job="j1", t=2.0))
    quiet = floor(5.0)
    assert w.arrived(result("j1", "Booked.", 5.0), quiet) == [Record(ResultDropped(job="j1", reason="cancelled"))]
    assert w.deliver(quiet) == []


def test_a_turn_that_cancels_drops_the_result() -> None:
    w = weaver()
    w.track(requested("j1", "book a table for two", 1.0))
    assert judged(w, "oh never mind", started=4.0) == [Record(CancelJob(job="j1"))]
    quiet = floor(6.0)
    assert w.arrived(result("j1", "Booked.", 6.0), quiet) == [
        Record(ResultDropped(job="j1", reason="the user cancelled the request"))
    ]
    assert w.deliver(quiet) == []
    assert w.arrived(result("j1", "Booked.", 7.0), quiet) == [
        Record(ResultDropped(job="j1", reason="already delivered"))
    ]


@pytest.mark.parametrize("text", ["forget it", "cancel that", "don't bother", "no need, thanks"])
def test_cancelling_phrasings(text: str) -> None:
    w = weaver()
    w.track(requested("j1", "book a table", 1.0))
    judged(w, text, started=4.0)
    dropped = w.arrived(result("j1", "Booked.", 6.0), floor(6.0))
    assert dropped == [Record(ResultDropped(job="j1", reason="the user cancelled the request"))]


def test_a_result_already_waiting_is_dropped_when_the_user_cancels() -> None:
    # The result came in while the user was talking; their turn then cancels the request.
    w = weaver()
    w.track(requested("j1", "book a table", 1.0))
    talking = floor(4.5, user_until=4.8, last_input=4.5)
    assert w.arrived(result("j1", "Booked.", 4.5), talking) == []
    assert cancels(judged(w, "never mind the table", started=4.0))
    said = w.deliver(floor(8.0, user_until=5.5, last_input=5.2))
    assert not any(isinstance(action, Say) for action in said)
    assert Record(ResultWoven(job="j1")) not in said


def test_a_revision_drops_the_result_and_delegates_the_revised_request() -> None:
    w = weaver()
    w.track(requested("j1", "find flights to Lisbon", 1.0, priority=3))
    actions = judged(w, "actually, make it Porto", started=4.0)
    assert actions == [
        Record(CancelJob(job="j1")),
        Delegate(task="find flights to Lisbon (revised by the user: actually, make it Porto)", priority=3),
    ]
    assert w.arrived(result("j1", "Three flights.", 6.0), floor(6.0)) == [
        Record(ResultDropped(job="j1", reason="the user revised the request: actually, make it Porto"))
    ]


@pytest.mark.parametrize("text", ["instead try Porto", "I mean Porto", "scratch that, Porto", "no wait, Porto"])
def test_revising_phrasings(text: str) -> None:
    w = weaver()
    w.track(requested("j1", "find flights to Lisbon", 1.0))
    (cancel, delegate) = judged(w, text, started=4.0)
    assert cancel == Record(CancelJob(job="j1"))
    assert isinstance(delegate, Delegate)
    assert delegate.task == f"find flights to Lisbon (revised by the user: {text})"


def test_a_topic_change_drops_every_open_result() -> None:
    w = weaver()
    w.track(requested("j1", "find flights to Lisbon", 1.0))
    w.track(requested("j2", "check the weather", 2.0))
    assert judged(w, "let's talk about something else", started=4.0) == [
        Record(CancelJob(job="j1")),
        Record(CancelJob(job="j2")),
    ]
    quiet = floor(6.0)
    for job in ("j1", "j2"):
        assert w.arrived(result(job, "Done.", 6.0), quiet) == [
            Record(ResultDropped(job=job, reason="the user changed the topic"))
        ]


def test_the_job_meant_is_the_one_that_shares_words_with_the_turn() -> None:
    w = weaver()
    w.track(requested("j1", "find flights to Lisbon", 1.0))
    w.track(requested("j2", "check the weather in Porto", 2.0))
    judged(w, "never mind the flights", started=4.0)
    quiet = floor(6.0)
    # Content words are matched as said: "flights" is in the first task.
    assert w.arrived(result("j1", "Three flights.", 6.0), quiet) == [
        Record(ResultDropped(job="j1", reason="the user cancelled the request"))
    ]
    assert w.arrived(result("j2", "Sunny.", 6.0), quiet) == []
    assert w.deliver(quiet) == woven("j2", "About check the weather in Porto: Sunny.")


def test_without_shared_words_the_latest_job_is_meant() -> None:
    w = weaver()
    w.track(requested("j1", "find flights to Lisbon", 1.0))
    w.track(requested("j2", "check the weather in Porto", 2.0))
    judged(w, "forget it", started=4.0)
    quiet = floor(6.0)
    assert w.arrived(result("j1", "Three flights.", 6.0), quiet) == []
    assert w.arrived(result("j2", "Sunny.", 6.0), quiet) == [
        Record(ResultDropped(job="j2", reason="the user cancelled the request"))
    ]


def test_a_change_aimed_at_a_job_changes_that_one_whatever_the_words_name() -> None:
    w = weaver()
    w.track(requested("j1", "find a hotel in Bath", 1.0))
    w.track(requested("j2", "compare washing machines", 2.0))
    text = "somewhere with a sea view, not a washing machine in sight"
    aimed = IntentReading("revise_job", {"job": "revise", "jobs": "latest", "target": "find a hotel in Bath"})
    assert w.turn_ended(aimed, text, started=4.0) == [
        Record(CancelJob(job="j1")),
        Delegate(task=f"find a hotel in Bath (revised by the user: {text})"),
    ]


def test_a_change_aimed_at_no_open_job_falls_back_to_the_words_and_the_latest() -> None:
    w = weaver()
    w.track(requested("j1", "find a hotel in Bath", 1.0))
    w.track(requested("j2", "compare washing machines", 2.0))
    gone = IntentReading("cancel_job", {"job": "cancel", "jobs": "latest", "target": "book a taxi"})
    assert w.turn_ended(gone, "forget it", started=4.0) == [Record(CancelJob(job="j2"))]


def test_a_turn_without_staleness_words_keeps_the_result() -> None:
    w = weaver()
    w.track(requested("j1", "find flights to Lisbon", 1.0))
    assert judged(w, "and what about hotels", started=4.0) == []
    quiet = floor(6.0)
    assert w.arrived(result("j1", "Three flights.", 6.0), quiet) == []
    assert w.deliver(quiet) == woven("j1", "About find flights to Lisbon: Three flights.")


def test_a_job_requested_during_the_turn_is_not_judged_by_it() -> None:
    # "never mind" said before the job was requested cannot be about it.
    w = weaver()
    w.track(requested("j1", "book a table", 5.0))
    assert judged(w, "never mind", started=4.0) == []
    quiet = floor(7.0)
    assert w.arrived(result("j1", "Booked.", 7.0), quiet) == []
    assert w.deliver(quiet) == woven("j1", "About book a table: Booked.")


def test_a_delivered_job_is_not_judged_again() -> None:
    w = weaver()
    w.track(requested("j1", "find flights to Lisbon", 1.0))
    quiet = floor(3.0)
    w.arrived(result("j1", "Three flights.", 3.0), quiet)
    w.deliver(quiet)
    assert not cancels(judged(w, "actually make it Porto", started=5.0))


def test_an_unknown_job_result_is_woven_under_its_name() -> None:
    w = weaver()
    quiet = floor(2.0)
    w.arrived(result("outside-1", "Done.", 2.0), quiet)
    assert w.deliver(quiet) == woven("outside-1", "About outside-1: Done.")


def summary_of(text: str, budget: int) -> str:
    w = weaver(summary_words=budget)
    w.track(requested("j1", "research", 0.0))
    quiet = floor(1.0)
    w.arrived(result("j1", text, 1.0), quiet)
    actions = w.deliver(quiet)
    assert len(actions) == 2
    say = actions[1]
    assert isinstance(say, Say)
    assert say.text.startswith("About research: ")
    return say.text.removeprefix("About research: ")


def test_a_long_result_is_cut_at_whole_sentences_within_the_budget() -> None:
    text = "One two three. Four five six seven! Eight nine ten eleven twelve? Thirteen."
    assert summary_of(text, 7) == "One two three. Four five six seven!"
    assert summary_of(text, 8) == "One two three. Four five six seven!"
    assert summary_of(text, 12) == "One two three. Four five six seven! Eight nine ten eleven twelve?"
    assert summary_of(text, 30) == text


def test_a_first_sentence_longer_than_the_budget_is_cut_short() -> None:
    assert summary_of("one two three four five six. seven.", 4) == "one two three four …"


def test_the_default_budget_is_thirty_words() -> None:
    sentence = "This sentence has exactly ten words in it, you see."
    summary = summary_of(" ".join([sentence] * 4), 30)
    assert summary == " ".join([sentence] * 3)


# --- speculation -----------------------------------------------------------------------------------

WEATHER = ToolSpec(name="weather", trigger=r"\bin (?P<city>[a-z]+)")
FLIGHTS = ToolSpec(name="flights", trigger=r"\bfrom (?P<origin>[a-z]+) to (?P<destination>[a-z]+)")
PLAIN = ToolSpec(name="search")


def heard(text: str, *tools: ToolSpec, now: float = 2.0) -> FloorState:
    return floor(now, user_until=now, last_input=now - 0.3, user_text=text, tools=tools or (WEATHER,))


def called(call: str, tool: str, **arguments: str) -> ToolCalled:
    return ToolCalled(call=call, tool=tool, arguments=dict(arguments))


def test_a_trigger_match_calls_the_tool_with_the_named_groups() -> None:
    s = Speculator(holding="Let me check.")
    assert s.listen(heard("what's the weather")) == []
    assert s.listen(heard("what's the weather in Paris")) == [CallTool("weather", {"city": "paris"})]
    assert s.listen(heard("what's the weather in Paris today")) == []  # already called


def test_every_named_group_is_an_argument() -> None:
    s = Speculator(holding="Let me check.")
    actions = s.listen(heard("any flights from Lisbon to Porto?", FLIGHTS, WEATHER))
    assert actions == [CallTool("flights", {"destination": "porto", "origin": "lisbon"})]


def test_tools_without_a_trigger_are_never_called_speculatively() -> None:
    s = Speculator(holding="Let me check.")
    assert s.listen(heard("search for cats in Paris", PLAIN)) == []
    assert s.answer(heard("search for cats in Paris", PLAIN)) is None


def test_a_revision_cancels_the_earlier_call_and_calls_anew() -> None:
    s = Speculator(holding="Let me check.")
    s.listen(heard("weather in Paris"))
    s.called(called("call-1", "weather", city="paris"))
    revised = s.listen(heard("weather in Paris, no, in London"))
    assert revised == [CancelTool("call-1"), CallTool("weather", {"city": "london"})]


def test_a_revision_before_the_call_was_made_only_calls_anew() -> None:
    s = Speculator(holding="Let me check.")
    s.listen(heard("weather in Paris"))
    assert s.listen(heard("weather in Paris, no, in London")) == [CallTool("weather", {"city": "london"})]


def test_a_finished_result_answers_at_once() -> None:
    s = Speculator(holding="Let me check.")
    s.listen(heard("weather in London"))
    s.called(called("call-1", "weather", city="london"))
    assert s.result(ToolResult(call="call-1", output="Rain in London.")) == []  # nobody is waiting yet
    assert s.answer(heard("weather in London")) == [Reply(facts=("Rain in London.",))]


def test_the_answer_uses_the_revised_call() -> None:
    s = Speculator(holding="Let me check.")
    s.listen(heard("weather in Paris"))
    s.called(called("call-1", "weather", city="paris"))
    s.listen(heard("weather in Paris no in London"))
    s.called(called("call-2", "weather", city="london"))
    s.result(ToolResult(call="call-2", output="Rain in London."))
    assert s.answer(heard("weather in Paris no in London")) == [Reply(facts=("Rain in London.",))]


def test_a_running_call_holds_the_floor_and_the_answer_follows_its_result() -> None:
    s = Speculator(holding="Let me check.")
    s.listen(heard("what's the weather in London"))
    s.called(called("call-1", "weather", city="london"))
    assert s.answer(heard("what's the weather in London")) == [
        ClearTurn(),
        Say("Let me check.", SpeechPurpose.REPLY),
    ]
    assert s.result(ToolResult(call="call-1", output="Rain in London.")) == [
        Reply(text="what's the weather in London", facts=("Rain in London.",), append=True)
    ]
    assert s.result(ToolResult(call="call-1", output="Rain in London.")) == []  # answered once


def test_a_trigger_first_matched_at_the_end_of_the_turn_is_called_and_held() -> None:
    s = Speculator(holding="One moment.")
    state = heard("weather in Oslo")
    assert s.answer(state) == [CallTool("weather", {"city": "oslo"}), ClearTurn()]  # the holding phrase waits
    s.called(called("call-7", "weather", city="oslo"))
    assert s.result(ToolResult(call="call-7", output="Snow.")) == [
        Reply(text="weather in Oslo", facts=("Snow.",), append=True)
    ]


def test_a_result_of_another_call_does_not_release_the_held_answer() -> None:
    s = Speculator(holding="Let me check.")
    s.listen(heard("weather in London"))
    s.called(called("call-1", "weather", city="london"))
    s.answer(heard("weather in London"))
    assert s.result(ToolResult(call="call-9", output="Something else.")) == []
    assert s.result(ToolResult(call="call-1", output="Rain.")) == [
        Reply(text="weather in London", facts=("Rain.",), append=True)
    ]


def test_a_new_turn_drops_the_held_answer() -> None:
    s = Speculator(holding="Let me check.")
    s.listen(heard("weather in London"))
    s.called(called("call-1", "weather", city="london"))
    s.answer(heard("weather in London"))
    s.interrupted()
    assert s.result(ToolResult(call="call-1", output="Rain.")) == []


def test_a_failed_call_still_gets_the_held_answer() -> None:
    # After "Let me check." the user must hear something, even if the tool failed.
    s = Speculator(holding="Let me check.")
    s.listen(heard("weather in London"))
    s.called(called("call-1", "weather", city="london"))
    s.answer(heard("weather in London"))
    after = s.result(ToolResult(call="call-1", output="the weather service is down", error=True))
    assert len(after) == 1
    assert isinstance(after[0], Reply)
    assert after[0].append


def test_each_turn_starts_without_calls() -> None:
    s = Speculator(holding="Let me check.")
    s.listen(heard("weather in London"))
    s.called(called("call-1", "weather", city="london"))
    s.result(ToolResult(call="call-1", output="Rain."))
    assert s.answer(heard("weather in London")) == [Reply(facts=("Rain.",))]
    assert s.answer(heard("thanks")) is None


def cancels(actions: list[Action]) -> bool:
    """The turn stopped background work: a CancelJob is among the actions."""
    return any(isinstance(action, Record) and isinstance(action.event, CancelJob) for action in actions)
