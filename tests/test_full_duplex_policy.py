"""The full-duplex policy end to end: a real Session, the scripted model, virtual time, the log.

Spoken words come from ``spoken()``: one word every 0.3 s, each lasting 0.3 s, so a phrase starting at
``t`` with ``n`` words ends at ``t + 0.3 n``. The agent speaks one word per 0.4 s. Every time below is
exact: the policy asks the loop to wake it at the moment it needs, between the 0.2 s ticks. The policy runs
the rules (``decisions="rules"``), whose waits and word lists these times follow (docs/full-duplex.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import msgspec
import pytest

from microturn import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    CueFired,
    CueSet,
    EndReason,
    Event,
    JobRequested,
    JobResult,
    Overlap,
    ResultDropped,
    ResultWoven,
    SpeechPurpose,
    TimerCancelled,
    TimerFired,
    TimerSet,
    UserInput,
    VirtualClock,
)
from microturn._models._scripted import STORY
from microturn._policies import FullDuplexPolicy, make_policy
from microturn.errors import ConfigError
from microturn.testing import Step, end, run_session, spoken, typed

E = TypeVar("E", bound=Event)


def of_kind(log: Sequence[Event], kind: type[E]) -> list[E]:
    return [event for event in log if isinstance(event, kind)]


def words_of(log: Sequence[Event], utterance: int) -> list[AgentWord]:
    return [word for word in of_kind(log, AgentWord) if word.utterance == utterance]


def said(log: Sequence[Event], utterance: int) -> str:
    return " ".join(word.word for word in words_of(log, utterance))


def ended(log: Sequence[Event], utterance: int) -> AgentSpeechEnded:
    (end_event,) = [event for event in of_kind(log, AgentSpeechEnded) if event.utterance == utterance]
    return end_event


def user_word(log: Sequence[Event], text: str) -> UserInput:
    (found,) = [event for event in of_kind(log, UserInput) if event.text == text]
    return found


def aside(steps: list[Step]) -> list[Step]:
    """The same input, marked as side talk (not addressed to the agent)."""
    return [
        (t, msgspec.structs.replace(event, addressed=False) if isinstance(event, UserInput) else event)
        for t, event in steps
    ]


def speaking_user(log: Sequence[Event], t: float) -> bool:
    """The user was in the middle of a word at ``t`` (a word's start counts; its end does not)."""
    return any(word.t <= t < word.t + word.duration - 1e-9 for word in of_kind(log, UserInput) if word.addressed)


async def run(clock: VirtualClock, steps: list[Step], **options: Any) -> list[Event]:
    """The session's log under the rules (``decisions="rules"``): their waits and words are what is timed here."""
    _, log = await run_session(clock, steps, policy=FullDuplexPolicy(**{"decisions": "rules", **options}))
    return log


# --- end of turn -------------------------------------------------------------------------------------


async def test_a_complete_spoken_question_is_answered_a_tenth_of_a_second_after_it(
    clock: VirtualClock,
) -> None:
    log = await run(clock, [*spoken("what time is it", 1.0), *end(5.0)])  # last word ends at 2.2 s
    (reply,) = of_kind(log, AgentSpeechStarted)
    assert reply.t == 2.3
    assert reply.purpose is SpeechPurpose.REPLY
    assert reply.reply_to == "what time is it"
    assert said(log, reply.utterance).startswith("It is")


async def test_a_complete_statement_is_answered_as_quickly(clock: VirtualClock) -> None:
    log = await run(clock, [*spoken("what is two plus three", 1.0), *end(6.0)])  # ends at 2.5 s
    (reply,) = of_kind(log, AgentSpeechStarted)
    assert reply.t == 2.6
    assert said(log, reply.utterance) == "2 plus 3 is 5."


async def test_a_pause_after_to_the_is_not_the_end_of_the_turn(clock: VirtualClock) -> None:
    # "I want to go to the" ends at 2.8 s; 1.5 s later the user goes on; "please" ends at 4.9 s.
    steps = [*spoken("I want to go to the", 1.0), *spoken("station please", 4.3), *end(9.5)]
    log = await run(clock, steps)
    (reply,) = of_kind(log, AgentSpeechStarted)
    assert reply.t == 5.0
    assert reply.reply_to == "I want to go to the station please"
    assert not any(word.t < 4.3 for word in of_kind(log, AgentWord))


async def test_an_unfinished_turn_ends_after_the_incomplete_silence(clock: VirtualClock) -> None:
    log = await run(clock, [*spoken("I want to go to the", 1.0), *end(6.0)])  # ends at 2.8 s
    (reply,) = of_kind(log, AgentSpeechStarted)
    assert reply.t == pytest.approx(4.6)
    assert reply.reply_to == "I want to go to the"


# Turn 1 has two 1.7 s pauses after unfinished words; turn 2 pauses 2.1 s after "I need to".
SLOW_SPEAKER = [
    *spoken("I went to the", 1.0),
    *spoken("shop and", 3.9),
    *spoken("then home", 6.2),
    *spoken("I need to", 12.0),
    *spoken("buy milk", 15.0),
]


async def test_a_speaker_who_pauses_long_gets_a_longer_wait(clock: VirtualClock) -> None:
    log = await run(clock, [*SLOW_SPEAKER, *end(25.0)])
    first, second = of_kind(log, AgentSpeechStarted)
    assert first.reply_to == "I went to the shop and then home"
    assert first.t == 6.9
    # Learned: 1.3 x 1.7 s = 2.21 s > the 2.1 s pause, so "buy milk" is still the same turn.
    assert second.reply_to == "I need to buy milk"
    assert second.t == 15.7
    assert of_kind(log, AgentSpeechEnded)[-1].reason is EndReason.COMPLETED


async def test_without_that_history_the_same_pause_ends_the_turn(clock: VirtualClock) -> None:
    log = await run(clock, [*spoken("I need to", 12.0), *spoken("buy milk", 15.0), *end(25.0)])
    first = of_kind(log, AgentSpeechStarted)[0]
    assert first.reply_to == "I need to"
    assert first.t == pytest.approx(14.7)  # 12.9 s + 1.8 s


async def test_the_learned_wait_is_capped(clock: VirtualClock) -> None:
    log = await run(clock, [*SLOW_SPEAKER, *end(25.0)], max_incomplete_silence=2.0)
    second = of_kind(log, AgentSpeechStarted)[1]
    assert second.reply_to == "I need to"
    assert second.t == pytest.approx(14.9)  # 12.9 s + 2.0 s, not 2.21 s


async def test_typed_input_is_answered_at_enter(clock: VirtualClock) -> None:
    log = await run(clock, [*typed("what is 6 times 7", 1.05, submit_at=1.1), *end(5.0)])
    (reply,) = of_kind(log, AgentSpeechStarted)
    assert reply.t == 1.1  # at Enter itself, not at the next tick
    assert said(log, reply.utterance) == "6 times 7 is 42."


async def test_typed_input_without_enter_waits_longer_when_it_looks_unfinished(clock: VirtualClock) -> None:
    log = await run(clock, [*typed("hello there", 1.05), *typed("I want to", 8.0), *end(26.0)])
    first, second = of_kind(log, AgentSpeechStarted)
    assert (first.t, first.reply_to) == (6.05, "hello there")  # 5 s after complete-looking text
    assert (second.t, second.reply_to) == (23.0, "I want to")  # 15 s after unfinished text


async def test_a_reply_comes_at_its_moment_between_ticks(clock: VirtualClock) -> None:
    log = await run(clock, [*spoken("hello there", 1.75), *end(5.0)])  # ends at 2.35 s
    (reply,) = of_kind(log, AgentSpeechStarted)
    assert reply.t == 2.45
    assert words_of(log, reply.utterance)[0].t == 2.45


# --- barge-in and what is not a turn -------------------------------------------------------------------

# "tell me a story" ends at 2.2 s; the story starts at 2.3 s with words at 2.3, 2.7, 3.1, ...
STORY_REQUEST = spoken("tell me a story", 1.0)


async def test_a_spoken_word_stops_the_agent_in_the_same_pass(clock: VirtualClock) -> None:
    log = await run(clock, [*STORY_REQUEST, *spoken("wait", 3.05), *end(6.0)])
    story = of_kind(log, AgentSpeechStarted)[0]
    barge = user_word(log, "wait")
    stop = ended(log, story.utterance)
    assert stop.reason is EndReason.INTERRUPTED
    assert stop.t == barge.t == 3.05
    assert stop.cause == barge.seq
    assert stop.delivered == said(log, story.utterance) == "Once upon"
    assert log.index(stop) == log.index(barge) + 1


async def test_a_spoken_backchannel_does_not_stop_the_agent(clock: VirtualClock) -> None:
    log = await run(clock, [*STORY_REQUEST, *spoken("mm-hm", 3.05), *spoken("[cough]", 5.0), *end(30.0)])
    (story,) = of_kind(log, AgentSpeechStarted)  # and nothing in answer to "mm-hm"
    done = ended(log, story.utterance)
    assert done.reason is EndReason.COMPLETED
    assert done.delivered == STORY
    assert of_kind(log, Overlap)[0].started == 3.05


async def test_a_typed_ok_stops_the_agent_which_then_resumes_the_rest(clock: VirtualClock) -> None:
    log = await run(clock, [*STORY_REQUEST, *typed("ok", 3.05, submit_at=3.3), *end(30.0)])
    story, resumed = of_kind(log, AgentSpeechStarted)
    cut = ended(log, story.utterance)
    assert cut.reason is EndReason.INTERRUPTED
    assert cut.t == 3.05  # at the first keystroke
    assert cut.cause == user_word(log, "ok").seq
    assert resumed.resumes == story.utterance
    assert resumed.t == 3.3  # at Enter
    rest = ended(log, resumed.utterance)
    assert rest.reason is EndReason.COMPLETED
    assert f"{cut.delivered} {rest.delivered}" == STORY


async def test_side_talk_over_the_agent_neither_stops_nor_is_answered(clock: VirtualClock) -> None:
    log = await run(clock, [*STORY_REQUEST, *aside(spoken("hey honey can you get the door", 3.05)), *end(25.0)])
    (story,) = of_kind(log, AgentSpeechStarted)
    assert ended(log, story.utterance).reason is EndReason.COMPLETED


async def test_side_talk_alone_is_not_answered(clock: VirtualClock) -> None:
    log = await run(clock, [*aside(spoken("hey honey can you get the door", 1.0)), *end(8.0)])
    assert of_kind(log, AgentSpeechStarted) == []


# --- agent backchannels ---------------------------------------------------------------------------------

# A long turn: 15 words (4.5 s of speech) to "and" at 5.5 s, then pauses of 0.7 s (6.2 s),
# 0.4 s (8.0 s), 1.0 s (10.5 s) and 0.9 s (13.0 s), each after an unfinished word.
LONG_TURN = [
    *spoken("so yesterday I went to the market with my sister and we bought some and", 1.0),
    *spoken("then we saw a friend and", 6.2),
    *spoken("she told us about her trip to", 8.4),
    *spoken("the mountains last week and", 11.5),
    *spoken("it was lovely", 13.9),
]


async def test_backchannels_at_pauses_in_a_long_turn_at_most_one_per_five_seconds(
    clock: VirtualClock,
) -> None:
    log = await run(clock, [*LONG_TURN, *end(30.0)])
    backchannels = [event for event in of_kind(log, AgentSpeechStarted) if event.purpose is SpeechPurpose.BACKCHANNEL]
    # 0.5 s into the pauses at 5.5 s and 10.5 s; the one at 13.0 s is too soon after 11.0 s.
    assert [event.t for event in backchannels] == [6.0, 11.0]
    assert [said(log, event.utterance) for event in backchannels] == ["mm-hm", "yeah"]
    assert not any(speaking_user(log, event.t) for event in backchannels)
    (reply,) = [event for event in of_kind(log, AgentSpeechStarted) if event.purpose is SpeechPurpose.REPLY]
    assert reply.reply_to == " ".join(event.text for event in of_kind(log, UserInput))  # nothing taken over
    assert reply.t == 14.9


async def test_no_backchannel_in_a_short_turn(clock: VirtualClock) -> None:
    # 3 s of speech, then a 1 s pause after "and": too little to acknowledge.
    steps = [*spoken("so I went to the market and", 1.0), *spoken("bought bread", 4.1), *end(9.0)]
    log = await run(clock, steps)
    assert [event.purpose for event in of_kind(log, AgentSpeechStarted)] == [SpeechPurpose.REPLY]


async def test_backchannels_can_be_tuned(clock: VirtualClock) -> None:
    log = await run(clock, [*LONG_TURN, *end(30.0)], backchannel_gap=2.0, backchannel_pause=0.3)
    times = [event.t for event in of_kind(log, AgentSpeechStarted) if event.purpose is SpeechPurpose.BACKCHANNEL]
    assert times == [5.8, 8.3, 10.8, 13.3]


# --- timers ---------------------------------------------------------------------------------------------

REMINDER = spoken("remind me in 3 seconds to stretch", 1.0)  # ends at 3.1 s


async def test_a_timer_fires_exactly_its_seconds_after_the_request(clock: VirtualClock) -> None:
    log = await run(clock, [*REMINDER, *end(9.0)])
    (timer_set,) = of_kind(log, TimerSet)
    assert timer_set.due == 6.1
    assert timer_set.text == "Reminder: stretch."
    ack = of_kind(log, AgentSpeechStarted)[0]
    assert ack.t == 3.2
    assert said(log, ack.utterance) == "Okay, in 3 seconds."
    (fired,) = of_kind(log, TimerFired)
    assert fired.t == 6.1
    assert fired.timer == timer_set.timer
    announce = of_kind(log, AgentSpeechStarted)[1]
    assert announce.t == 6.1
    assert ended(log, announce.utterance).delivered == "Reminder: stretch."


async def test_a_timer_due_while_the_user_talks_waits_for_the_end_of_their_word(clock: VirtualClock) -> None:
    log = await run(clock, [*REMINDER, *spoken("really", 5.9), *end(12.0)])  # "really" runs 5.9 .. 6.2 s
    (fired,) = of_kind(log, TimerFired)
    assert 6.2 <= fired.t <= 6.7  # after their word, within a short pause
    (announce,) = [event for event in of_kind(log, AgentSpeechStarted) if event.t == fired.t]
    assert ended(log, announce.utterance).delivered == "Reminder: stretch."
    # The user's "really" is still answered, in full: neither utterance cuts the other off.
    (reply,) = [event for event in of_kind(log, AgentSpeechStarted) if event.reply_to == "really"]
    assert ended(log, reply.utterance).delivered == "You said: really"
    assert [event.reason for event in of_kind(log, AgentSpeechEnded)] == [EndReason.COMPLETED] * 3


async def test_a_timer_due_while_the_user_talks_on_is_said_after_them(clock: VirtualClock) -> None:
    # Due at 6.1 s, in the middle of a sentence running 5.05 s .. 7.45 s without a pause.
    log = await run(clock, [*REMINDER, *spoken("so I was telling you about my day", 5.05), *end(14.0)])
    (fired,) = of_kind(log, TimerFired)
    assert fired.t >= 7.45
    (announce,) = [
        event for event in of_kind(log, AgentSpeechStarted) if event.purpose is SpeechPurpose.ANNOUNCE and event.t > 6
    ]
    assert ended(log, announce.utterance).delivered == "Reminder: stretch."


async def test_a_repeating_timer_fires_every_period(clock: VirtualClock) -> None:
    log = await run(clock, [*spoken("every 2 seconds say tick", 1.0), *end(11.0)])  # ends at 2.5 s
    (timer_set,) = of_kind(log, TimerSet)
    assert (timer_set.due, timer_set.every) == (4.5, 2.0)
    assert [fired.t for fired in of_kind(log, TimerFired)] == [4.5, 6.5, 8.5, 10.5]
    assert {fired.text for fired in of_kind(log, TimerFired)} == {"tick"}


async def test_stopping_the_timer_cancels_it(clock: VirtualClock) -> None:
    steps = [*spoken("every 2 seconds say tick", 1.0), *spoken("stop the timer", 5.0), *end(12.0)]
    log = await run(clock, steps)
    (cancelled,) = of_kind(log, TimerCancelled)
    assert cancelled.timer == of_kind(log, TimerSet)[0].timer
    assert [fired.t for fired in of_kind(log, TimerFired)] == [4.5]
    assert said(log, of_kind(log, AgentSpeechStarted)[-1].utterance) == "Okay, timers stopped."


# --- cues -----------------------------------------------------------------------------------------------


async def test_a_cue_interjects_at_the_matching_word_and_is_not_cut_by_the_user(clock: VirtualClock) -> None:
    steps = [
        *spoken("tell me when I mention a number", 1.0),
        *spoken("I bought seventeen apples and then some pears", 5.0),
        *end(12.0),
    ]
    log = await run(clock, steps)
    (cue_set,) = of_kind(log, CueSet)
    assert (cue_set.watch, cue_set.interrupt) == ("a number", False)
    number = user_word(log, "seventeen")
    (fired,) = of_kind(log, CueFired)
    assert (fired.t, fired.cause, fired.matched) == (number.t, number.seq, "seventeen")
    (interjection,) = [
        event for event in of_kind(log, AgentSpeechStarted) if event.purpose is SpeechPurpose.INTERJECTION
    ]
    assert interjection.t == number.t == 5.6
    done = ended(log, interjection.utterance)
    assert done.reason is EndReason.COMPLETED  # "apples and then" over it did not stop it
    assert done.delivered == "Number: seventeen."
    assert any(speaking_user(log, word.t) for word in words_of(log, interjection.utterance))


async def test_a_wrong_sum_is_corrected_while_the_user_talks(clock: VirtualClock) -> None:
    steps = [
        *spoken("stop me if I get a fact wrong", 1.0),
        *spoken("so seven plus five is thirteen and that is that", 6.0),
        *end(14.0),
    ]
    log = await run(clock, steps)
    claim = user_word(log, "thirteen")
    (fired,) = of_kind(log, CueFired)
    assert (fired.t, fired.matched) == (claim.t, "seven plus five is thirteen")
    (interjection,) = [
        event for event in of_kind(log, AgentSpeechStarted) if event.purpose is SpeechPurpose.INTERJECTION
    ]
    assert interjection.t == 7.5
    assert ended(log, interjection.utterance).delivered == "Wait, 7 plus 5 is 12."


async def test_stop_watching_clears_the_cues(clock: VirtualClock) -> None:
    steps = [
        *spoken("tell me when I mention a number", 1.0),
        *spoken("stop watching", 5.0),
        *spoken("I bought seventeen apples", 8.0),
        *end(14.0),
    ]
    log = await run(clock, steps)
    assert of_kind(log, CueFired) == []


# --- live modes -----------------------------------------------------------------------------------------

TRANSLATE = spoken("translate into Spanish as I speak", 1.0)  # the acknowledgement runs 2.9 .. 6.5 s


async def test_live_translation_is_spoken_while_the_user_talks(clock: VirtualClock) -> None:
    log = await run(clock, [*TRANSLATE, *spoken("hello my friend the cat is big", 6.5), *end(16.0)])
    replies = [event for event in of_kind(log, AgentSpeechStarted) if event.purpose is SpeechPurpose.REPLY]
    assert replies
    agent_words = [word for event in replies for word in words_of(log, event.utterance)]
    assert [word.word for word in agent_words][:3] == ["hola", "mi", "amigo"]
    assert any(speaking_user(log, word.t) for word in agent_words)  # said over the user, on purpose
    assert agent_words[0].t < user_word(log, "big").t
    assert all(ended(log, event.utterance).reason is EndReason.COMPLETED for event in replies)
    assert any(overlap.started >= 6.5 for overlap in of_kind(log, Overlap))


async def test_live_phrases_are_three_words_unless_the_user_pauses(clock: VirtualClock) -> None:
    steps = [*TRANSLATE, *spoken("hello my friend the cat is big", 6.5), *end(16.0)]
    log = await run(clock, steps)
    # The first phrase opens the translation. The words run on without a gap: a word boundary that
    # happens to fall on a tick is not a pause.
    first = next(event for event in of_kind(log, AgentSpeechStarted) if event.purpose is SpeechPurpose.REPLY)
    assert first.reply_to == "hello my friend"


async def test_repeat_after_me_repeats_and_stops_on_request(clock: VirtualClock) -> None:
    steps = [
        *spoken("repeat after me", 1.0),
        *spoken("the quick brown fox", 5.0),
        *spoken("stop repeating", 9.0),
        *spoken("thanks", 13.0),
        *end(18.0),
    ]
    log = await run(clock, steps)
    spoken_words = [word.word for word in of_kind(log, AgentWord)]
    text = " ".join(spoken_words)
    assert "the quick brown fox" in text
    assert "Okay, I've stopped." in text
    assert text.endswith("You're welcome.")  # after stopping, the model answers again


# --- weaving --------------------------------------------------------------------------------------------


async def test_a_result_arriving_while_the_user_talks_is_said_after_a_pause(clock: VirtualClock) -> None:
    steps = [
        (0.5, JobRequested(job="j1", task="find flights to Lisbon")),
        *spoken("so I was thinking we could go to", 1.0),  # ends at 3.4 s, unfinished
        (2.0, JobResult(job="j1", text="There are three flights.")),
        *spoken("the seaside", 4.0),  # a 0.6 s pause, then the turn goes on; it ends at 4.6 s
        *end(20.0),
    ]
    log = await run(clock, steps)
    (woven,) = of_kind(log, ResultWoven)
    assert woven.job == "j1"
    assert woven.t >= 4.6 + 0.6 - 1e-9
    (announce,) = [event for event in of_kind(log, AgentSpeechStarted) if event.t == woven.t and not event.reply_to]
    done = ended(log, announce.utterance)
    assert done.reason is EndReason.COMPLETED
    assert done.delivered == "About find flights to Lisbon: There are three flights."
    (reply,) = [event for event in of_kind(log, AgentSpeechStarted) if event.reply_to]
    assert reply.reply_to == "so I was thinking we could go to the seaside"
    assert reply.t < woven.t  # the user's own words are answered first
    assert not any(speaking_user(log, word.t) for word in of_kind(log, AgentWord))


async def test_a_result_the_user_cancelled_while_it_was_waiting_is_dropped(clock: VirtualClock) -> None:
    steps = [
        (0.5, JobRequested(job="j1", task="find flights to Lisbon")),
        *spoken("oh never mind the flights", 1.0),
        (1.5, JobResult(job="j1", text="There are three flights.")),  # arrives mid-sentence
        *end(12.0),
    ]
    log = await run(clock, steps)
    assert of_kind(log, ResultWoven) == []
    (dropped,) = of_kind(log, ResultDropped)
    assert (dropped.job, dropped.reason) == ("j1", "the user cancelled the request")
    assert "Lisbon" not in " ".join(word.word for word in of_kind(log, AgentWord))


async def test_a_result_after_a_cancelling_turn_is_dropped(clock: VirtualClock) -> None:
    steps = [
        (0.5, JobRequested(job="j1", task="find flights to Lisbon")),
        *spoken("oh never mind the flights", 1.0),
        (6.0, JobResult(job="j1", text="There are three flights.")),
        *end(12.0),
    ]
    log = await run(clock, steps)
    assert of_kind(log, ResultWoven) == []
    (dropped,) = of_kind(log, ResultDropped)
    assert (dropped.job, dropped.reason, dropped.t) == ("j1", "the user cancelled the request", 6.0)


async def test_a_revised_request_is_delegated_again(clock: VirtualClock) -> None:
    steps = [
        (0.5, JobRequested(job="j1", task="find flights to Lisbon")),
        *spoken("actually make it Porto", 1.0),
        (6.0, JobResult(job="j1", text="There are three flights.")),
        *end(12.0),
    ]
    log = await run(clock, steps)
    requests = of_kind(log, JobRequested)
    assert [request.task for request in requests] == [
        "find flights to Lisbon",
        "find flights to Lisbon (revised by the user: actually make it Porto)",
    ]
    assert requests[1].job.startswith("bg-")
    assert [event.reason for event in of_kind(log, ResultDropped)] == [
        "the user revised the request: actually make it Porto"
    ]


# --- options --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "option",
    [
        "complete_silence",
        "incomplete_silence",
        "max_incomplete_silence",
        "typed_silence",
        "backchannel_after",
        "backchannel_pause",
        "backchannel_gap",
        "weave_pause",
    ],
)
def test_a_negative_time_is_a_config_error(option: str) -> None:
    options: dict[str, Any] = {option: -0.5}
    with pytest.raises(ConfigError, match=option):
        FullDuplexPolicy(**options)


@pytest.mark.parametrize("option", ["live_chunk_words", "summary_words"])
def test_counts_below_one_are_a_config_error(option: str) -> None:
    options: dict[str, Any] = {option: 0}
    with pytest.raises(ConfigError, match=option):
        FullDuplexPolicy(**options)


def test_zero_times_are_allowed() -> None:
    policy = FullDuplexPolicy(complete_silence=0.0, weave_pause=0.0, backchannel_pause=0.0)
    assert policy.options["complete_silence"] == 0.0


def test_options_by_name_are_checked_too() -> None:
    with pytest.raises(ConfigError, match="weave_pause"):
        make_policy("full-duplex", {"weave_pause": -1.0})
    with pytest.raises(ConfigError, match="full-duplex"):
        make_policy("full-duplex", {"no_such_option": 1})
