"""What the agent says when a part of it fails: plain words, at most once per user turn, never a storm.

A model that always raises, a synthesizer that fails on every clause, a voice detector that fails on
every frame: each failure is recorded, but the user hears about it at most once per turn (the floor's
count of user turns: what the user says after their words were taken up opens a new one).

* A failed reply (or lost words: speech no recogniser could read) is said in the turn it happens,
  every turn: the user is waiting for an answer, or must say it again.
* A broken voice (synthesis) or voice detector is said once: the user knows it from then on, and
  telling them again at every turn would only delay the answers.
* What the user cannot notice (a prefill or a speculative reply that was never heard) is recorded and
  not said; a tool's failure reaches the user through its error result, a background job's through
  JobFailed.
"""

from __future__ import annotations

from microturn._core._events import ComponentFailed

__all__ = ["MODEL_CUT_SHORT", "MODEL_FAILED", "Apologies"]

MODEL_FAILED = "Sorry, my language model failed just now, so I have no answer to that. Try again, or rephrase."
MODEL_CUT_SHORT = " Sorry, my language model failed just now, so that answer is cut short. Try again, or rephrase."

_LOST_WORDS = "Sorry, I didn't catch that: my speech recognition failed. Could you say it again?"
_ONCE: dict[str, str] = {
    "tts": "Sorry, my voice is not working right now, so my answers come as text only.",
    "vad": "Sorry, I can't hear you properly right now: my voice detection failed. You can type instead.",
}


class Apologies:
    def __init__(self) -> None:
        self._turn = 0
        self._said: set[str] = set()  # what was apologised for in this turn
        self._told: set[str] = set()  # the components the user has been told are broken

    def for_model(self, turn: int, *, delivered: bool) -> str | None:
        """What a reply whose model failed says instead, or after what it had said; None if said this turn."""
        if not self._first("model", turn):
            return None
        return MODEL_CUT_SHORT if delivered else MODEL_FAILED

    def for_event(self, event: ComponentFailed, turn: int, *, heard: bool) -> str | None:
        """What the agent says about a recorded failure (of a speech engine), if anything.

        Speech recognition failing is said only when the user's words are lost: the final run failed
        and there are no rough words (``heard``) to stand in for its text.
        """
        if event.component == "stt":
            lost = event.name == "final" and not heard
            return _LOST_WORDS if lost and self._first("stt", turn) else None
        said = _ONCE.get(event.component)
        if said is None or event.component in self._told:
            return None
        self._told.add(event.component)
        return said

    def _first(self, what: str, turn: int) -> bool:
        if turn != self._turn:
            self._turn, self._said = turn, set()
        if what in self._said:
            return False
        self._said.add(what)
        return True
