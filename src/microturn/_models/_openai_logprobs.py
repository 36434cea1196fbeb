"""End of turn from an OpenAI-compatible server's log-probabilities: is the user's line over after their words?

The same reading as the embedded model's (``_end_of_turn.py``), over HTTP: the server completes a raw
prompt (``/v1/completions``) that is the embedded model's transcript prompt up to the user's last word, for
one token, and returns the log-probabilities of the likeliest next tokens (``logprobs``). The probability
that the line ends there is the mass of the tokens that start a new line, or that end the turn in a chat
template's terms (``<end_of_turn>``, ``<|im_end|>``, ...). Only the top ``TOP_LOGPROBS`` tokens come
back, so it is a lower bound: a line break outside them is unlikely anyway.

Servers differ: vLLM, llama.cpp's server and llama-cpp-python's (started with ``--logits_all True``)
return log-probabilities; OpenAI's chat models have no ``/v1/completions``; llama-cpp-python without
``logits_all`` refuses with HTTP 500. The model asks once and remembers what the server said; a server that
answers too late, again and again, is not asked any more either.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openai.types import Completion

__all__ = ["BUSY", "END_OF_TURN_TIMEOUT", "TOO_SLOW", "TOP_LOGPROBS", "line_end_probability"]

TOP_LOGPROBS = 20
"""How many of the likeliest next tokens to ask for: the most vLLM gives by default (OpenAI's legacy API: 5)."""
END_OF_TURN_TIMEOUT = 1.0
"""Seconds a reading may take, waiting for the model included: a later one is of no use to the turn it was for,
and a reply waits for the reading under way (the model takes one request at a time)."""
TOO_SLOW = 3
"""Readings in a row later than ``END_OF_TURN_TIMEOUT`` after which the server is not asked again."""
BUSY = frozenset({408, 409, 429, 502, 503, 504})
"""HTTP statuses that say "not now" rather than "not here": a server answering so is asked again next time."""

_TURN_ENDS = frozenset(
    {"<end_of_turn>", "<|im_end|>", "<|eot_id|>", "<|end|>", "<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>"}
)
"""Chat templates' end-of-turn and end-of-text tokens, as servers that show special tokens write them."""


def line_end_probability(completion: Completion) -> float | None:
    """P(the next token ends the user's line), from a one-token completion's top log-probabilities; None if the
    server sent none."""
    choices = completion.choices
    logprobs = choices[0].logprobs if choices else None
    top = logprobs.top_logprobs if logprobs is not None else None
    if not top or not top[0]:
        return None
    total = 0.0
    for token, logprob in top[0].items():
        if _ends_line(token) and isinstance(logprob, int | float) and math.isfinite(logprob):
            total += math.exp(min(0.0, logprob))
    return min(1.0, total)


def _ends_line(token: str) -> bool:
    return token in _TURN_ENDS or (not token.strip() and ("\n" in token or "\r" in token))
