"""What hygiene costs per event: secret scrubbing and line folding on 1, 4, 16 and 64 KB of text.

Every event is scrubbed twice (as it enters the session and as the loop records it) and every text
that reaches the transcript is folded onto its line, on the event loop all conversations share. The
texts: ordinary prose, a .env file full of secrets, random base64, and inputs made to be hard for a
backtracking pattern (``a.a.a.…``, ``a://a://…``). There is no baseline to compare with: before, values
were not scanned at all (names only), so this is what scanning adds. Medians of interleaved rounds;
a flat cost per KB shows it linear.

    python bench/hygiene.py [--quick] [--json out/bench/hygiene.json]
"""

from __future__ import annotations

import argparse
import base64
import json
import platform
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from microturn._core._events import ToolResult
from microturn._core._secrets import scrub_event
from microturn._core._timeline import quoted

SIZES_KB = (1, 4, 16, 64)
PROSE = "The 10:15 to Bern leaves from platform 7; a ticket is 120 euros, and the trip takes an hour. "
ENV = "OPENAI_API_KEY=sk-proj-Abc123def456GHI789jkl012MNO345pqr\nDB_PASSWORD=hunter2\nHOST=db.internal\n"


def texts(size: int) -> dict[str, str]:
    rng = random.Random(size)
    return {
        "prose": (PROSE * (size // len(PROSE) + 1))[:size],
        ".env": (ENV * (size // len(ENV) + 1))[:size],
        "base64": base64.b64encode(rng.randbytes(size))[:size].decode(),
        "a.a.a.": ("a." * size)[:size],
        "a://a://": ("a://" * size)[:size],
    }


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one round (smoke test)")
    parser.add_argument("--json", type=Path, default=Path("out/bench/hygiene.json"))
    args = parser.parse_args()
    rounds = 1 if args.quick else 9
    samples: dict[tuple[int, str, str], list[float]] = {}
    for _ in range(rounds):
        for size in SIZES_KB:
            for kind, text in texts(size * 1024).items():
                event = ToolResult(call="c1", output=text)
                ways = {
                    "scrub": lambda e=event: scrub_event(e),
                    "fold + quote": lambda t=text: quoted(t),
                }
                for way, work in ways.items():
                    samples.setdefault((size, kind, way), []).append(timed(work))
    medians = {key: statistics.median(values) for key, values in samples.items()}
    rows = [{"kb": size, "text": kind, "way": way, "median_ms": ms} for (size, kind, way), ms in medians.items()]
    print(f"{'KB':>4}  {'text':10} {'scrub ms':>9} {'fold ms':>8}  {'scrub per KB':>12}")
    for size in SIZES_KB:
        for kind in texts(1):
            scrub, fold = medians[size, kind, "scrub"], medians[size, kind, "fold + quote"]
            print(f"{size:>4}  {kind:10} {scrub:9.3f} {fold:8.3f}  {scrub / size:9.3f} ms")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": platform.platform(), "rounds": rounds, "rows": rows}, indent=2))
    print(f"results: {args.json}")


if __name__ == "__main__":
    main()
