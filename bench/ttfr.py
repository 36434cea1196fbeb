"""Time to first reply token after the user's turn ends: streaming session vs. turn-based baseline.

Same embedded model (Gemma 3 270M through llama.cpp), same process, same llama object, interleaved runs:

* **streaming session** (microturn's way): while the user talks, each micro-turn's new words are
  prefilled into the model's KV cache (``EmbeddedModel.prefill``); when the turn ends only the last
  words and the agent's cue remain to compute before the first token.
* **turn-based baseline** (the strongest honest alternative): a turn-based agent on the same llama
  object that keeps its KV cache from the previous turn, as any agent on llama.cpp does: the history
  is already cached, and when the turn ends it computes the new utterance and the cue.

Across history lengths (≈0, 1k, 3k tokens) and utterance lengths (≈10, 50, 200 tokens); medians,
p90 and the ratio; JSON out.

With ``--paths embedded,server``, the same comparison through the OpenAI-compatible adapter, against a real
``python -m llama_cpp.server`` (``--chat_format gemma --logits_all False``) serving the same weights: the
streaming side sends the transcript so far as a one-token request each micro-turn (the server keeps the
longest common prefix in its KV cache), the baseline sends the whole conversation when the turn ends, its
previous turn's request (the history) still cached, no other conversation in between. When ``pipecat-ai``
is installed (``pip install 'pipecat-ai==1.14.0'``; not a microturn dependency), a third column: the peer
itself, Pipecat's ``OpenAILLMService`` in a Pipecat pipeline, given the same messages under the same
conditions as the baseline (``bench/ttfr_pipecat.py``).

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
from microturn._core._timeline import format_clock
from microturn._models._embedded import EmbeddedModel, build_prompt
from microturn._models._openai import SYSTEM, OpenAICompatibleModel, build_messages
from microturn._models._weights import gemma_weights
from ttfr_pipecat import PipecatPeer, pipecat_version

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


REPLY_TOKENS = 64
"""The most tokens a reply may have through the server (the adapter's default), for our adapter and Pipecat alike."""
ELAPSED = 1000.0
"""Session seconds at the turn: after the longest history's last line."""


async def previous_turn(model: EmbeddedModel, past: str) -> None:
    """The cache as the last turn left it, for both sides alike: the history so far is computed (llama.cpp keeps
    the longest common prefix of the previous prompt and drops the rest, so what the last measurement added goes)."""
    await model.prefill(request(past, ELAPSED))


def turn(past: str, words: list[str]) -> str:
    return f"{past}\n[{format_clock(ELAPSED)}] user: {' '.join(words)}"


async def streaming(model: EmbeddedModel, past: str, words: list[str]) -> float:
    await previous_turn(model, past)
    for end in range(3, len(words) + 3, 3):  # ~3 words per 200 ms micro-turn at a speaking pace
        await model.prefill(request(turn(past, words[:end]), ELAPSED))
    return await first_token(model, turn(past, words), ELAPSED + 0.2)


async def baseline(model: EmbeddedModel, past: str, words: list[str]) -> float:
    await previous_turn(model, past)  # a turn-based agent keeps its cache: only the utterance and cue are new
    return await first_token(model, turn(past, words), ELAPSED + 0.2)


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


def reply_request(past: str, words: list[str]) -> ModelRequest:
    """The reply request as the session sends it at the turn's end: the transcript and the words to answer."""
    said = " ".join(words)
    return ModelRequest(turn(past, words), user_text=said, elapsed=ELAPSED + 0.2, wall=0.0)


async def server_first_token(model: OpenAICompatibleModel, past: str, words: list[str]) -> float:
    started = time.perf_counter()
    stream = model.stream(reply_request(past, words))
    async for _ in stream:
        break
    waited = time.perf_counter() - started
    await stream.aclose()  # type: ignore[attr-defined]
    return waited


async def server_prefill(client: Any, text: str) -> None:
    messages = build_messages(request(text, ELAPSED))
    await client.chat.completions.create(model="gemma", messages=messages, max_tokens=1, temperature=0.0)


async def server_streaming(model: OpenAICompatibleModel, client: Any, past: str, words: list[str]) -> float:
    await server_prefill(client, past)  # the previous turn's request: the history is in the server's cache
    for end in range(3, len(words) + 3, 3):
        await server_prefill(client, turn(past, words[:end]))
    return await server_first_token(model, past, words)


async def server_baseline(model: OpenAICompatibleModel, client: Any, past: str, words: list[str]) -> float:
    await server_prefill(client, past)  # the previous turn's request, and no other conversation since
    return await server_first_token(model, past, words)


async def server_pipecat(peer: PipecatPeer, client: Any, past: str, words: list[str]) -> float:
    await server_prefill(client, past)  # as for the baseline: the previous turn's prefix is cached
    system, *messages = build_messages(reply_request(past, words))
    assert system["content"] == SYSTEM  # the peer has it as its system instruction
    return await peer.first_token(messages)


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


Measure = Callable[[str, list[str]], Awaitable[float]]


def cell(
    path: str, past_tokens: int, prompt_tokens: int, words_tokens: int, taken: dict[str, list[float]]
) -> dict[str, Any]:
    """One grid cell: each column's median and p90 (ms), and every other column's median over streaming's."""
    row: dict[str, Any] = {
        "path": path,
        "history_tokens": past_tokens,
        "prompt_tokens_before_utterance": prompt_tokens,
        "utterance_tokens": words_tokens,
    }
    for name, values in taken.items():
        row[f"{name}_ms"] = {"median": statistics.median(values) * 1000, "p90": p90(values) * 1000}
    ours = statistics.median(taken["streaming"])
    for name in taken.keys() - {"streaming"}:
        row["ratio" if name == "baseline" else f"{name}_ratio"] = statistics.median(taken[name]) / ours
    return row


async def grid(
    args: argparse.Namespace, path: str, columns: dict[str, Measure], size: Callable[[str], int]
) -> list[dict[str, Any]]:
    """Every history × utterance cell, each column measured in turn within a round (``streaming`` first)."""
    histories = [0, 1000] if args.quick else [0, 1000, 3000]
    utterances = [10, 50] if args.quick else [10, 50, 200]
    rows: list[dict[str, Any]] = []
    for past_tokens in histories:
        past = history(past_tokens)
        for words_tokens in utterances:
            words = utterance(words_tokens)
            taken: dict[str, list[float]] = {name: [] for name in columns}
            for _ in range(args.rounds):  # interleaved: a noisy moment hits every column alike
                for name, measure in columns.items():
                    taken[name].append(await measure(past, words))
            row = cell(path, past_tokens, size(past), words_tokens, taken)
            rows.append(row)
            shown = "   ".join(
                f"{name} {row[f'{name}_ms']['median']:6.0f} ms (p90 {row[f'{name}_ms']['p90']:5.0f})"
                for name in columns
            )
            print(
                f"{path:<8} history {past_tokens:>5}  utterance {words_tokens:>4}   {shown}   {row['ratio']:5.1f}x",
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
        embedded: dict[str, Measure] = {
            "streaming": lambda past, words: streaming(model, past, words),
            "baseline": lambda past, words: baseline(model, past, words),
        }
        rows += await grid(args, "embedded", embedded, tokens)
    if "server" in paths:
        rows += await server_grid(args, weights, tokens)
    model_name = "gemma-3-270m-q4_k_m (llama.cpp)"
    return {"benchmark": "ttfr", "model": model_name, "pipecat": pipecat_version(), "rounds": args.rounds, "rows": rows}


async def server_grid(args: argparse.Namespace, weights: Path, tokens: Callable[[str], int]) -> list[dict[str, Any]]:
    """The server path: our adapter streaming, the adapter as a turn-based agent, and Pipecat when installed."""
    from openai import AsyncOpenAI

    server = Server(weights)
    client = AsyncOpenAI(base_url=server.url, api_key="unused", max_retries=0)
    remote = OpenAICompatibleModel(
        base_url=server.url, model="gemma", clock=SystemClock(), timeout=120.0, max_tokens=REPLY_TOKENS
    )
    columns: dict[str, Measure] = {
        "streaming": lambda past, words: server_streaming(remote, client, past, words),
        "baseline": lambda past, words: server_baseline(remote, client, past, words),
    }
    peer = None
    if pipecat_version() is None:
        print("pipecat column skipped: pipecat-ai is not installed (pip install 'pipecat-ai==1.14.0')")
    else:
        peer = PipecatPeer(server.url, model="gemma", max_tokens=REPLY_TOKENS, system=SYSTEM)
        await peer.start()
        columns["pipecat"] = lambda past, words: server_pipecat(peer, client, past, words)
    try:
        await server_prefill(client, history(0))  # a warm-up, not measured: the server computes the system prompt
        return await grid(args, "server", columns, tokens)
    finally:
        if peer is not None:
            await peer.close()
        await remote.aclose()
        await client.close()
        server.close()


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
