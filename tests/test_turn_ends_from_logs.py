"""The audio end of turn measured on recorded voice sessions (``microturn turn-ends``, ``_eval/_turn_ends.py``):
each pause the detector judged is read back with what the words said then and labelled by what the user did
next. Sessions here are voice sessions in virtual time through the fake engines and ``FakeTurnEnd`` (a scripted
detector); their logs are what ``microturn serve --log-dir`` keeps."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

from _reading_model import ReadingModel
from _voice_session import microphone, session_log
from microturn import VirtualClock
from microturn._apps._cli import main
from microturn._eval._turn_ends import FIT_LEAST, Pause, measure, read_pauses
from microturn._policies._full_duplex._decisions import DECISIONS, TurnEndContext
from microturn._policies._full_duplex._decisions._learned import LearnedTurnEnd
from microturn._policies._full_duplex._decisions._learned._turn_end import log_odds_of
from microturn._policies._full_duplex._decisions._learned._turn_end_fit import DEFAULT_WAITS
from microturn._voice._engines import fake_engines
from microturn._voice._fakes import FakeTurnEnd

BOOKING = ["i", "want", "to", "book", "a", "flight", "to", "denver"]
"""Said in two stretches: seven words that sound unfinished, a pause, then "denver"."""


def recorded(
    words: list[str],
    audio: list[float] | None,
    speech: list[tuple[float, int]],
    length: float = 8.0,
    reading: float | None = None,
) -> bytes:
    """The log of a voice session in which the user says ``words`` as ``speech`` says, with ``audio`` the
    detector's script (None: no detector), and a model that reads the end of turn as ``reading`` after every word
    as the default (embedded) model does (None: the scripted model, which reads nothing); recorded on its own
    clock, as a session kept by ``serve`` was."""
    engines = fake_engines(words)
    if audio is not None:
        engines = dataclasses.replace(engines, turn_end=FakeTurnEnd(audio))
    clock = VirtualClock()
    model = None if reading is None else ReadingModel(clock, lambda _: reading)
    return clock.run(session_log(clock, engines, microphone(length, speech), model))


def test_a_pause_the_user_went_on_after_and_the_end_of_the_turn_are_read_back() -> None:
    log = recorded(BOOKING, [0.1, 0.95], [(0.5, 7), (3.0, 1)])
    before = DECISIONS["learned"]

    pauses = read_pauses(log)

    assert DECISIONS["learned"] is before  # the replay's noting of the turn end's questions is undone
    assert [(p.text, p.audio, p.label) for p in pauses] == [
        ("i want to book a flight to", 0.1, "continue"),
        ("i want to book a flight to denver", 0.95, "end"),
    ]
    # The words' reading is the learned turn end's, without the audio: after "to" it is clearly not over.
    judge = LearnedTurnEnd(DEFAULT_WAITS)
    alone = judge.estimate("i want to book a flight to", TurnEndContext()).probability
    assert pauses[0].words == pytest.approx(log_odds_of(alone))
    assert pauses[0].words < -1.0


def test_the_words_are_read_with_the_models_reading_as_the_policy_had_it() -> None:
    # The default model reads after every word how likely the turn is over (here a fake: the same for every word,
    # 0.03 s after it is asked). At the pause after "to" the policy had that reading; it weighs in either way.
    speech = [(0.5, 7), (3.0, 1)]
    alone, _ = read_pauses(recorded(BOOKING, [0.1, 0.95], speech))
    sure, _ = read_pauses(recorded(BOOKING, [0.1, 0.95], speech, reading=0.97))
    unsure, _ = read_pauses(recorded(BOOKING, [0.1, 0.95], speech, reading=0.03))

    assert sure.text == alone.text == unsure.text == "i want to book a flight to"
    assert unsure.words + 0.5 < alone.words < sure.words - 1.0


def test_speech_soon_after_the_agent_began_means_the_user_had_not_finished() -> None:
    # A question that sounds finished, heard as finished: the agent answers at once; the user goes on 0.4 s later.
    words = ["what", "is", "two", "plus", "three", "and", "four"]
    log = recorded(words, [0.99, 0.99], [(0.5, 5), (2.2, 2)])

    first, second = read_pauses(log)

    assert (first.text, first.label) == ("what is two plus three", "continue")
    assert second.label == "end"


def test_a_pause_nobody_followed_before_the_session_ended_is_left_out() -> None:
    # Unfinished words, judged unfinished: the agent waits, and the session ends before it speaks.
    log = recorded(BOOKING[:7], [0.02], [(0.5, 7)], length=2.6)

    assert read_pauses(log) == []


def test_a_session_without_the_audio_end_of_turn_has_no_pauses_to_read() -> None:
    assert read_pauses(recorded(BOOKING, None, [(0.5, 7), (3.0, 1)])) == []


def pause(label: str, words: float, audio: float, session: str = "s") -> Pause:
    return Pause(session=session, t=0.0, text="", audio=audio, words=words, label=label)


def test_the_audio_gets_the_weight_it_earns_when_it_separates_what_the_words_cannot() -> None:
    # Words that say nothing (the same log-odds everywhere) and audio that mostly tells the ends apart.
    pauses = [pause("end", 0.0, p) for p in (0.9, 0.8, 0.85, 0.7, 0.95, 0.3)]
    pauses += [pause("continue", 0.0, p) for p in (0.1, 0.2, 0.15, 0.4, 0.05, 0.75)]

    fusion = measure(pauses)

    assert (fusion.pauses, fusion.ends, fusion.sessions) == (12, 6, 1)
    assert fusion.words_auc == 0.5
    assert fusion.audio_auc == pytest.approx(33 / 36)  # of the 36 (end, pause) pairs, 33 ordered right
    assert fusion.shipped_auc == fusion.audio_auc
    assert fusion.fitted is not None
    assert fusion.fitted[1] > 0.5  # the audio's log-odds weigh in
    assert fusion.fitted_auc == pytest.approx(33 / 36)


def test_no_weight_is_fitted_to_too_few_pauses_of_a_label() -> None:
    pauses = [pause("end", 1.0, 0.9)] * (FIT_LEAST - 1) + [pause("continue", -1.0, 0.2)] * 10
    fusion = measure(pauses)
    assert fusion.fitted is None
    assert math.isnan(fusion.fitted_auc)
    assert fusion.words_auc == 1.0


def test_the_command_prints_the_table_and_writes_every_pause(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "one.jsonl").write_bytes(recorded(BOOKING, [0.1, 0.95], [(0.5, 7), (3.0, 1)]))

    assert main(["turn-ends", str(tmp_path / "logs"), "--json", str(tmp_path / "pauses.json")]) == 0

    out = capsys.readouterr().out
    assert "2 pauses the audio end of turn judged, in 1 of 1 session(s): 1 ends of a turn, 1 the user went on" in out
    assert "the audio alone" in out
    assert "1.000" in out
    assert f"each label needs {FIT_LEAST} pauses" in out
    written = json.loads((tmp_path / "pauses.json").read_text())
    assert [p["label"] for p in written["pauses"]] == ["continue", "end"]
    assert written["summary"]["fitted_auc"] is None


def test_logs_without_such_pauses_say_how_to_record_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "typed.jsonl"
    log.write_bytes(recorded(BOOKING, None, [(0.5, 7)], length=4.0))

    assert main(["turn-ends", str(log)]) == 1
    assert "microturn serve --log-dir DIR" in capsys.readouterr().err


def test_a_log_that_cannot_be_read_is_skipped_with_its_reason_and_the_others_are_measured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-broken.jsonl").write_text('{"v": 1, "e": {"kind": "NoSuchEvent"}}\n')
    (tmp_path / "b-good.jsonl").write_bytes(recorded(BOOKING, [0.1, 0.95], [(0.5, 7), (3.0, 1)]))

    assert main(["turn-ends", str(tmp_path)]) == 0

    captured = capsys.readouterr()
    assert f"skipped {tmp_path / 'a-broken.jsonl'}:" in captured.err
    assert "2 pauses the audio end of turn judged, in 1 of 2 session(s)" in captured.out
