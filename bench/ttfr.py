"""Time to first reply token after the user's turn ends: streaming session vs. turn-based baseline.

Same embedded model (Gemma 3 270M through llama.cpp), same process, interleaved runs:

* **streaming session** (microturn's way): while the user talks, each micro-turn's new words are
  prefilled into the model's KV cache (``EmbeddedModel.prefill``); when the turn ends only the last
  words and the agent's cue remain to compute before the first token.
* **turn-based baseline**: the whole prompt (history + utterance) is sent when the turn ends, on a
  cold cache, as a turn-by-turn agent does.

Across history lengths (≈0, 1k, 3k tokens) and utterance lengths (≈10, 50, 200 tokens); medians,
p90 and the ratio; JSON out.

    python bench/ttfr.py [--quick] [--rounds 3] [--json out/bench/ttfr.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from microturn import ModelRequest, SystemClock
from microturn._models._weights import gemma_weights
from microturn._models.embedded import EmbeddedModel, build_prompt
from microturn._timeline import format_clock

WORDS = (
    "so I was thinking that we could take the train to the coast on saturday morning and then walk along the "
    "cliffs for a while before we find somewhere to have lunch near the harbour because the weather looks good"
).split()


def history(tokens: int) -> str:
    """A transcript of about ``tokens`` tokens (≈ 1.3 tokens per word), alternating user and agent."""
    lines = ["[00:00.0] session started (Sun 2026-11-22 09:00 UTC)"]
    t, words = 1.0, 0
    while words * 1.3 < tokens:
        who = "user" if len(lines) % 2 else "agent"
        line = " ".join(WORDS[(words + i) % len(WORDS)] for i in range(20))
        lines.append(f"[{format_clock(t)}] {who}: {line}")
        words += 20
        t += 8.0
    return "\n".join(lines) if tokens else lines[0]


def utterance(tokens: int) -> list[str]:
    return [WORDS[i % len(WORDS)] for i in range(max(1, round(tokens / 1.3)))]


def request(text: str, elapsed: float) -> ModelRequest:
    return ModelRequest(timeline=text, user_text="", elapsed=elapsed, wall=0.0)


async def first_token(model: EmbeddedModel, text: str, elapsed: float) -> float:
    started = time.perf_counter()
    stream = model.stream(request(text, elapsed))
    async for _ in stream:
        break
    waited = time.perf_counter() - started
    await stream.aclose()  # type: ignore[attr-defined]
    return waited


async def streaming(model: EmbeddedModel, past: str, words: list[str]) -> float:
    llama = model._load()
    llama.reset()
    elapsed = 1000.0
    await model.prefill(request(past, elapsed))  # the earlier conversation: in the cache long before
    said: list[str] = []
    for start in range(0, len(words), 3):  # ~3 words per 200 ms micro-turn at a speaking pace
        said += words[start : start + 3]
        await model.prefill(request(f"{past}\n[{format_clock(elapsed)}] user: {' '.join(said)}", elapsed))
    return await first_token(model, f"{past}\n[{format_clock(elapsed)}] user: {' '.join(words)}", elapsed + 0.2)


async def baseline(model: EmbeddedModel, past: str, words: list[str]) -> float:
    model._load().reset()  # a turn-based agent sends the whole context when the turn ends
    elapsed = 1000.0
    return await first_token(model, f"{past}\n[{format_clock(elapsed)}] user: {' '.join(words)}", elapsed + 0.2)


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    model = EmbeddedModel(clock=SystemClock(), model_path=gemma_weights(progress=None))
    histories = [0, 1000] if args.quick else [0, 1000, 3000]
    utterances = [10, 50] if args.quick else [10, 50, 200]
    rows: list[dict[str, Any]] = []
    for past_tokens in histories:
        past = history(past_tokens)
        prompt_tokens = len(model._load().tokenize(build_prompt(request(past, 0.0)).encode()))
        for words_tokens in utterances:
            words = utterance(words_tokens)
            ours: list[float] = []
            theirs: list[float] = []
            for _ in range(args.rounds):  # interleaved: a noisy moment hits both alike
                ours.append(await streaming(model, past, words))
                theirs.append(await baseline(model, past, words))
            row: dict[str, Any] = {
                "history_tokens": past_tokens,
                "prompt_tokens_before_utterance": prompt_tokens,
                "utterance_tokens": words_tokens,
                "streaming_ms": {"median": statistics.median(ours) * 1000, "p90": p90(ours) * 1000},
                "baseline_ms": {"median": statistics.median(theirs) * 1000, "p90": p90(theirs) * 1000},
                "ratio": statistics.median(theirs) / statistics.median(ours),
            }
            rows.append(row)
            print(
                f"history {past_tokens:>5}  utterance {words_tokens:>4}   streaming "
                f"{row['streaming_ms']['median']:7.0f} ms (p90 {row['streaming_ms']['p90']:5.0f})   baseline "
                f"{row['baseline_ms']['median']:7.0f} ms (p90 {row['baseline_ms']['p90']:5.0f})   "
                f"{row['ratio']:5.1f}x",
                flush=True,
            )
    return {"benchmark": "ttfr", "model": "gemma-3-270m-q4_k_m (llama.cpp)", "rounds": args.rounds, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller grid (smoke test)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=Path("out/bench/ttfr.json"))
    args = parser.parse_args()
    print("time to first reply token after the turn ends (embedded model, 2 threads)")
    report = asyncio.run(main_async(args))
    report["machine"] = {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"json: {args.json}")


if __name__ == "__main__":
    main()
