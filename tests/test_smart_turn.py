"""Smart Turn v3.2 on the real model: the pinned file, its features, and what it hears in Piper's speech.

The model comes in the ``pipecat-ai`` wheel, installed without its dependencies (``./dev`` does it with the
voice extra); ``pipecat`` is never imported. The speech is made at test time by Piper (without its random
noise, so the same every run), resampled to 16 kHz, with 200 ms of silence after it, as the VAD leaves it.
"""

from __future__ import annotations

import importlib.util
import sys
from importlib import metadata
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import audio_end_of_turn as bench
from microturn._voice import _pins
from microturn._voice._audio import resample
from microturn._voice._engines import _turn_end
from microturn._voice._fakes import silence
from microturn._voice._protocols import INPUT_RATE
from microturn._voice._smart_turn import MODEL_FILE, SmartTurn
from microturn._voice._whisper_features import compute_whisper_log_mel_features
from microturn.errors import AdapterError, ConfigError

COMPLETE = "What is the capital of Spain?"
INCOMPLETE = "I want to book a flight to"


@pytest.fixture(scope="module")
def smart_turn(tmp_path_factory: pytest.TempPathFactory) -> SmartTurn:
    try:
        metadata.distribution(_pins.SMART_TURN)
    except metadata.PackageNotFoundError:
        install = _pins.MODEL_PINS[_pins.SMART_TURN].install
        pytest.fail(f"the Smart Turn tests need {_pins.SMART_TURN}: ./dev sets it up, or {install}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MICROTURN_CACHE", str(tmp_path_factory.mktemp("cache")))
        return SmartTurn()


@pytest.fixture(scope="module")
def speech() -> dict[str, bytes]:
    from microturn._voice._tts import PiperVoice

    voice = PiperVoice(varied=False)
    return {
        text: resample(b"".join(voice.synthesize(text)), voice.sample_rate, INPUT_RATE) + silence(0.2)
        for text in (COMPLETE, INCOMPLETE)
    }


def test_a_finished_question_sounds_finished_and_a_broken_off_sentence_does_not(
    smart_turn: SmartTurn, speech: dict[str, bytes]
) -> None:
    complete, incomplete = smart_turn.probability(speech[COMPLETE]), smart_turn.probability(speech[INCOMPLETE])
    # docs/learned-decisions-research.md measured 0.9865 and 0.025 through pipecat's own analyzer (its audio
    # resampled by soxr; ours linearly): 0.985 and 0.080 here.
    assert complete > 0.95
    assert incomplete < 0.2


def test_only_the_last_eight_seconds_count(smart_turn: SmartTurn, speech: dict[str, bytes]) -> None:
    long_before = speech[INCOMPLETE] + silence(9.0) + speech[COMPLETE]
    assert smart_turn.probability(long_before) == pytest.approx(
        smart_turn.probability(silence(8.0) + speech[COMPLETE]), abs=1e-6
    )


def upstream_features() -> ModuleType:
    """pipecat's own ``_whisper_features.py``, loaded from its file (importing ``pipecat`` needs its dependencies)."""
    path = Path(
        str(metadata.distribution(_pins.SMART_TURN).locate_file("pipecat/audio/turn/smart_turn/_whisper_features.py"))
    )
    spec = importlib.util.spec_from_file_location("pipecat_whisper_features", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_vendored_features_equal_pipecats(smart_turn: SmartTurn, speech: dict[str, bytes]) -> None:
    upstream = upstream_features()
    for pcm in speech.values():
        audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        window = np.pad(audio, (8 * INPUT_RATE - len(audio), 0))
        ours = compute_whisper_log_mel_features(window)
        assert ours.shape == (80, 800)
        assert np.array_equal(ours, upstream.compute_whisper_log_mel_features(window))
    assert "pipecat" not in sys.modules  # found through its metadata, never imported


def test_a_model_file_that_does_not_match_its_pin_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = _pins.MODEL_PINS[_pins.SMART_TURN]
    wrong = _pins.ModelPin(real.distribution, real.version, real.package, {MODEL_FILE: "0" * 64}, no_deps=True)
    monkeypatch.setattr(_pins, "MODEL_PINS", {real.distribution: wrong})
    monkeypatch.setattr(_pins, "_verified", set())
    monkeypatch.setenv("MICROTURN_CACHE", str(tmp_path))
    with pytest.raises(AdapterError, match=r"smart-turn-v3\.2-cpu\.onnx does not match") as caught:
        SmartTurn()
    assert "pip install --force-reinstall --no-deps 'pipecat-ai==1.14.0'" in str(caught.value)
    assert not caught.value.transient


def test_without_the_wheel_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _pins.MODEL_PINS[_pins.SMART_TURN]
    absent = _pins.ModelPin("pipecat-ai-not-installed", "1.14.0", real.package, real.files, no_deps=True)
    monkeypatch.setattr(_pins, "MODEL_PINS", {_pins.SMART_TURN: absent})
    monkeypatch.setattr(_pins, "_verified", set())
    with pytest.raises(ConfigError, match=r"not installed; pip install --no-deps 'pipecat-ai-not-installed==1\.14\.0'"):
        SmartTurn()


def test_the_light_engines_have_no_audio_end_of_turn(
    smart_turn: SmartTurn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MICROTURN_CACHE", str(tmp_path))
    assert _turn_end(False) is None
    assert isinstance(_turn_end(True), SmartTurn)


def test_the_benchmarks_fusion_and_auc_measure_what_they_say() -> None:
    assert bench.auc([0.9, 0.8], [0.1, 0.8]) == 0.875  # one tie, counted half
    rows = [
        bench.Scored(f"c{index}", split, label, "so i was thinking", p, p)
        for index, (split, label, p) in enumerate(
            [
                *(("train", "end", 0.9), ("train", "end", 0.5), ("train", "continue", 0.2), ("train", "continue", 0.6)),
                *(("dev", "end", 0.8), ("dev", "continue", 0.3)),
            ]
        )
    ]
    result = bench.fusion(rows, lambda row: [0.0], ("nothing",), "alone")
    assert result["fitted_on"] == 4
    assert result["audio"]["auc"] == {"train": 0.75, "dev": 1.0}
    assert result["fused"]["weights"]["logit_p_audio"] > 0  # the audio is what separates them
