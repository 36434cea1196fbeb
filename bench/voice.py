"""Voice to voice on this CPU: from the end of the user's speech to the agent's first audio, through a real channel.

Each spoken question is synthesised at run time by the Piper voice, resampled to 16 kHz and fed to
a real ``VoiceChannel`` (and the ``Session`` that speaks through it) with the embedded engines
(Silero, PocketSphinx, Whisper tiny.en, Piper) on the system clock: 20 ms of microphone audio at a
time, each piece when it has been "recorded", then silence. The clock starts at the end of the
question's sound in the input (the last 10 ms louder than -40 dBFS) and stops when the first
``AgentAudioChunk`` comes out. Its parts:

* **speech end**: end of sound → ``UserSpeechEnded`` (the quiet that ends the stretch, Silero's tail);
* **final wait**: ``UserSpeechEnded`` → the final transcript (what is left of Whisper's run);
* **model**: the reply's start → its first clause, ready to synthesise (the first audio less the
  synthesis time; ~0 for the scripted model);
* **tts**: Piper on the first clause.

Also Whisper's real-time factor (compute / audio over its calls) and how many early runs were used
or wasted. Two set-ups side by side, interleaved question by question so a noisy moment hits both:

* ``baseline``: what someone would ship without our tuning, on the same engines and weights. The VAD
  ends a stretch after one default hangover of 0.3 s (between Pipecat 1.14's ``VADParams.stop_secs``
  of 0.2 s, which it pairs with a turn model, and LiveKit's 0.55 s); Whisper runs once the stretch
  has ended, on the utterance's clip, through faster-whisper's default call,
  ``WhisperModel.transcribe(clip, language="en")`` — the call Pipecat's ``WhisperSTTService`` makes:
  beam search of 5, timestamps, and faster-whisper pads the clip to Whisper's 30 s window itself;
  the first clause goes to the synthesizer at six words or the first punctuation
  (``microturn._voice._tuning.BASELINE``).
* ``tuned``: the channel's defaults: a shorter hangover after words that sound complete, early
  Whisper runs at pauses, greedy decoding on an encoder window that fits the clip, four-word first clause.

Medians and p90 over every question and round; JSON out.

    python bench/voice.py [--model scripted] [--model embedded] [--rounds 3] [--json out/bench/voice.json]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from microturn import (
    AgentAudio,
    AgentSpeechStarted,
    Clock,
    EndSession,
    SpeechPurpose,
    SystemClock,
    UserSpeechEnded,
    UserTranscript,
    open_bus,
)
from microturn._models import ChatModel, ScriptedModel
from microturn._session import Session
from microturn._voice._audio import resample, rms
from microturn._voice._channel import AgentAudioChunk, SessionEvent, VoiceChannel
from microturn._voice._fakes import silence
from microturn._voice._protocols import INPUT_RATE, VoiceEngines
from microturn._voice._stt import WhisperFinal
from microturn._voice._tuning import BASELINE, VoiceTuning

QUESTIONS = (
    "What is the capital of France?",
    "Tell me a story.",
    "How far away is the moon?",
    "What is two plus three?",
    "Can you recommend a good book to read this weekend?",
    "Why is the sky blue?",
    "So, what is the tallest mountain in the world?",  # pauses at the commas: early runs wasted
    "Hmm, let me think, how long does it take to boil an egg?",
)
TUNINGS = {"baseline": BASELINE, "tuned": VoiceTuning()}
"""The tunings compared, by name; ``--variant`` adds more."""
CHUNK = 0.02
"""Seconds of microphone audio per ``hear``, as the browser's AudioWorklet sends it."""
LEAD = 0.5
"""Silence before the question."""
TAIL = 8.0
"""Silence after it, at most: the reply comes well within this (the conversation ends soon after the first audio),
even the warm-up's, which loads the model on a machine busy with other work."""
AFTER = 0.5
"""Seconds the conversation goes on after the first agent audio (its first clip is recorded by then)."""
_LOUD = 328.0  # RMS of -40 dBFS: quieter than this is the end of the sound


class ShippedWhisper:
    """Whisper tiny.en as faster-whisper runs it by default: ``transcribe`` with its default options on the clip."""

    def __init__(self, whisper: Any) -> None:
        self._whisper = whisper

    def transcribe(self, pcm: bytes) -> str:
        audio = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float32) / 32768.0
        segments, _ = self._whisper.transcribe(audio, language="en")
        return " ".join(segment.text.strip() for segment in segments)


class TimedTranscriber:
    """The accurate recogniser, its calls timed (compute seconds, audio seconds): Whisper's real-time factor."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: list[tuple[float, float]] = []

    def transcribe(self, pcm: bytes) -> str:
        started = time.perf_counter()
        text = str(self._inner.transcribe(pcm))
        self.calls.append((time.perf_counter() - started, len(pcm) / 2 / INPUT_RATE))
        return text


@dataclass
class Sample:
    """One question, one tuning: the moments (session seconds) and what was heard."""

    question: str
    tuning: str
    sound_end: float
    speech_ended: float
    hangover: float
    """The quiet that ended the stretch (shorter after words that sound complete)."""
    final: float
    reply: float
    first_audio: float
    tts: float
    rough: str
    """The rough recogniser's last hypothesis."""
    transcript: str
    whisper: list[tuple[float, float]] = field(default_factory=list)
    early_runs: int = 0
    early_finals: int = 0
    early_wasted: int = 0

    @property
    def parts(self) -> dict[str, float]:
        return {
            "voice_to_voice": self.first_audio - self.sound_end,
            "speech_end": self.speech_ended - self.sound_end,
            "final_wait": self.final - self.speech_ended,
            "decide": self.reply - self.final,
            "model": max(0.0, self.first_audio - self.reply - self.tts),
            "tts": self.tts,
        }


def sound_end(pcm: bytes) -> float:
    """Where the sound in ``pcm`` ends, in seconds (the end of its last 10 ms block louder than -40 dBFS)."""
    block = 2 * INPUT_RATE // 100
    loud = [offset for offset in range(0, len(pcm), block) if rms(pcm[offset : offset + block]) > _LOUD]
    return (loud[-1] + block) / (2 * INPUT_RATE)


async def conversation(
    clock: Clock,
    engines: VoiceEngines,
    model: ChatModel,
    speech: bytes,
    question: str,
    name: str,
    tuning: VoiceTuning,
) -> Sample:
    """One question through a fresh channel, fed in real time; ends shortly after the first agent audio."""
    timed = TimedTranscriber(engines.final)
    engines = replace(engines, final=timed)
    channel = VoiceChannel(engines=engines, clock=clock, tuning=tuning)
    session = Session(bus=open_bus("memory"), clock=clock, model=model, session_id="voice", output=channel.output)
    audio = silence(LEAD) + speech + silence(TAIL)
    events: list[Any] = []
    heard: list[float] = []

    async def speak() -> None:
        start = clock.now() - session.now()
        step = round(2 * INPUT_RATE * CHUNK)
        for index, offset in enumerate(range(0, len(audio), step)):
            await clock.sleep_until(start + (index + 1) * CHUNK)
            channel.hear(audio[offset : offset + step])
            if heard and session.now() > heard[0] + AFTER:
                break  # measured: no need to hear the whole reply
        await session.inject(EndSession())

    async def listen() -> None:
        async for item in channel.outbound():
            if isinstance(item, AgentAudioChunk) and not heard:
                heard.append(session.now())
            elif isinstance(item, SessionEvent):
                events.append(item.event)

    async with clock.timeout_at(clock.now() + 60), asyncio.TaskGroup() as tasks:
        tasks.create_task(session.run())
        tasks.create_task(channel.run(session))
        tasks.create_task(speak())
        tasks.create_task(listen())
    if not heard:
        raise SystemExit(f"no agent audio for {question!r} ({name})")
    ended = next(event for event in events if isinstance(event, UserSpeechEnded))
    final = next(event for event in events if isinstance(event, UserTranscript) and event.final)
    reply = next(
        event for event in events if isinstance(event, AgentSpeechStarted) and event.purpose is SpeechPurpose.REPLY
    )
    clip = next(event for event in events if isinstance(event, AgentAudio))
    stats = channel.stats
    return Sample(
        question=question,
        tuning=name,
        sound_end=LEAD + sound_end(speech),
        speech_ended=ended.t,
        hangover=ended.silence,
        final=final.t,
        reply=reply.t,
        first_audio=heard[0],
        tts=clip.synthesis,
        rough=next(
            (event.text for event in reversed(events) if isinstance(event, UserTranscript) and not event.final), ""
        ),
        transcript=final.text,
        whisper=timed.calls,
        early_runs=stats.early_runs,
        early_finals=stats.early_finals,
        early_wasted=stats.early_wasted,
    )


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def summary(model: str, name: str, tuning: VoiceTuning, samples: list[Sample]) -> dict[str, Any]:
    parts = {name: [sample.parts[name] for sample in samples] for name in samples[0].parts}
    calls = [call for sample in samples for call in sample.whisper]
    return {
        "model": model,
        "tuning": name,
        "settings": asdict(tuning),
        "samples": len(samples),
        "ms": {
            name: {"median": 1000 * statistics.median(values), "p90": 1000 * p90(values)}
            for name, values in parts.items()
        },
        "whisper_rtf": sum(compute for compute, _ in calls) / sum(audio for _, audio in calls),
        "whisper_ms": 1000 * statistics.median(compute for compute, _ in calls),
        "whisper_calls": len(calls),
        "early_runs": sum(sample.early_runs for sample in samples),
        "early_finals": sum(sample.early_finals for sample in samples),
        "early_wasted": sum(sample.early_wasted for sample in samples),
        "transcripts": sorted({sample.transcript for sample in samples}),
    }


def show_header() -> None:
    print(
        f"{'model':<9} {'tuning':<8} {'voice to voice':>16} │ {'speech end':>10} {'final wait':>10} "
        f"{'model':>6} {'tts':>5} │ {'whisper':>7} {'RTF':>5} │ early used/wasted/runs"
    )


def show(row: dict[str, Any]) -> None:
    ms = row["ms"]
    voice = ms["voice_to_voice"]
    print(
        f"{row['model']:<9} {row['tuning']:<8} {voice['median']:7.0f} (p90 {voice['p90']:4.0f}) │ "
        f"{ms['speech_end']['median']:10.0f} {ms['final_wait']['median']:10.0f} {ms['model']['median']:6.0f} "
        f"{ms['tts']['median']:5.0f} │ {row['whisper_ms']:5.0f}ms {row['whisper_rtf']:5.2f} │ "
        f"{row['early_finals']}/{row['early_wasted']}/{row['early_runs']}",
        flush=True,
    )


def make_model(name: str, clock: Clock) -> ChatModel:
    if name == "scripted":
        return ScriptedModel()
    from microturn._models._embedded import EmbeddedModel

    return EmbeddedModel(clock=clock)


async def measure(
    models: list[str],
    rounds: int,
    engines: VoiceEngines,
    voice: Callable[[str], bytes],
    tunings: dict[str, VoiceTuning] = TUNINGS,
) -> list[dict[str, Any]]:
    clock = SystemClock()
    speeches = {question: voice(question) for question in QUESTIONS}
    rows: list[dict[str, Any]] = []
    for name in models:
        model = make_model(name, clock)
        first = QUESTIONS[0]  # a warm-up, not measured: the model loads and takes in its preamble
        await conversation(clock, engines, model, speeches[first], first, "warm-up", TUNINGS["tuned"])
        samples: dict[str, list[Sample]] = {tuning: [] for tuning in tunings}
        shipped = ShippedWhisper(WhisperFinal()._model())  # the same loaded weights, the default call
        order = list(tunings)
        for _ in range(rounds):
            for question in QUESTIONS:
                for tuning in order:  # interleaved, taking turns at going first
                    engines.vad.reset()  # a fresh stream (the models are loaded once, as a server does)
                    heard_by = replace(engines, final=shipped) if tuning == "baseline" else engines
                    sample = await conversation(
                        clock, heard_by, model, speeches[question], question, tuning, tunings[tuning]
                    )
                    samples[tuning].append(sample)
                order.reverse()
        base = None
        for tuning, taken in samples.items():
            row = summary(name, tuning, tunings[tuning], taken)
            rows.append(row | {"raw": [asdict(sample) | {"parts": sample.parts} for sample in taken]})
            show(row)
            median = row["ms"]["voice_to_voice"]["median"]
            if base is None:
                base = median
            else:
                print(f"{name:<9} {tuning:<8} {base / median:5.2f}x the baseline ({base - median:.0f} ms sooner)")
    return rows


def variant(text: str) -> tuple[str, VoiceTuning]:
    """``name:field=value,...`` (a field of ``VoiceTuning``; ``none`` for no value) as a named tuning."""
    name, _, settings = text.partition(":")
    fields = {field.name: field for field in dataclasses.fields(VoiceTuning)}
    values: dict[str, Any] = {}
    for setting in filter(None, settings.split(",")):
        key, _, value = setting.partition("=")
        if key not in fields:
            raise SystemExit(f"--variant: no setting {key!r}; choose from {', '.join(fields)}")
        values[key] = None if value == "none" else int(value) if key == "first_clause" else float(value)
    return name, VoiceTuning(**values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", choices=["scripted", "embedded"], help="repeat for both")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=Path("out/bench/voice.json"))
    parser.add_argument(
        "--variant", action="append", default=[], help="another tuning to compare: NAME:early_final=0.1,first_clause=4"
    )
    args = parser.parse_args()
    tunings = TUNINGS | dict(variant(text) for text in args.variant)
    from microturn._voice._engines import load_engines
    from microturn._voice._tts import PiperVoice

    piper = PiperVoice()

    def voice(text: str) -> bytes:
        return resample(b"".join(piper.synthesize(text)), piper.sample_rate, INPUT_RATE)

    models = args.model or ["scripted"]
    print(f"voice to voice (ms), {len(QUESTIONS)} questions x {args.rounds} rounds, medians; real engines, real time")
    show_header()
    rows = asyncio.run(measure(models, args.rounds, load_engines(), voice, tunings))
    report = {
        "benchmark": "voice",
        "questions": list(QUESTIONS),
        "tunings": {name: asdict(tuning) for name, tuning in tunings.items()},
        "rounds": args.rounds,
        "rows": rows,
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"json: {args.json}")


if __name__ == "__main__":
    main()
