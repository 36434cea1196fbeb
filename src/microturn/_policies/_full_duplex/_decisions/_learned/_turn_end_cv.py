"""What a turn-end fit would do on the training examples it did not see: the pauses it talks into, the real ends it
answers at once, the stories it listens to. ``_turn_end_fit.py`` chooses its cost of delay by it, and
``bench/decisions_cross_validation.py turn-end`` prints it.

Each example has an out-of-fold probability (``_turn_end_fit.out_of_fold``); the policy's timing is then played
back on paper, as the development set's harness plays it in a session (words at 0.3 s, stamped at their onset),
the longest wait allowed growing with the speaker's pauses earlier in the turn (``TurnEndExample.earlier``):

* a spoken **mid-turn pause** of ``L`` seconds is talked into when the wait is shorter (a reply starts in it), or
  when a backchannel fits it (``Backchannels``: ``BACKCHANNEL_AFTER`` seconds of speech in the turn, a pause of
  ``BACKCHANNEL_PAUSE`` that the wait outlasts, and the judge's ``backchannel``): a backchannel is speech too;
* a spoken **real end** is answered at once when the wait is within ``FAST``;
* a **story** is listened to when no pause before its last sentence is talked into by a reply and at least one
  gets a backchannel (at most one every ``BACKCHANNEL_GAP`` seconds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from microturn._core._language import Shape, shape
from microturn._policies._full_duplex._decisions._interfaces import Waits
from microturn._policies._full_duplex._decisions._learned._turn_end import BACKCHANNEL_BELOW, TurnEndFit, Waiting
from microturn._policies._full_duplex._decisions._rules_turn_end import incomplete_wait

if TYPE_CHECKING:
    from microturn._policies._full_duplex._decisions._learned._turn_end_fit import TurnEndExample

__all__ = ["DEFAULT_WAITS", "FAST", "SHORTEST_PAUSE", "Outcome", "outcome"]

FAST = 0.3
"""Issue 13: the median reply after a real end within 300 ms."""
DEFAULT_WAITS = Waits(complete=0.1, incomplete=1.8, max_incomplete=4.0, typed=5.0)
"""``FullDuplexPolicy``'s default silences, which the waits are chosen for."""
WORD = 0.3
"""Seconds per spoken word, as the development set's harness says them."""
BACKCHANNEL_AFTER, BACKCHANNEL_PAUSE, BACKCHANNEL_GAP = 4.0, 0.5, 5.0
"""``FullDuplexPolicy``'s backchannel defaults: speech in the turn before one, the pause it comes at, between two."""
SHORTEST_PAUSE = 0.3
"""A silence shorter than this is no pause the wait learns from (``_end_of_turn.py``)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """A cost of delay played back on the examples, out of fold."""

    delay_cost: float
    fast: float
    """The share of spoken real ends (a pause case's) answered within ``FAST``."""
    any_speech: float
    """The share of spoken mid-turn pauses (a pause case's) with any agent speech: a reply or a backchannel."""
    backchannelled: float
    """The share of those pauses with a backchannel (and no reply)."""
    listened: float
    """The share of stories with a backchannel and no reply before their last sentence."""
    story_replies: float
    """The share of stories replied to before their last sentence."""


def outcome(fit: TurnEndFit, cost: float, found: Sequence[TurnEndExample], probabilities: Sequence[float]) -> Outcome:
    """``fit`` with the delay cost ``cost``, played back on ``found`` with their (out-of-fold) ``probabilities``."""
    waiting = Waiting(DEFAULT_WAITS.complete, fit)
    ends: list[bool] = []
    pauses: list[tuple[bool, bool]] = []  # (any speech, a backchannel)
    stories: dict[str, list[tuple[TurnEndExample, float]]] = {}
    for example, p in zip(found, probabilities, strict=True):
        if example.typed:
            continue
        if not example.case.startswith("pause"):
            stories.setdefault(example.case, []).append((example, p))
            continue
        wait = waiting.wait(p, incomplete_wait(DEFAULT_WAITS, example.earlier), cost)
        if example.end:
            ends.append(wait <= FAST + 1e-9)
        elif example.pause is not None:
            backchannel = _backchannel(example, p, wait, example.pause, speech=len(example.text.split()) * WORD)
            pauses.append((wait < example.pause or backchannel, backchannel and wait >= example.pause))
    told = [_story(cuts, waiting, cost) for cuts in stories.values()]
    return Outcome(
        delay_cost=cost,
        fast=_share(ends),
        any_speech=_share([spoke for spoke, _ in pauses]),
        backchannelled=_share([backchannel for _, backchannel in pauses]),
        listened=_share([backchannels > 0 and not replied for replied, backchannels in told]),
        story_replies=_share([replied for replied, _ in told]),
    )


def _story(cuts: list[tuple[TurnEndExample, float]], waiting: Waiting, cost: float) -> tuple[bool, int]:
    """Was a story replied to before its last sentence, and how many backchannels did it get?"""
    replied, backchannels, last, speech, now = False, 0, float("-inf"), 0.0, 0.0
    for example, p in cuts:
        if example.pause is None:
            break
        said = len(example.text[example.stretch_start :].split()) * WORD
        speech, now = speech + said, now + said
        wait = waiting.wait(p, incomplete_wait(DEFAULT_WAITS, example.earlier), cost)
        if wait < example.pause:
            replied = True
        elif _backchannel(example, p, wait, example.pause, speech=speech) and now - last >= BACKCHANNEL_GAP:
            backchannels += 1
            last = now
        now += example.pause
    return replied, backchannels


def _backchannel(example: TurnEndExample, p: float, wait: float, pause: float, *, speech: float) -> bool:
    """Does a backchannel come in this pause (``LearnedTurnEnd``'s ``backchannel`` and ``Backchannels``' timing)?"""
    listener = shape(example.text) is Shape.INCOMPLETE or example.stretch_start > 0
    return (
        listener
        and p < BACKCHANNEL_BELOW
        and speech + 1e-9 >= BACKCHANNEL_AFTER
        and pause > BACKCHANNEL_PAUSE
        and wait > BACKCHANNEL_PAUSE
    )


def _share(values: Sequence[bool]) -> float:
    return round(sum(values) / len(values), 3) if values else 0.0
