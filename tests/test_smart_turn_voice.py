"""The audio end of turn on the voice path: when a stretch of speech ends, its turn's audio is judged and a
``TurnEndSignal(source="audio")`` is recorded for the text the session holds once the final transcript is in.

In virtual time with the fake engines (a "word" is a quarter second of tone) and ``FakeTurnEnd``, a scripted
detector that keeps how much audio it was given. The pieces that decide when a signal may go out
(``TurnAudio``, ``TurnEndSignals``) are tested on their own first.
"""

from __future__ import annotations

import dataclasses

from _voice_session import converse, microphone, of
from microturn import (
    ComponentFailed,
    TurnEndSignal,
    UserSpeechEnded,
    UserTranscript,
    VirtualClock,
)
from microturn._core._floor import FloorState
from microturn._voice._engines import fake_engines
from microturn._voice._fakes import WORD_SECONDS, FakeTurnEnd
from microturn._voice._protocols import INPUT_RATE
from microturn._voice._turn_signals import Slot, TurnAudio, TurnEndSignals

UNFINISHED = ["i", "want", "to", "book", "a", "flight", "to"]
"""Words that sound unfinished: the policy waits after them, so the signal has a turn to be about."""


# --- the pieces ---------------------------------------------------------------------------------------------


def pcm(seconds: float) -> bytes:
    return bytes(2 * round(seconds * INPUT_RATE))


def test_turn_audio_keeps_the_newest_window_of_the_turn_and_restarts_at_a_new_turn() -> None:
    audio = TurnAudio(seconds=1.0)
    for _ in range(100):
        audio.add(pcm(0.032))
    assert len(audio.take(silence=0.2)) == len(pcm(1.0))  # bounded: only the end of a long turn is heard
    audio.restart(pcm(0.096))  # a new turn: its onset frames are the last ones added
    assert len(audio.take(silence=0.0)) == len(pcm(0.096))
    audio.add(pcm(0.5))
    assert len(audio.take(silence=0.2)) == len(pcm(0.096)) + len(pcm(0.5))
    # The model always hears 0.2 s of quiet after the speech, whatever quiet ended the stretch.
    assert len(audio.take(silence=0.3)) == len(pcm(0.096)) + len(pcm(0.4))


def state(text: str, *, pending: int = 0, speaking: bool = False) -> FloorState:
    return FloorState(user_text=text, transcripts_pending=pending, user_speaking=speaking)


def test_a_signal_goes_out_once_both_its_probability_and_its_place_in_the_turn_are_known() -> None:
    signals = TurnEndSignals()
    first, second = Slot(), Slot()
    signals.finalised(first, "I went to the store.")
    assert signals.computed(first, 0.12345) is None  # the session has not folded the final text yet
    assert signals.folded("I went to the store.", state("I went to the store.")) == TurnEndSignal(
        source="audio", probability=0.1235, upto=20
    )
    signals.finalised(second, "And then?")
    assert signals.folded("And then?", state("I went to the store. And then?")) is None  # not computed yet
    assert signals.computed(second, 0.9) == TurnEndSignal(source="audio", probability=0.9, upto=30)


def test_no_signal_when_the_user_went_on_was_answered_or_said_nothing() -> None:
    signals = TurnEndSignals()
    went_on, answered, failed, silent = Slot(), Slot(), Slot(), Slot()
    for slot, text in ((went_on, "so"), (answered, "hi"), (failed, "well"), (silent, "")):
        signals.finalised(slot, text)
        signals.computed(slot, None if slot is failed else 0.8)
    assert signals.folded("so", state("so", pending=1, speaking=True)) is None  # a later stretch began
    assert signals.folded("hi", state("")) is None  # the agent took the words up
    assert signals.folded("well", state("well")) is None  # the detector failed
    assert signals.folded("", state("")) is None  # no words (noise): nothing was told to wait for


def test_a_final_text_lost_on_the_way_does_not_shift_the_signals_after_it() -> None:
    signals = TurnEndSignals()
    lost, kept = Slot(), Slot()
    signals.finalised(lost, "first")
    signals.finalised(kept, "second")
    signals.computed(lost, 0.5)
    signals.computed(kept, 0.7)
    assert signals.folded("second", state("second")) == TurnEndSignal(source="audio", probability=0.7, upto=6)
    assert signals.folded("first", state("first")) is None  # dropped with the ones before the match


# --- through a session, in virtual time ----------------------------------------------------------------------


async def test_a_stretch_that_ends_is_judged_and_its_signal_recorded_for_the_final_text(clock: VirtualClock) -> None:
    detector = FakeTurnEnd([0.07])
    engines = dataclasses.replace(fake_engines(UNFINISHED), turn_end=detector)
    log = await converse(clock, engines, microphone(4.0, [(0.5, 7)]))

    [signal_at] = of(log, TurnEndSignal)
    signal = log[signal_at]
    assert isinstance(signal, TurnEndSignal)
    final = [event for event in log if isinstance(event, UserTranscript) and event.final]
    assert [event.text for event in final] == ["i want to book a flight to"]
    assert (signal.source, signal.probability, signal.upto) == ("audio", 0.07, len("i want to book a flight to"))
    assert of(log, UserSpeechEnded)[0] < log.index(final[0]) < signal_at  # after the text it is about
    # What the detector heard: the stretch from a little before its onset to 0.2 s after its speech.
    [heard] = detector.heard
    assert 7 * WORD_SECONDS + 0.2 < heard < 7 * WORD_SECONDS + 0.2 + 0.3


async def test_a_turn_of_two_stretches_is_heard_whole_and_signalled_at_each_end(clock: VirtualClock) -> None:
    detector = FakeTurnEnd([0.1, 0.95])
    engines = dataclasses.replace(fake_engines([*UNFINISHED, "denver"]), turn_end=detector)
    log = await converse(clock, engines, microphone(6.0, [(0.5, 7), (3.0, 1)]))

    signals = [event for event in log if isinstance(event, TurnEndSignal)]
    whole = "i want to book a flight to denver"
    assert [(signal.probability, signal.upto) for signal in signals] == [(0.1, len(whole) - 7), (0.95, len(whole))]
    first, second = detector.heard
    # The second judgement heard the whole turn: from a little before the first stretch (at 0.5 s) to 0.2 s after
    # the end of the second (3.25 s), the quiet between them too; the second stretch alone is ~0.7 s.
    assert 2.95 < second < 3.25
    assert 1.95 < first < 2.25


async def test_a_failing_detector_costs_a_recorded_failure_and_not_the_conversation(clock: VirtualClock) -> None:
    class BrokenTurnEnd:
        def probability(self, pcm: bytes) -> float:
            raise RuntimeError("the turn model crashed")

    engines = dataclasses.replace(fake_engines(["what", "is", "two", "plus", "three"]), turn_end=BrokenTurnEnd())
    log = await converse(clock, engines, microphone(4.0, [(0.5, 5)]))

    failures = [event for event in log if isinstance(event, ComponentFailed)]
    assert [(f.component, f.name, f.error, f.source) for f in failures] == [
        ("end-of-turn", "audio", "RuntimeError: the turn model crashed", "voice")
    ]
    assert of(log, TurnEndSignal) == []
    said = " ".join(getattr(event, "word", "") for event in log).split()
    assert said == ["2", "plus", "3", "is", "5."]  # answered, and no apology: the user cannot notice


async def test_without_a_detector_nothing_changes(clock: VirtualClock) -> None:
    log = await converse(clock, fake_engines(UNFINISHED), microphone(4.0, [(0.5, 7)]))
    assert of(log, TurnEndSignal) == []
    assert of(log, ComponentFailed) == []
