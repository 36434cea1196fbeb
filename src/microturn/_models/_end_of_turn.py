"""End of turn from a local model's next-token probabilities: is the user's line over after their words so far?

The session's transcript puts each speaker's words on a line of their own, so the probability that the
next token after the user's latest word starts a new line is the model's estimate that the user has
finished (the idea of LiveKit's text turn detector, read from our own transcript format). The embedded
model reads it on the same llama.cpp context and KV cache that ``prefill`` keeps: only the tokens the
cache lacks are decoded, and llama.cpp computes logits for the last of them, the user's latest word. A
prefill or reply after it reuses everything up to that word. Measured on the development set's pauses
in docs/models.md (``bench/end_of_turn.py``). The session reads it whenever the user's words change and
records it for the policy (``_session/_anticipation.py``; the protocol is ``EndOfTurnReading``).
"""

from __future__ import annotations

from typing import Any

from microturn.errors import ModelError

__all__ = ["line_end_probability", "newline_ids"]

_RUNS = 32
"""The longest run of line breaks Gemma's vocabulary has as one token ("\\n" is 107, "\\n\\n" 108, ...)."""


def newline_ids(llama: Any) -> tuple[int, ...]:
    """The tokens that start a new line: runs of 1 to ``_RUNS`` line breaks, each one token.

    Asked of the tokenizer, not ``llama.token_nl()``: that is Gemma's byte-fallback newline (248), a
    token its tokenizer never produces for "\\n" (107).
    """
    runs = (llama.tokenize(b"\n" * n, add_bos=False, special=False) for n in range(1, _RUNS + 1))
    return tuple(sorted({run[0] for run in runs if len(run) == 1}))


def line_end_probability(llama: Any, prompt: str, newlines: tuple[int, ...]) -> float:
    """P(the next token after ``prompt`` is one of ``newlines``), decoding only what ``llama``'s cache lacks.

    The prompt is tokenized as ``create_completion`` does (so its prefix is shared with prefills and
    replies); what is cached of it is kept and the rest decoded in one ``eval``. When all of it is
    cached, its last token is decoded again, since llama.cpp keeps the logits of the last decode only.
    Those logits are read in place (``llama_get_logits_ith``: ``Llama.scores`` is not filled without
    ``logits_all``), and the softmax taken over the whole vocabulary.
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
    logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llama.ctx, -1), shape=(llama.n_vocab(),))
    weights = np.exp(logits - logits.max())
    return float(weights[list(newlines)].sum() / weights.sum())
