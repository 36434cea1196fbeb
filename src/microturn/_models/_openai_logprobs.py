"""End of turn from an OpenAI-compatible server's log-probabilities: is the user's line over after their words?

The same reading as the embedded model's (``_end_of_turn.py``), over HTTP: the server completes a raw
prompt (``/v1/completions``) that is the embedded model's transcript prompt up to the user's last word, for
one token, and returns the log-probabilities of the likeliest next tokens (``logprobs``). The probability
that the line ends there is the mass of the tokens that start a new line, or that end the turn in a chat
template's terms (``<end_of_turn>``, ``<|im_end|>``, ...). Only the top ``TOP_LOGPROBS`` tokens come
back: when none of them ends the line, the least likely one's probability bounds the line break's. That raw
P(line break) is on another scale than the embedded model's P(end), which the learned turn end weighs, so it is
calibrated onto it (``_openai_calibration.py``, fitted on TRAIN) before it is passed on.

Servers differ: vLLM, llama.cpp's server and llama-cpp-python's (started with ``--logits_all True``)
return log-probabilities; OpenAI's chat models have no ``/v1/completions``; llama-cpp-python without
``logits_all`` refuses with HTTP 500. The model asks once and remembers what the server said; a server that
answers too late, again and again, is not asked any more either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from microturn._models._openai_calibration import reading, shipped_calibration

if TYPE_CHECKING:
    from openai.types import Completion

__all__ = ["BUSY", "END_OF_TURN_TIMEOUT", "TOO_SLOW", "TOP_LOGPROBS", "end_probability", "ends_line"]

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


def end_probability(completion: Completion) -> float | None:
    """P(the user's turn is over), calibrated from what a one-token completion's top log-probabilities say of the
    line's end (``_openai_calibration.py``); None if the server sent none."""
    choices = completion.choices
    logprobs = choices[0].logprobs if choices else None
    top = logprobs.top_logprobs if logprobs is not None else None
    if not top or not top[0]:
        return None
    read = reading(
        (float(logprob), ends_line(token)) for token, logprob in top[0].items() if isinstance(logprob, int | float)
    )
    return None if read is None else shipped_calibration().probability(read)


def ends_line(token: str) -> bool:
    """Whether a token, as a server writes it, starts a new line or ends the turn."""
    return token in _TURN_ENDS or (not token.strip() and ("\n" in token or "\r" in token))
