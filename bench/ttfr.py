"""Time to first reply token after the user's turn ends: streaming session vs. turn-based baseline.

Same embedded model (Gemma 3 270M through llama.cpp), same process, interleaved runs:

* **streaming session** (microturn's way): while the user talks, each micro-turn's new words are
  prefilled into the model's KV cache (``EmbeddedModel.prefill``); when the turn ends only the last
  words and the agent's cue remain to compute before the first token.
* **turn-based baseline**: the whole prompt (history + utterance) is sent when the turn ends, on a
  cold cache, as a turn-by-turn agent does.

Across history lengths (≈0, 1k, 3k tokens) and utterance lengths (≈10, 50, 200 tokens); medians,
p90 and the ratio; JSON out.

With ``--paths embedded,server``, the same comparison through the OpenAI-compatible adapter, against a real
``python -m llama_cpp.server`` serving the same weights: the streaming side sends the transcript so
far as a one-token request each micro-turn (the server keeps the longest common prefix in its KV
cache), the baseline sends the whole conversation when the turn ends, after another conversation
has taken the server's cache.

    python bench/ttfr.py [--quick] [--rounds 3] [--paths embedded,server] [--json out/bench/ttfr.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from microturn import ModelRequest, SystemClock
from microturn._models._weights import gemma_weights
from microturn._models.embedded import EmbeddedModel, build_prompt
from microturn._models.openai_compat import OpenAICompatibleModel, build_messages
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


class Server:
    """A real llama_cpp.server with the same weights, on a free port, for the adapter path."""

    def __init__(self, weights: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(weights), "--chat_format", "gemma"]
        command += ["--n_ctx", "4096", "--n_threads", "2", "--logits_all", "False"]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}/v1"
        give_up = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=5):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > give_up:
                    raise SystemExit(
                        "llama_cpp.server did not start (pip install 'llama-cpp-python[server]')"
                    ) from None
                time.sleep(0.2)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


async def server_first_token(model: OpenAICompatibleModel, past: str, words: list[str], elapsed: float) -> float:
    """The reply request as the session sends it at the turn's end: the transcript and the words to answer."""
    said = " ".join(words)
    turn = ModelRequest(
        f"{past}\n[{format_clock(elapsed)}] user: {said}", user_text=said, elapsed=elapsed + 0.2, wall=0.0
    )
    started = time.perf_counter()
    stream = model.stream(turn)
    async for _ in stream:
        break
    waited = time.perf_counter() - started
    await stream.aclose()  # type: ignore[attr-defined]
    return waited


async def server_prefill(client: Any, text: str, elapsed: float) -> None:
    messages = build_messages(request(text, elapsed))
    await client.chat.completions.create(model="gemma", messages=messages, max_tokens=1, temperature=0.0)


async def server_streaming(model: OpenAICompatibleModel, client: Any, past: str, words: list[str]) -> float:
    elapsed = 1000.0
    await server_prefill(client, past, elapsed)
    said: list[str] = []
    for start in range(0, len(words), 3):
        said += words[start : start + 3]
        await server_prefill(client, f"{past}\n[{format_clock(elapsed)}] user: {' '.join(said)}", elapsed)
    return await server_first_token(model, past, words, elapsed)


async def server_baseline(model: OpenAICompatibleModel, client: Any, past: str, words: list[str]) -> float:
    await server_prefill(client, "[00:00.0] session started\n[00:01.0] user: an unrelated conversation", 2.0)
    return await server_first_token(model, past, words, 1000.0)


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


Measure = Callable[[str, list[str]], Awaitable[float]]


async def grid(
    args: argparse.Namespace, path: str, ours_fn: Measure, theirs_fn: Measure, size: Callable[[str], int]
) -> list[dict[str, Any]]:
    histories = [0, 1000] if args.quick else [0, 1000, 3000]
    utterances = [10, 50] if args.quick else [10, 50, 200]
    rows: list[dict[str, Any]] = []
    for past_tokens in histories:
        past = history(past_tokens)
        prompt_tokens = size(past)
        for words_tokens in utterances:
            words = utterance(words_tokens)
            ours: list[float] = []
            theirs: list[float] = []
            for _ in range(args.rounds):  # interleaved: a noisy moment hits both alike
                ours.append(await ours_fn(past, words))
                theirs.append(await theirs_fn(past, words))
            row: dict[str, Any] = {
                "path": path,
                "history_tokens": past_tokens,
                "prompt_tokens_before_utterance": prompt_tokens,
                "utterance_tokens": words_tokens,
                "streaming_ms": {"median": statistics.median(ours) * 1000, "p90": p90(ours) * 1000},
                "baseline_ms": {"median": statistics.median(theirs) * 1000, "p90": p90(theirs) * 1000},
                "ratio": statistics.median(theirs) / statistics.median(ours),
            }
            rows.append(row)
            print(
                f"{path:<8} history {past_tokens:>5}  utterance {words_tokens:>4}   streaming "
                f"{row['streaming_ms']['median']:7.0f} ms (p90 {row['streaming_ms']['p90']:5.0f})   baseline "
                f"{row['baseline_ms']['median']:7.0f} ms (p90 {row['baseline_ms']['p90']:5.0f})   "
                f"{row['ratio']:5.1f}x",
                flush=True,
            )
    return rows


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    weights = gemma_weights(progress=None)
    model = EmbeddedModel(clock=SystemClock(), model_path=weights)
    llama = model._load()

    def tokens(past: str) -> int:
        return len(llama.tokenize(build_prompt(request(past, 0.0)).encode()))

    paths = {path.strip() for path in args.paths.split(",")}
    rows: list[dict[str, Any]] = []
    if "embedded" in paths:
        rows += await grid(
            args,
            "embedded",
            lambda past, words: streaming(model, past, words),
            lambda past, words: baseline(model, past, words),
            tokens,
        )
    if "server" in paths:
        from openai import AsyncOpenAI

        server = Server(weights)
        client = AsyncOpenAI(base_url=server.url, api_key="unused", max_retries=0)
        remote = OpenAICompatibleModel(base_url=server.url, model="gemma", clock=SystemClock(), timeout=120.0)
        try:
            rows += await grid(
                args,
                "server",
                lambda past, words: server_streaming(remote, client, past, words),
                lambda past, words: server_baseline(remote, client, past, words),
                tokens,
            )
        finally:
            await remote.aclose()
            await client.close()
            server.close()
    return {"benchmark": "ttfr", "model": "gemma-3-270m-q4_k_m (llama.cpp)", "rounds": args.rounds, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller grid (smoke test)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--paths",
        default="embedded",
        help="comma-separated: embedded (in-process llama.cpp), server (the OpenAI-compatible adapter against "
        "llama_cpp.server); default: embedded",
    )
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
