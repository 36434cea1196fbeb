"""What an OpenAI-compatible server would return for the end-of-turn reading on every key the head was recorded on.

A server gives only its top ``TOP_LOGPROBS`` next tokens (``_models/_openai_logprobs.py``), so the calibration of
its reading (``_models/_openai_calibration_fit.py``) must be fitted on what a server sees, not on the whole
distribution. This reads, with the embedded model (the weights a ``llama_cpp.server`` of Gemma 3 270M would
serve), the same transcripts as ``bench/end_of_turn_signals.py`` (its ``keys``, in its order) and keeps, per key,
the ``TOP_LOGPROBS`` likeliest next tokens' log-probabilities, largest first, and whether each ends the line as
the client reads a server's token (``ends_line``: its text with special tokens shown, as vLLM writes them). It
checks that the whole distribution's P(line break) matches the recorded features (same transcripts, same
model) and writes ``eval/signals/model_end_of_turn_top_logprobs.npz``. A quarter of an hour on an idle
machine (72 minutes on a shared one). ``--reuse`` keeps the keys recorded before and reads only the new ones (as
``bench/end_of_turn_signals.py --reuse``: after cases were only added).

    python bench/end_of_turn_top_logprobs.py [--reuse]
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from end_of_turn import request
from end_of_turn_signals import Key, keys, reuse
from microturn import SystemClock
from microturn._models._embedded import EmbeddedModel
from microturn._models._end_of_turn import next_token_logits
from microturn._models._end_of_turn_head import LINE_BREAK, features, vocabulary
from microturn._models._end_of_turn_head_fit import FEATURES_FILE, load_recorded
from microturn._models._openai_calibration_fit import TOP_FILE, TopLogprobs, load_top, save_top
from microturn._models._openai_logprobs import TOP_LOGPROBS, ends_line

ROOT = Path(__file__).resolve().parent.parent


async def read(found: Sequence[Key]) -> tuple[TopLogprobs, npt.NDArray[np.float64]]:
    """Each key's top log-probabilities, and the whole distribution's log P(line break) (to check against)."""
    model = EmbeddedModel(clock=SystemClock())
    llama = model._load()
    known = vocabulary(llama)
    top = np.zeros((len(found), TOP_LOGPROBS))
    ending = np.zeros((len(found), TOP_LOGPROBS), np.bool_)
    line_break = np.zeros(len(found))
    for row, key in enumerate(found):
        logits = next_token_logits(llama, model._said(llama, request(key.transcript, key.elapsed))).astype(np.float64)
        shifted = logits - logits.max()
        logprobs = shifted - np.log(np.exp(shifted).sum())
        ids = np.argsort(-logprobs, kind="stable")[:TOP_LOGPROBS]
        top[row] = logprobs[ids]
        ending[row] = [ends_line(llama.detokenize([int(i)], special=True).decode("utf-8", "ignore")) for i in ids]
        line_break[row] = features(logits.astype(np.float32), known)[LINE_BREAK]
    await model.aclose()
    return TopLogprobs(tuple(k.key for k in found), top, ending), line_break


def _rows(found: Sequence[Key]) -> npt.NDArray[np.float64]:
    """Each key read: its top log-probabilities, whether each ends the line, and log P(line break), side by side."""
    top, line_break = asyncio.run(read(found))
    return np.hstack([top.logprobs, top.ends_line, line_break[:, None]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reuse", action="store_true", help="keep the rows of the keys recorded before")
    found = keys()
    recorded = load_recorded(ROOT / FEATURES_FILE)
    if tuple(k.key for k in found) != recorded.keys:
        raise SystemExit(f"the keys differ from {FEATURES_FILE}'s: record it again with bench/end_of_turn_signals.py")
    if parser.parse_args().reuse:
        old = load_top(ROOT / TOP_FILE)
        unread = np.full((len(old.keys), 1), np.nan)  # a kept key's P(line break) is not read again
        logprobs = slice(TOP_LOGPROBS)  # whether a token ends the line moves with its rank among near ties
        rows = reuse(found, old.keys, np.hstack([old.logprobs, old.ends_line, unread]), _rows, logprobs)
    else:
        rows = _rows(found)
    top = TopLogprobs(recorded.keys, rows[:, :TOP_LOGPROBS], rows[:, TOP_LOGPROBS:-1].astype(np.bool_))
    gap = np.abs(rows[:, -1] - recorded.features[:, LINE_BREAK])  # NaN where a kept key was not read
    median, most = np.nanmedian(gap), np.nanmax(gap)
    print(
        f"log P(line break) of the keys read against the recorded features: median gap {median:.4f}, at most {most:.4f}"
    )
    save_top(top, ROOT / TOP_FILE)
    print(f"wrote {ROOT / TOP_FILE}")


if __name__ == "__main__":
    main()
