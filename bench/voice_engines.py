"""What each offline speech engine costs on this CPU: load time, latency, real-time factor.

* **load**: building each engine from its installed wheel, cold for the process (the shared model
  caches are emptied between rounds; the OS file cache is warm after the first);
* **Whisper tiny.en**: real-time factor (compute time / audio time) on a ~3 s utterance;
* **Piper**: time to the first chunk of a multi-clause reply, and real-time factor over the reply;
  espeak-ng likewise, for comparison;
* **VAD**: cost per frame (Silero 32 ms, WebRTC 30 ms); **PocketSphinx**: cost per 100 ms chunk.

The test speech is made by Piper and resampled to 16 kHz, as in the tests. Medians over the rounds.

    python bench/voice_engines.py [--rounds 5] [--json out/bench/voice_engines.json]
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from microturn._voice import _stt as stt
from microturn._voice import _tts as tts
from microturn._voice._audio import resample
from microturn._voice._fakes import silence
from microturn._voice._protocols import INPUT_RATE, Synthesizer, VoiceActivity
from microturn._voice._stt import SphinxPartials, WhisperFinal
from microturn._voice._tts import EspeakVoice, PiperVoice
from microturn._voice._vad import SileroVad, WebRtcVad

UTTERANCE = "could you tell me the quickest way to get to the train station from here"
REPLY = "Sure, take the second street on the left, then walk straight on for about five minutes."
CHUNK = INPUT_RATE // 10
"""Samples per PocketSphinx chunk: 100 ms, as a microphone stream would deliver them."""


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def loads(rounds: int) -> dict[str, dict[str, float]]:
    """Load time of each engine in ms: the first in this process (cold), and the median of the rounds."""

    def whisper() -> None:
        stt._whisper_models.clear()
        WhisperFinal().load()

    def piper() -> None:
        tts._piper_voices.clear()
        PiperVoice()

    builders: dict[str, Callable[[], object]] = {
        "silero_vad": SileroVad,
        "webrtc_vad": WebRtcVad,
        "sphinx_partials": SphinxPartials,
        "whisper_final": whisper,
        "piper": piper,
        "espeak": EspeakVoice,  # one process-wide library: only the first round is really cold
    }
    report: dict[str, dict[str, float]] = {}
    for name, build in builders.items():
        times = [timed(build) for _ in range(rounds)]
        report[name] = {"first_ms": 1000 * times[0], "median_ms": 1000 * statistics.median(times)}
    return report


def synthesis(voice: Synthesizer, rounds: int) -> dict[str, float]:
    """Time to the first chunk (ms) and real-time factor of a multi-clause reply."""
    first: list[float] = []
    factor: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        chunks = iter(voice.synthesize(REPLY))
        audio = [next(chunks)]
        first.append(time.perf_counter() - started)
        audio.extend(chunks)
        elapsed = time.perf_counter() - started
        factor.append(elapsed / (sum(len(chunk) for chunk in audio) / 2 / voice.sample_rate))
    return {"first_chunk_ms": 1000 * statistics.median(first), "rtf": statistics.median(factor)}


def per_frame(vad: VoiceActivity, pcm: bytes, rounds: int) -> float:
    """Median cost of one VAD frame, in µs."""
    size = 2 * vad.frame_samples
    frames = [pcm[start : start + size] for start in range(0, len(pcm) - size + 1, size)]
    costs: list[float] = []
    for _ in range(rounds):
        vad.reset()
        costs.append(timed(lambda: [vad.probability(frame) for frame in frames]) / len(frames))
    return 1e6 * statistics.median(costs)


def per_chunk(pcm: bytes, rounds: int) -> dict[str, float]:
    """PocketSphinx cost per 100 ms chunk, in ms: median and worst over the rounds."""
    partials = SphinxPartials()
    costs: list[float] = []
    for _ in range(rounds):
        partials.start()
        for start in range(0, len(pcm), 2 * CHUNK):
            chunk = pcm[start : start + 2 * CHUNK]
            costs.append(timed(functools.partial(partials.feed, chunk)))
        partials.finish()
    return {"median_ms": 1000 * statistics.median(costs), "max_ms": 1000 * max(costs)}


def main_report(rounds: int) -> dict[str, Any]:
    load_ms = loads(rounds)
    piper = PiperVoice()
    speech = resample(b"".join(piper.synthesize(UTTERANCE)), piper.sample_rate, INPUT_RATE)
    utterance = silence(0.2) + speech + silence(0.2)
    seconds = len(utterance) / 2 / INPUT_RATE
    whisper = WhisperFinal()
    text = whisper.transcribe(utterance)
    whisper_s = statistics.median(timed(lambda: whisper.transcribe(utterance)) for _ in range(rounds))
    return {
        "benchmark": "voice_engines",
        "rounds": rounds,
        "load_ms": load_ms,
        "whisper": {"utterance_s": seconds, "median_s": whisper_s, "rtf": whisper_s / seconds, "text": text},
        "piper": synthesis(piper, rounds),
        "espeak": synthesis(EspeakVoice(), rounds),
        "silero_frame_us": per_frame(SileroVad(), utterance, rounds),
        "webrtc_frame_us": per_frame(WebRtcVad(), utterance, rounds),
        "sphinx_chunk": per_chunk(utterance, rounds),
    }


def show(report: dict[str, Any]) -> None:
    for name, ms in report["load_ms"].items():
        print(f"load {name:<16} {ms['median_ms']:8.1f} ms (first in process {ms['first_ms']:.1f} ms)")
    whisper = report["whisper"]
    print(
        f"whisper tiny.en       {whisper['median_s'] * 1000:8.1f} ms on {whisper['utterance_s']:.2f} s"
        f"   RTF {whisper['rtf']:.3f}   {whisper['text']!r}"
    )
    for name in ("piper", "espeak"):
        print(f"{name:<21} {report[name]['first_chunk_ms']:8.1f} ms to first chunk   RTF {report[name]['rtf']:.3f}")
    print(f"silero VAD            {report['silero_frame_us']:8.1f} µs per 32 ms frame")
    print(f"webrtc VAD            {report['webrtc_frame_us']:8.1f} µs per 30 ms frame")
    sphinx = report["sphinx_chunk"]
    print(f"pocketsphinx          {sphinx['median_ms']:8.2f} ms per 100 ms chunk (max {sphinx['max_ms']:.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=Path("out/bench/voice_engines.json"))
    args = parser.parse_args()
    print(f"offline speech engines, medians over {args.rounds} rounds")
    report = main_report(args.rounds)
    show(report)
    report["machine"] = {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"json: {args.json}")


if __name__ == "__main__":
    main()
