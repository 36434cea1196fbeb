"""Speech over the agent, read by two heads: one on the whole of it, one on its first words as they come.

* The whole (``overlap.npz``): backchannel, reaction, side talk, noise or barge-in. A missed barge-in costs more
  than a stopped backchannel (the user must fight to be heard), so it is a barge-in from ``BARGE_IN``, well
  below an even chance. Words that answer the agent's question ("yes", "sure" after "…, shall I?") take the
  turn whatever they sound like.
* The first words (``overlap-so-far.npz``: what the whole turned out to be, from its first one to four words):
  the agent stops at once only when they already all but surely are a barge-in (``STOP``). Before that it holds
  (goes quiet, the utterance open) at the first spoken word, whatever the word (``may_take_turn``): an
  acknowledgement's first word is often a barge-in's too ("okay", "yeah", "right" before "but…" or "so…"), and a
  barge-in held only at its second word is heard talked over for a word. The whole then decides when the user
  pauses (``_holding.py``): an acknowledgement is released and the agent goes on from its next word, as when
  production agents resume a false interruption (LiveKit's ``resume_false_interruption``), and as the voice
  path does at the first sound.

Bracketed tags alone ("[cough]") are noise without asking a head, and never hold. The thresholds were chosen by
5-fold cross-validation on the training examples (``bench/decisions_cross_validation.py``): ``BARGE_IN`` so that
98% of barge-ins read as one; ``STOP`` so that the first words stop half of the barge-ins before they end and
3% of backchannels and reactions (at once, rather than at the pause after them: every spoken word is held already,
so the user hears no difference, but the held agent's turn is over only when it is stopped, and a reply waits
for that). Held at every word, then stopped or released, out of fold: 98% of barge-ins stopped from their first
word, 82% of backchannels and reactions talked through.
"""

from __future__ import annotations

from collections.abc import Sequence

from microturn._core._language import is_noise
from microturn._policies._full_duplex._decisions._interfaces import OverlapContext, OverlapKind
from microturn._policies._full_duplex._decisions._learned._features import features, plain
from microturn._policies._full_duplex._decisions._learned._heads import OVERLAP, OVERLAP_SO_FAR, head
from microturn._sentences import Head

__all__ = ["BARGE_IN", "STOP", "LearnedOverlap"]

BARGE_IN = 0.07
"""The least probability that the whole is a barge-in for it to be one."""
STOP = 0.9
"""The least probability that words still coming are a barge-in for the agent to stop before they end."""
_LISTENING = frozenset({OverlapKind.BACKCHANNEL, OverlapKind.REACTION})
_KINDS = {
    "backchannel": OverlapKind.BACKCHANNEL,
    "reaction": OverlapKind.REACTION,
    "side": OverlapKind.SIDE,
    "noise": OverlapKind.NOISE,
    "barge_in": OverlapKind.BARGE_IN,
}


class LearnedOverlap:
    """The shipped heads unless given others (``bench/decisions_cross_validation.py``: held-out ones)."""

    def __init__(self, whole: Head | None = None, so_far: Head | None = None) -> None:
        self._whole = whole or head(OVERLAP)
        self._so_far = so_far or head(OVERLAP_SO_FAR)

    def classify(self, text: str, context: OverlapContext) -> OverlapKind:
        spoken = _spoken(text)
        if spoken is None:
            return OverlapKind.NOISE
        if not context.complete:
            chances = self._so_far.probabilities(features(spoken))
            return OverlapKind.BARGE_IN if chances["barge_in"] >= STOP else _likeliest(chances)
        chances = self._whole.probabilities(features(spoken))
        if chances["barge_in"] >= BARGE_IN:
            return OverlapKind.BARGE_IN
        kind = _likeliest(chances)
        return OverlapKind.BARGE_IN if kind in _LISTENING and _asked(context.agent_words) else kind

    def may_take_turn(self, text: str, context: OverlapContext) -> bool:
        """The words so far, still coming, may turn out to take the turn: any spoken word may (noise tags do not).
        Hold the agent until they end; ``classify`` of the whole then stops or releases it."""
        return _spoken(text) is not None


def _spoken(text: str) -> str | None:
    """The words of ``text`` as heard (``plain``); None when there are none but noise tags."""
    heard = plain(text)
    return None if all(is_noise(token) for token in heard.split()) else heard


def _likeliest(chances: dict[str, float]) -> OverlapKind:
    """The likeliest kind that is not a barge-in."""
    return _KINDS[max((label for label in chances if label != "barge_in"), key=chances.__getitem__)]


def _asked(agent_words: Sequence[str]) -> bool:
    """The agent's words so far end in a question: what follows answers it."""
    return bool(agent_words) and agent_words[-1].rstrip("\"')").endswith("?")
