"""What the journal's durability costs: publishing to a memory bus with no journal, and with each sync policy.

One round publishes N events (a chat's mix: keystrokes, the agent's words, floor facts) to one session
log as fast as the loop allows, then closes the bus (which syncs what is left), and counts the time
of both. Four set-ups, interleaved within every round, medians over rounds:

- ``memory``: no journal (the baseline: what the bus costs anyway)
- ``flush``: a JSONL journal, each event flushed to the OS (survives a process crash)
- ``interval``: the default; flushed, and fsynced at most 0.2 s later (a power loss loses at most that)
- ``event``: flushed and fsynced after every event (a power loss loses nothing published)

The journal is written under ``--dir`` (default: out/bench/durability, on the same disk as the
repository): fsync costs what that disk's flush costs, so say which disk you measured.

    python bench/durability.py [--quick] [--dir DIR] [--json out/bench/durability.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import shutil
import statistics
import time
from pathlib import Path

from microturn._bus import LogConfig, Sync, open_bus
from microturn._core._events import AgentWord, Event, Modality, Silence, UserInput

SETUPS = ("memory", "flush", "interval", "event")


def workload(count: int) -> list[Event]:
    """``count`` events as a chat logs them: keys typed 0.1 s apart, words spoken, pauses."""
    kinds: list[Event] = []
    for index in range(count):
        t = round(0.1 * index, 6)
        if index % 3 == 0:
            kinds.append(UserInput(text="k", modality=Modality.TYPED, duration=0.3, t=t, source="console"))
        elif index % 3 == 1:
            kinds.append(AgentWord(utterance=index // 30, word="word", duration=0.4, t=t, source="agent"))
        else:
            kinds.append(Silence(started=t - 0.5, duration=0.5, t=t, source="loop"))
    return kinds


def publish_all(setup: str, events: list[Event], directory: Path) -> float:
    """Seconds to publish ``events`` and close the bus under ``setup``."""
    shutil.rmtree(directory, ignore_errors=True)
    log_dir = None if setup == "memory" else directory
    config = LogConfig() if setup == "memory" else LogConfig(sync=Sync(setup))

    async def main() -> float:
        bus = open_bus("memory", log_dir=log_dir, config=config)
        started = time.perf_counter()
        for event in events:
            await bus.publish("bench", event)
        await bus.aclose()
        return time.perf_counter() - started

    return asyncio.run(main())


def run(count: int, rounds: int, directory: Path) -> dict[str, list[float]]:
    events = workload(count)
    seconds: dict[str, list[float]] = {setup: [] for setup in SETUPS}
    for _ in range(rounds):
        for setup in SETUPS:  # interleaved: drift in the machine's load hits every set-up alike
            seconds[setup].append(publish_all(setup, events, directory / setup))
    shutil.rmtree(directory, ignore_errors=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer events and rounds (smoke test)")
    parser.add_argument("--dir", type=Path, default=Path("out/bench/durability"), help="where journals are written")
    parser.add_argument("--json", type=Path, default=Path("out/bench/durability.json"))
    args = parser.parse_args()
    count, rounds = (200, 3) if args.quick else (5000, 7)

    seconds = run(count, rounds, args.dir)
    median = {setup: statistics.median(values) for setup, values in seconds.items()}
    base = median["memory"]
    print(f"{count} events per round, {rounds} rounds interleaved, medians; journals in {args.dir}")
    print(f"{'':10}{'events/s':>12}{'µs/event':>12}{'extra µs/event':>16}{'× memory':>10}")
    for setup in SETUPS:
        per_event = median[setup] / count * 1e6
        extra = (median[setup] - base) / count * 1e6
        print(f"{setup:10}{count / median[setup]:>12.0f}{per_event:>12.1f}{extra:>16.1f}{median[setup] / base:>10.1f}")
    report = {
        "bench": "durability",
        "events": count,
        "rounds": rounds,
        "dir": str(args.dir),
        "machine": platform.platform(),
        "seconds": seconds,
        "median_us_per_event": {setup: median[setup] / count * 1e6 for setup in SETUPS},
        "ratio_to_memory": {setup: median[setup] / base for setup in SETUPS},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"json: {args.json}")


if __name__ == "__main__":
    main()
