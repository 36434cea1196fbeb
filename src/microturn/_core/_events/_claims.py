"""What the claim monitor found in the user's words while they talked: a claim worth correcting."""

from __future__ import annotations

from microturn._core._events._event import Event

__all__ = ["ClaimFlagged"]


class ClaimFlagged(Event, frozen=True):
    """The monitor in the background lane judged the user's words ``claim`` mistaken, and how to say so.

    ``problem`` is what is wrong: ``"wrong-fact"`` (a false statement), ``"false-premise"`` (a question or
    plan built on one: "since the Great Wall is visible from space, ...") or ``"contradiction"`` (a plan
    at odds with something said earlier in the conversation). ``correction`` is one short sentence for the
    agent to say; ``confidence`` the monitor's, from 0 to 1: the policy says it only above its threshold,
    at the user's next pause, once. ``said_at`` is the session time of the last input the check covered, so
    the policy can tell whether the user is still in that turn. It is outside input, like a job's result:
    recorded as it came, so a replay decides with the same finding and asks no model.
    """

    claim: str
    problem: str
    correction: str
    confidence: float
    said_at: float
