"""The policy's work on long input: 1, 4, 16 and 64 KB of user text, as one frame and as keystrokes.

What a long turn costs the event loop, which every conversation on it shares: the floor tracker and the
full-duplex policy handle each event (``observe``, ``react``, ``decide``, ``wake_at``, as the session
loop calls them), then the user presses Enter and the turn is read for requests (timers, cues, live
modes, background work). The text is made to be hard: "say ... in ..." again and again, which the old
lazy timer patterns retried from every "say" (quadratic: 16 KB took 0.1-0.6 s), and a timer request at
its very end, which must still be found.

- ``frame``: the whole text in one UserInput (a pasted text, a WebSocket frame), then Enter.
- ``keystrokes``: one UserInput per character, then Enter (every keystroke is judged: has the turn ended?).

Median of rounds; the sizes interleaved within a round. Linear growth shows as a flat cost per KB.

    python bench/intent_parse.py [--quick] [--json out/bench/intent_parse.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

from microturn import Modality, Say, UserInput, UserSubmit
from microturn._core._actions import Action
from microturn._core._events import Event
from microturn._core._floor import FloorTracker
from microturn._policies._base import MicroTurn
from microturn._policies._full_duplex import FullDuplexPolicy

SIZES_KB = (1, 4, 16, 64)
MODES = ("frame", "keystrokes")
FILLER = "so say hello in a bit, and tell me what you think about it in the end, or after a while. "
REQUEST = " remind me in 30 seconds to stretch"
ACK = "Okay, in 30 seconds."
LIMIT_MS = 50.0
"""Issue 11's bound on a 64 KB frame."""


def hard_text(size: int) -> str:
    """``size`` characters of filler that lazy patterns retry from every word, ending in a timer request."""
    body = FILLER * (size // len(FILLER) + 1)
    return body[: size - len(REQUEST)] + REQUEST


def events(text: str, mode: str) -> list[Event]:
    chunks = [text] if mode == "frame" else list(text)
    typed: list[Event] = [UserInput(text=c, modality=Modality.TYPED, t=0.01 * i) for i, c in enumerate(chunks)]
    return [*typed, UserSubmit(t=0.01 * len(chunks))]


def handle(stream: list[Event]) -> tuple[float, list[Action]]:
    """Seconds of CPU the floor and the policy spend on ``stream``, and the actions they took."""
    floor = FloorTracker(silence_min=0.5)
    policy = FullDuplexPolicy()
    actions: list[Action] = []
    started = time.process_time()
    for index, event in enumerate(stream):
        floor.observe(event)
        actions += policy.react(floor.state, event)
        actions += policy.decide(floor.state, MicroTurn(index, event.t, event.t, (event,)))
        policy.wake_at(floor.state)
    return time.process_time() - started, actions


def measure(size_kb: int, mode: str) -> float:
    """Milliseconds for one run; fails if the timer request at the end of the text was missed."""
    seconds, actions = handle(events(hard_text(size_kb * 1024), mode))
    if Say(ACK) not in actions:
        raise AssertionError(f"{size_kb} KB as {mode}: the timer request at the end was not found: {actions[-3:]}")
    return seconds * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one round (smoke test)")
    parser.add_argument("--json", type=Path, default=Path("out/bench/intent_parse.json"))
    args = parser.parse_args()

    rounds = 1 if args.quick else 5
    runs: dict[str, dict[int, list[float]]] = {mode: {kb: [] for kb in SIZES_KB} for mode in MODES}
    for _ in range(rounds):
        for kb in SIZES_KB:  # interleaved: a noisy moment hits every size alike
            for mode in MODES:
                runs[mode][kb].append(measure(kb, mode))
    median = {mode: {kb: statistics.median(values) for kb, values in by_kb.items()} for mode, by_kb in runs.items()}

    print(f"policy work on long typed input (floor + full-duplex policy), CPU ms, median of {rounds}")
    print(f"{'KB':>4}{'frame ms':>11}{'ms/KB':>8}{'keystrokes ms':>15}{'ms/KB':>8}{'us/keystroke':>14}")
    for kb in SIZES_KB:
        frame, keys = median["frame"][kb], median["keystrokes"][kb]
        per_key = keys * 1000 / (kb * 1024)
        print(f"{kb:>4}{frame:>11.2f}{frame / kb:>8.3f}{keys:>15.1f}{keys / kb:>8.2f}{per_key:>14.1f}")
    biggest = max(SIZES_KB)
    growth = {mode: (median[mode][biggest] / biggest) / (median[mode][1] / 1) for mode in MODES}
    within = median["frame"][biggest] < LIMIT_MS
    print(
        f"{biggest} KB frame: {median['frame'][biggest]:.1f} ms (limit {LIMIT_MS:.0f} ms: "
        f"{'met' if within else 'NOT met'}); cost per KB at {biggest} KB vs 1 KB: "
        + ", ".join(f"{mode} x{ratio:.2f}" for mode, ratio in growth.items())
        + " (1.0 = linear)"
    )
    report = {
        "benchmark": "intent_parse",
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "rounds": rounds,
        "limit_ms_64kb_frame": LIMIT_MS,
        "limit_met": within,
        "ms": {m: {str(kb): {"median": median[m][kb], "runs": runs[m][kb]} for kb in SIZES_KB} for m in MODES},
        "per_kb_growth_vs_1kb": growth,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"json: {args.json}")


if __name__ == "__main__":
    main()
