"""End of turn from the embedded model: its reading after the user's words, on the development set's pauses.

Each pause case (``eval/devset/pause.jsonl``, spoken and typed) is played through a real session in
virtual time, as the devset harness plays it (its context as a real exchange, then ``before``), and the
session's transcript is taken at the user's last input of ``before``: what a session would hold when the
pause begins. ``EmbeddedModel.end_of_turn`` reads there how likely the line is over (P(end): a head over the
next-token distribution, ``_models/_end_of_turn_head.py``). Reported per modality and split (train and dev
apart: nothing is tuned on dev; the head was fitted on the train cases, so their rows are in sample, and
``eval/signals/`` has their readings out of fold):

- AUC (end vs continue): the chance a real end scores above a mid-turn pause (ties count half);
- the threshold with the best accuracy on TRAIN, and its accuracy on dev (with how many real ends and
  mid-turn pauses lie at or above it);
- the cost of a call, interleaved case by case, in wall ms (median, p90):
  ``incremental``: the user's last word after a call at the word before it (the session's steady state);
  ``cold``: nothing cached (a fresh context: preamble and transcript decoded). Their probabilities must
  agree: the largest difference is reported.

Run it on an idle machine: other load makes the timings 2-100x slower (the probabilities do not change).

    python bench/end_of_turn.py [--quick] [--json out/bench/end_of_turn.json]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import platform
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from microturn import ModelRequest, SystemClock, UserInput
from microturn._core._clock import VIRTUAL_WALL_EPOCH
from microturn._core._timeline import Timeline
from microturn._eval._devset import PauseCase, load_devset
from microturn._eval._devset._pause import _context, _own
from microturn._eval._devset._sessions import Opening, play
from microturn._eval._devset._stats import median, p90
from microturn._models._embedded import EmbeddedModel
from microturn._policies import make_policy

DEVSET = Path(__file__).resolve().parent.parent / "eval" / "devset"
QUICK_CASES = 16
GROUPS = ("spoken", "typed", "all")


@dataclass(frozen=True, slots=True)
class Transcript:
    """A case's transcript at the user's last word, and at the word before it; seconds since the start."""

    full: str
    previous: str
    elapsed: float


@dataclass(frozen=True, slots=True)
class Scored:
    """One case: its end-of-turn probability (incremental and cold) and what each call cost."""

    id: str
    split: str
    modality: str
    label: str
    p: float
    p_cold: float
    incremental_ms: float
    cold_ms: float


def transcript(case: PauseCase) -> Transcript:
    """The session's transcript when the user's last input of ``before`` has come in (see the module doc)."""
    opening, context, lines = _context(case)
    policy = make_policy("full-duplex-rules")  # the readings were recorded so: not whatever the default is
    played = play(
        [*context, *_own(case, after_lines=len(lines) + (opening is not None))[:1]],
        duration=120.0,
        policy=policy if opening is None else Opening(policy, opening),
        lines=lines,
    )
    last_t, last_text = played.marks["before"].inputs[-1]
    timeline = Timeline()
    for event in played.events:
        timeline.feed(event)
        if isinstance(event, UserInput) and event.t == last_t and event.text == last_text:
            break
    full = timeline.text
    # A spoken word comes after a space, a typed one after the keystroke of its space: either way this
    # is the transcript as it was one word earlier.
    return Transcript(full=full, previous=full.rsplit(" ", 1)[0], elapsed=last_t)


def request(text: str, elapsed: float) -> ModelRequest:
    return ModelRequest(timeline=text, user_text="", elapsed=elapsed, wall=VIRTUAL_WALL_EPOCH + elapsed)


async def score(cases: Sequence[tuple[PauseCase, Transcript]]) -> list[Scored]:
    """Every case scored twice, the incremental and the cold call interleaved (which goes first alternates)."""
    warm, cold = EmbeddedModel(clock=SystemClock()), EmbeddedModel(clock=SystemClock())
    scored: list[Scored] = []
    for index, (case, seen) in enumerate(cases):
        runs: dict[str, tuple[float, float]] = {}
        for kind in ("incremental", "cold") if index % 2 else ("cold", "incremental"):
            model = warm if kind == "incremental" else cold
            if kind == "incremental":
                await model.end_of_turn(request(seen.previous, seen.elapsed))
            else:
                forget(model)
            started = time.perf_counter()
            p = await model.end_of_turn(request(seen.full, seen.elapsed))
            runs[kind] = (p, (time.perf_counter() - started) * 1000)
        scored.append(
            Scored(
                case.id,
                case.split,
                case.modality,
                case.label,
                round(runs["incremental"][0], 6),
                round(runs["cold"][0], 6),
                round(runs["incremental"][1], 3),
                round(runs["cold"][1], 3),
            )
        )
    await warm.aclose()
    await cold.aclose()
    return scored


def forget(model: EmbeddedModel) -> None:
    """Empty the model's KV cache (llama-cpp-python's ``reset``), so its next call decodes the whole prompt."""
    model._load().reset()


def auc(ends: Sequence[float], continues: Sequence[float]) -> float | None:
    """P(a real end scores above a mid-turn pause), ties counted half (Mann-Whitney)."""
    if not ends or not continues:
        return None
    wins = sum((e > c) + 0.5 * (e == c) for e in ends for c in continues)
    return round(wins / (len(ends) * len(continues)), 4)


def accuracy(rows: Sequence[Scored], threshold: float) -> float:
    """The share of cases called right: an end at or above ``threshold``, a pause below it."""
    return round(sum((r.p >= threshold) == (r.label == "end") for r in rows) / len(rows), 4)


def best_threshold(rows: Sequence[Scored]) -> float:
    """The threshold (midway between neighbouring scores) with the best accuracy on ``rows``; the lowest on a tie."""
    ps = sorted({r.p for r in rows})
    candidates: list[float] = [0.0, *((a + b) / 2 for a, b in itertools.pairwise(ps)), 1.0]
    best = max(candidates, key=lambda threshold: (accuracy(rows, threshold), -threshold))
    return round(best, 6)


def group(rows: Sequence[Scored], name: str, split: str) -> list[Scored]:
    return [r for r in rows if r.split == split and name in ("all", r.modality)]


@dataclass(frozen=True, slots=True)
class SplitRow:
    """The numbers of one group's split: counts, median P by label, AUC, and the train threshold's calls."""

    ends: int
    continues: int
    median_p_end: float | None
    median_p_continue: float | None
    auc: float | None
    accuracy_at_threshold: float
    ends_at_or_above: int
    continues_at_or_above: int


@dataclass(frozen=True, slots=True)
class GroupRow:
    """A modality (or all): the threshold chosen on its train cases, and both splits judged with it."""

    threshold_from_train: float
    train: SplitRow
    dev: SplitRow


def summary(rows: Sequence[Scored]) -> dict[str, GroupRow]:
    """Per modality (and all) that has cases in both splits."""
    result: dict[str, GroupRow] = {}
    for name in GROUPS:
        train, dev = group(rows, name, "train"), group(rows, name, "dev")
        if train and dev:
            threshold = best_threshold(train)
            result[name] = GroupRow(threshold, split_row(train, threshold), split_row(dev, threshold))
    return result


def split_row(cases: Sequence[Scored], threshold: float) -> SplitRow:
    ends = [r.p for r in cases if r.label == "end"]
    continues = [r.p for r in cases if r.label == "continue"]
    return SplitRow(
        ends=len(ends),
        continues=len(continues),
        median_p_end=median(ends),
        median_p_continue=median(continues),
        auc=auc(ends, continues),
        accuracy_at_threshold=accuracy(cases, threshold),
        ends_at_or_above=sum(p >= threshold for p in ends),
        continues_at_or_above=sum(p >= threshold for p in continues),
    )


def shown(value: float | None, width: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.3f}"


def cost(rows: Sequence[Scored]) -> dict[str, dict[str, float | None]]:
    return {
        kind: {
            "median_ms": median([getattr(r, f"{kind}_ms") for r in rows]),
            "p90_ms": p90([getattr(r, f"{kind}_ms") for r in rows]),
        }
        for kind in ("incremental", "cold")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CASES} cases, spread over the file")
    parser.add_argument("--json", type=Path, default=Path("out/bench/end_of_turn.json"))
    args = parser.parse_args()

    cases = load_devset(DEVSET, "all").pause
    cases = cases[:: len(cases) // QUICK_CASES][:QUICK_CASES] if args.quick else cases
    rows = asyncio.run(score([(case, transcript(case)) for case in cases]))  # sessions first: each runs a loop
    table, costs = summary(rows), cost(rows)
    drift = max(abs(r.p - r.p_cold) for r in rows)

    print(f"end of turn, the embedded model's P(end) (train: in sample), {len(rows)} pause cases of the devset")
    print(f"{'group':<8}{'split':<7}{'end/cont':>10}{'med P end':>11}{'med P cont':>12}", end="")
    print(f"{'AUC':>7}{'thr':>8}{'acc':>7}{'at/above':>10}")
    for name, row in table.items():
        for split, r in (("train", row.train), ("dev", row.dev)):
            print(
                f"{name:<8}{split:<7}{r.ends:>5}/{r.continues:<4}{shown(r.median_p_end, 11)}"
                f"{shown(r.median_p_continue, 12)}{shown(r.auc, 7)}{row.threshold_from_train:>8.3f}"
                f"{r.accuracy_at_threshold:>7.3f}{r.ends_at_or_above:>5}/{r.continues_at_or_above:<4}"
            )
    for kind, numbers in costs.items():
        print(f"{kind:<12} median {numbers['median_ms']:.1f} ms, p90 {numbers['p90_ms']:.1f} ms per call")
    print(f"largest |P incremental - P cold|: {drift:.5f}")

    report = {
        "benchmark": "end_of_turn",
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "cases": len(rows),
        "threads": 2,
        "summary": {name: asdict(row) for name, row in table.items()},
        "cost": costs,
        "largest_p_difference_incremental_vs_cold": round(drift, 6),
        "results": [asdict(r) for r in rows],
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"json: {args.json}")


if __name__ == "__main__":
    main()
