"""The corrections feature on its own: the monitor's confident findings, said at the user's next breath."""

from __future__ import annotations

from microturn._core._actions import Reply, Say
from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    ApprovalDecided,
    ApprovalRequested,
    ClaimFlagged,
    EndReason,
    SpeechPurpose,
)
from microturn._core._floor import FloorState
from microturn._policies._full_duplex._monitor import Corrections

WALL = "The Great Wall isn't visible from space."


def finding(
    *, at: float = 2.0, said_at: float = 1.8, confidence: float = 0.9, correction: str = WALL, claim: str = "wall"
) -> ClaimFlagged:
    return ClaimFlagged(
        claim=claim, problem="false-premise", correction=correction, confidence=confidence, said_at=said_at, t=at
    )


def pausing(
    now: float, *, last_word_end: float = 1.9, text: str = "since the great wall is visible from space and"
) -> FloorState:
    """The user's state ``now``: their words so far, the last of them ending at ``last_word_end``."""
    return FloorState(now=now, user_active_until=last_word_end, last_user_input=last_word_end - 0.3, user_text=text)


def test_nothing_found_is_nothing_done() -> None:
    corrections = Corrections()
    state = pausing(5.0)
    assert corrections.moments(state) == []
    assert corrections.interject(state) == []
    assert corrections.reply(state) == [Reply()]


def test_a_confident_finding_is_said_at_the_next_pause_as_an_interjection() -> None:
    corrections = Corrections(pause=0.3)
    assert corrections.react(pausing(2.0), finding(at=2.0)) == []
    assert corrections.moments(pausing(2.0)) == [2.2]  # the user's last word ends at 1.9, plus the pause
    assert corrections.interject(pausing(2.1)) == []  # not yet a breath
    assert corrections.interject(pausing(2.2)) == [Say(WALL, SpeechPurpose.INTERJECTION)]
    assert corrections.interject(pausing(2.5)) == []  # once
    assert corrections.moments(pausing(2.5)) == []


def test_an_unsure_finding_is_not_said() -> None:
    corrections = Corrections(confidence=0.8)
    corrections.react(pausing(2.0), finding(confidence=0.79))
    assert corrections.moments(pausing(2.0)) == []
    assert corrections.interject(pausing(3.0)) == []


def test_not_while_anyone_talks_nor_in_the_middle_of_a_typed_word() -> None:
    corrections = Corrections()
    corrections.react(pausing(2.0), finding())
    talking = pausing(3.0)
    talking.user_speaking = True
    assert corrections.interject(talking) == []
    agent = pausing(3.0)
    agent.agent_utterance = 4
    assert corrections.interject(agent) == []
    typing = pausing(3.0, text="since the great wall is visib")
    typing.user_typing = True
    assert corrections.interject(typing) == []
    typing.user_text += "le "
    assert corrections.interject(typing) == [Say(WALL, SpeechPurpose.INTERJECTION)]


def test_each_claim_once_and_no_more_often_than_the_gap() -> None:
    corrections = Corrections(gap=10.0)
    corrections.react(pausing(2.0), finding())
    corrections.react(pausing(2.0), finding(claim="other words"))  # the same correction: said once
    corrections.react(pausing(2.0), finding(correction="Once more, no."))  # the same claim: said once
    assert corrections.interject(pausing(2.5)) == [Say(WALL, SpeechPurpose.INTERJECTION)]
    corrections.react(pausing(3.0), finding(at=3.0, said_at=2.9, claim="paris", correction="Paris is in France."))
    assert corrections.moments(pausing(3.0)) == [12.5]
    assert corrections.interject(pausing(12.4, last_word_end=12.0)) == []
    assert corrections.interject(pausing(12.5, last_word_end=12.0)) == [
        Say("Paris is in France.", SpeechPurpose.INTERJECTION)
    ]


def test_never_while_an_approval_question_is_open() -> None:
    corrections = Corrections()
    corrections.react(pausing(1.0), ApprovalRequested(call="call-1", tool="delete_files", t=1.0))
    corrections.react(pausing(2.0), finding())
    assert corrections.moments(pausing(2.0)) == []
    assert corrections.interject(pausing(3.0)) == []
    assert corrections.reply(pausing(3.0)) == [Reply()]
    corrections.react(pausing(3.0), ApprovalDecided(call="call-1", granted=False, t=3.0))
    assert corrections.interject(pausing(3.1)) == [Say(WALL, SpeechPurpose.INTERJECTION)]


def test_at_the_end_of_the_turn_the_correction_opens_the_reply() -> None:
    corrections = Corrections()
    corrections.react(pausing(2.0), finding())
    go_on = "Answer the user, going on from the correction just said: " + WALL
    assert corrections.reply(pausing(2.0)) == [
        Say(WALL + " ", SpeechPurpose.REPLY),
        Reply(instruction=go_on, append=True),
    ]
    assert corrections.reply(pausing(2.5)) == [Reply()]
    corrections.react(pausing(3.0), finding(at=3.0, said_at=2.9, claim="paris", correction="Paris is in France."))
    assert corrections.reply(pausing(3.0)) == [Reply()]  # a second one so soon waits until after the answer


def test_a_finding_for_an_answered_turn_is_said_after_the_answer_unless_the_user_went_on() -> None:
    corrections = Corrections()
    corrections.react(pausing(2.0), AgentSpeechStarted(utterance=3, t=2.0))  # the reply to the claim's turn
    corrections.react(pausing(2.2), finding(at=2.2, said_at=1.8))
    replying = pausing(2.5, text="")
    replying.agent_utterance = 3
    assert corrections.interject(replying) == []
    after = pausing(6.0, text="")
    assert corrections.interject(after) == [Say(WALL, SpeechPurpose.ANNOUNCE)]  # news now: the user may stop it

    stale = Corrections()
    stale.react(pausing(2.0), AgentSpeechStarted(utterance=3, t=2.0))
    stale.react(pausing(2.2), finding(at=2.2, said_at=1.8))
    went_on = FloorState(now=6.0, user_active_until=5.5, last_user_input=5.2, user_text="anyway what about")
    ended = AgentSpeechEnded(utterance=3, reason=EndReason.COMPLETED, delivered="It's long.", t=4.0)
    stale.react(went_on, ended)
    assert stale.interject(went_on) == []  # a new turn since the answer: stale, dropped
    assert stale.moments(went_on) == []


def test_a_finding_that_waited_too_long_is_dropped() -> None:
    corrections = Corrections(stale_after=15.0)
    corrections.react(pausing(2.0), finding(at=2.0))
    held = pausing(17.5)
    held.agent_utterance = 1  # the agent talked all the while
    assert corrections.interject(held) == []
    assert corrections.interject(pausing(17.5)) == []


def test_a_reply_the_user_cut_off_going_on_did_not_end_their_turn() -> None:
    corrections = Corrections()
    corrections.react(pausing(3.5), AgentSpeechStarted(utterance=2, t=3.5))  # a reply in a mid-turn pause
    corrections.react(pausing(3.9), finding(at=3.9, said_at=3.1))
    corrections.react(pausing(4.2), AgentSpeechEnded(utterance=2, reason=EndReason.INTERRUPTED, delivered="You", t=4.2))
    going_on = FloorState(now=7.3, user_active_until=7.0, last_user_input=6.7, user_text="how long would it take")
    assert corrections.interject(going_on) == [Say(WALL, SpeechPurpose.INTERJECTION)]  # still their turn
