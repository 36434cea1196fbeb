"""The learned decisions (``FullDuplexPolicy(decisions="learned")``): heads fitted on labelled examples, read
over sentence embeddings (``microturn._sentences``: all-MiniLM-L6-v2, offline, on the CPU).

* :class:`LearnedTurnEnd` (``_turn_end.py``): how likely the user's turn is over, and the wait that follows;
* :class:`LearnedOverlap` (``_overlap.py``): what speech over the agent is, whole and as its words come;
* :class:`LearnedIntent` (``_intent.py``): what a turn asks for, its slots (``_slots.py``) and negation
  (``_negation.py``), and the answer to an approval (``_approval.py``), failing closed;
* :class:`LearnedMember` (``_member.py``): whether a word is one of the kind of thing a cue listens for.

The heads are ``.npz`` files beside this code, written by ``_fit.py`` from ``eval/trainset`` and the
development set's ``-train`` cases; ``microturn devset --decisions learned`` measures them on the ``-dev`` cases.
"""

from __future__ import annotations

from microturn._policies._full_duplex._decisions._interfaces import Waits
from microturn._policies._full_duplex._decisions._learned._intent import LearnedIntent
from microturn._policies._full_duplex._decisions._learned._member import LearnedMember
from microturn._policies._full_duplex._decisions._learned._overlap import LearnedOverlap
from microturn._policies._full_duplex._decisions._learned._turn_end import LearnedTurnEnd
from microturn._policies._full_duplex._decisions._registry import Decisions
from microturn._sentences import sentence_encoder

__all__ = ["LearnedIntent", "LearnedMember", "LearnedOverlap", "LearnedTurnEnd", "learned_decisions"]


def learned_decisions(waits: Waits) -> Decisions:
    """The learned decisions, with their model and heads loaded now: a missing one is a ConfigError here, when
    the policy is built, not in the middle of a conversation."""
    sentence_encoder()
    intent = LearnedIntent()
    return Decisions(
        turn_end=LearnedTurnEnd(waits, intent), overlap=LearnedOverlap(), intent=intent, member=LearnedMember()
    )
