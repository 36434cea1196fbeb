"""Speech over the agent by rule: only listed backchannels and noise tags are not a barge-in.

Words that are all in ``BACKCHANNELS`` ("mm-hm", "yeah right") are a backchannel, ``[noise]`` tags alone are
noise, and anything else takes the turn. The rules know no reactions and no side talk (input marked as not
addressed to the agent never reaches them), and they read the words alone, whoever is speaking and however.
"""

from __future__ import annotations

from microturn._core._language import is_backchannel, is_noise, words
from microturn._policies._full_duplex._decisions._interfaces import OverlapContext, OverlapKind

__all__ = ["RulesOverlap"]


class RulesOverlap:
    def classify(self, text: str, context: OverlapContext) -> OverlapKind:
        if not is_backchannel(text):
            return OverlapKind.BARGE_IN
        if "[" in text and all(is_noise(token) for token in words(text) if token not in {",", ".", "!", "?"}):
            return OverlapKind.NOISE  # (no tag, no noise: the words are not read twice for every "mm-hm")
        return OverlapKind.BACKCHANNEL
