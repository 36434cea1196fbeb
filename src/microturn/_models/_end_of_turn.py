"""End of turn from a local model's next-token distribution: is the user's line over after their words so far?

The session's transcript puts each speaker's words on a line of their own, so what the model expects after the
user's latest word says whether they have finished: a line break (the idea of LiveKit's text turn detector, read
from our own transcript format), or rather a comma, an "and", a full stop. ``line_end_probability`` reads the
whole distribution through a small head fitted on the training set (``_end_of_turn_head.py``), P(line break)
among its features. The embedded model reads it on the same llama.cpp context and KV cache that ``prefill``
keeps: only the tokens the cache lacks are decoded, and llama.cpp computes logits for the last of them, the
user's latest word. A prefill or reply after it reuses everything up to that word. Measured on the development
set's pauses in docs/models.md (``bench/end_of_turn.py``). The session reads it whenever the user's words change
and records it for the policy (``_session/_anticipation.py``; the protocol is ``EndOfTurnReading``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from microturn._models._end_of_turn_head import features, shipped_head, vocabulary
from microturn.errors import ModelError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["end_of_turn_features", "line_end_probability", "next_token_logits"]


def next_token_logits(llama: Any, prompt: str) -> npt.NDArray[np.float32]:
    """The logits of the token after ``prompt``, decoding only what ``llama``'s cache lacks.

    The prompt is tokenized as ``create_completion`` does (so its prefix is shared with prefills and
    replies); what is cached of it is kept and the rest decoded in one ``eval``. When all of it is
    cached, its last token is decoded again, since llama.cpp keeps the logits of the last decode only.
    Those logits are read in place (``llama_get_logits_ith``: ``Llama.scores`` is not filled without
    ``logits_all``): a view, valid until the next decode on the context.
    """
    import llama_cpp
    import numpy as np

    tokens = llama.tokenize(prompt.encode(), add_bos=True, special=True)
    if len(tokens) >= llama.n_ctx():
        raise ModelError(
            f"the end-of-turn prompt has {len(tokens)} tokens, more than the {llama.n_ctx()}-token context",
            transient=False,
        )
    cached = llama.input_ids[: min(llama.n_tokens, len(tokens) - 1)]
    mismatch = np.flatnonzero(cached != np.asarray(tokens[: len(cached)]))
    llama.n_tokens = int(mismatch[0]) if len(mismatch) else len(cached)  # eval drops the cache past this
    llama.eval(tokens[llama.n_tokens :])
    logits: npt.NDArray[np.float32] = np.ctypeslib.as_array(
        llama_cpp.llama_get_logits_ith(llama.ctx, -1), shape=(llama.n_vocab(),)
    )
    return logits


def end_of_turn_features(llama: Any, prompt: str) -> npt.NDArray[np.float64]:
    """What the head reads of the distribution after ``prompt`` (``_end_of_turn_head.features``)."""
    return features(next_token_logits(llama, prompt), vocabulary(llama))


def line_end_probability(llama: Any, prompt: str) -> float:
    """P(the user's line is over after ``prompt``): the shipped head over ``end_of_turn_features``."""
    return shipped_head().probability(end_of_turn_features(llama, prompt))
