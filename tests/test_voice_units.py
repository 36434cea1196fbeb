"""The sans-I/O parts of voice: segmenting speech, settled words, the voice output, the floor and the policy.

Each is driven by hand here; ``test_voice_pipeline.py`` runs them together through a VoiceChannel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence

import pytest

from microturn import (
    AgentAudio,
    AgentSpeechEnded,
    AgentSpeechHeld,
    AgentSpeechReleased,
    AgentSpeechStarted,
    AgentWord,
    EndReason,
    Event,
    Hold,
    Modality,
    Release,
    Reply,
    SessionConfig,
    Silence,
    SpeechPurpose,
    Stop,
    UserInput,
    UserSpeechEnded,
    UserSpeechStarted,
    UserTranscript,
    VirtualClock,
)
from microturn._core._actions import Action
from microturn._core._floor import FloorTracker
from microturn._core._timeline import Timeline
from microturn._policies import MicroTurn
from microturn._policies._full_duplex import FullDuplexPolicy
from microturn._session._output import OutputStream
from microturn._voice._fakes import WORD_SECONDS, FakeSynthesizer
from microturn._voice._listening import (
    Segment,
    Segmenter,
    SettledWords,
    SpeechAudio,
    SpeechEnd,
    SpeechPause,
    SpeechResumed,
    SpeechStart,
    whole_samples,
)
from microturn._voice._output import AgentAudioChunk, AudioOut, FlushAudio, VoiceOutput, _next_clause
from microturn._voice._tuning import BASELINE
from microturn.errors import ConfigError
from microturn.testing import end, run_session, typed

# --- segmenting speech -------------------------------------------------------------------------------

FRAME = 512  # samples: 32 ms at 16 kHz


def frame(index: int) -> bytes:
    return index.to_bytes(2, "little") * FRAME  # each frame tells which it is


def push(segmenter: Segmenter, probabilities: Sequence[float]) -> list[tuple[int, Segment]]:
    return [
        (index, segment)
        for index, probability in enumerate(probabilities)
        for segment in segmenter.push(frame(index), probability)
    ]


def test_speech_starts_after_two_speech_frames_with_the_audio_from_before_it() -> None:
    segmenter = Segmenter(frame_samples=FRAME, preroll=0.1)  # 0.1 s: 3 frames before the two onset frames
    out = push(segmenter, [0.0] * 6 + [0.9, 0.9, 0.9])
    assert [(index, type(segment)) for index, segment in out] == [(7, SpeechStart), (8, SpeechAudio)]
    start = out[0][1]
    assert isinstance(start, SpeechStart)
    assert start.pcm == b"".join(frame(index) for index in range(3, 8))
    assert segmenter.speaking


def test_a_click_is_not_speech() -> None:
    segmenter = Segmenter(frame_samples=FRAME)
    assert push(segmenter, [0.0, 0.9, 0.0, 0.9, 0.1]) == []


def test_speech_ends_after_a_short_silence_and_tells_how_long_it_lasted() -> None:
    segmenter = Segmenter(frame_samples=FRAME, tuning=BASELINE)  # 0.3 s: 9 frames
    speech = [0.9] * 10 + [0.4] + [0.9] * 4  # 0.4 is above the release level: still speech
    out = push(segmenter, speech + [0.1] * 9 + [0.9])
    ends = [(index, segment) for index, segment in out if isinstance(segment, SpeechEnd)]
    assert ends == [(23, SpeechEnd(duration=round(15 * 0.032, 6), silence=round(9 * 0.032, 6)))]
    assert not segmenter.speaking  # the last frame alone does not start speech again


def test_a_pause_is_reported_sooner_and_the_stretch_ends_sooner_after_words_that_sound_complete() -> None:
    segmenter = Segmenter(frame_samples=FRAME)  # pause 0.12 s (4 frames) / 0.06 s (2); end 0.3 s (9) / 0.2 s (6)
    speech = [0.9] * 5
    out = push(segmenter, speech + [0.1] * 4 + [0.9] * 2 + [0.1] * 9)
    kinds = [(index, type(segment)) for index, segment in out if not isinstance(segment, SpeechAudio)]
    # Unfinished words: a pause after 4 quiet frames, the speech resumes, a pause again, the end after 9.
    assert kinds == [(1, SpeechStart), (8, SpeechPause), (9, SpeechResumed), (14, SpeechPause), (19, SpeechEnd)]
    [pause, *_] = [segment for _, segment in out if isinstance(segment, SpeechPause)]
    assert pause.duration == round(5 * 0.032, 6)  # the speech so far, as the stretch's end would count it

    segmenter.push(frame(0), 0.9)
    segmenter.push(frame(1), 0.9)  # stretch 2 begins
    segmenter.words_complete(1, True)  # a late word of stretch 1 changes nothing
    assert [type(s) for i in range(9) for s in segmenter.push(frame(i), 0.1) if not isinstance(s, SpeechAudio)] == [
        SpeechPause,
        SpeechEnd,
    ]
    segmenter.push(frame(0), 0.9)
    segmenter.push(frame(1), 0.9)  # stretch 3: its words sound complete
    segmenter.words_complete(3, True)
    quiet = [[type(s) for s in segmenter.push(frame(i), 0.1) if not isinstance(s, SpeechAudio)] for i in range(6)]
    assert quiet == [[], [SpeechPause], [], [], [], [SpeechEnd]]  # a pause after 2 frames, the end after 6


def test_without_early_runs_no_pause_is_reported() -> None:
    segmenter = Segmenter(frame_samples=FRAME, tuning=BASELINE)
    out = push(segmenter, [0.9] * 5 + [0.1] * 9)
    assert [type(segment) for _, segment in out if not isinstance(segment, SpeechAudio)] == [SpeechStart, SpeechEnd]


def test_speech_longer_than_the_longest_stretch_is_cut() -> None:
    segmenter = Segmenter(frame_samples=FRAME, longest=0.32)  # 10 frames
    out = push(segmenter, [0.9] * 14)
    assert [index for index, segment in out if isinstance(segment, SpeechEnd)] == [9]
    assert [index for index, segment in out if isinstance(segment, SpeechStart)] == [1, 11]


def test_segmenter_settings_are_checked() -> None:
    with pytest.raises(ConfigError):
        Segmenter(frame_samples=FRAME, threshold=0.3, release=0.5)


def test_settled_words_are_those_two_hypotheses_agree_on() -> None:
    settled = SettledWords()
    assert settled.update("the") == []
    assert settled.update("tell") == []
    assert settled.update("tell me") == ["tell"]
    assert settled.update("tell me they") == ["me"]
    assert settled.update("tell me a story") == []
    assert settled.update("tell me a story") == ["a", "story"]
    assert settled.update("tell my a story") == []  # given out is given out: the final transcript corrects it
    assert settled.finish("tell me a story please") == ["please"]
    assert settled.update("new") == []  # afresh


def test_pcm_must_be_whole_samples() -> None:
    assert whole_samples(b"\x01\x02") == (b"\x01\x02", None)
    pcm, problem = whole_samples(b"\x01\x02\x03")
    assert pcm == b"\x01\x02"
    assert problem == "odd-length PCM chunk (3 bytes): s16le samples are 2 bytes; its last byte was dropped"


# --- clauses ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "final", "clause", "rest"),
    [
        ("Sure, I can ", False, "Sure,", "I can "),
        ("It costs 3.5 euros. Then ", False, "It costs 3.5 euros.", "Then "),
        ("Ask Dr. Who about it! ", False, "Ask Dr. Who about it!", ""),
        ("no punctuation yet", False, None, "no punctuation yet"),
        ("no punctuation yet", True, "no punctuation yet", ""),
        ("one two three four five six seven ", False, "one two three four five six", "seven "),
        ("one two three four five six seven", False, None, "one two three four five six seven"),  # "seven..."
        ("   ", True, None, "   "),
    ],
)
def test_clauses_end_at_punctuation_or_after_a_run_of_words(
    text: str, final: bool, clause: str | None, rest: str
) -> None:
    assert _next_clause(text, final=final, longest=6) == (clause, rest)


# --- the voice output --------------------------------------------------------------------------------------


class Loop:
    """What the session loop does with its speaker, without a session: take words when due, sleep till next."""

    def __init__(self, clock: VirtualClock, output: VoiceOutput) -> None:
        self.clock = clock
        self.output = output
        self.words: list[tuple[float, str, float]] = []
        self.records: list[Event] = []
        self._wake = asyncio.Event()
        output.set_listener(self._wake.set)

    async def run_until(self, until: float) -> None:
        passes = 0
        while self.clock.now() < until - 1e-9:
            now = self.clock.now()
            passes += 1
            assert passes < 10_000, "the output keeps asking to run at once"
            self._wake.clear()
            word = self.output.take_due(now)
            self.records += self.output.take_records()
            if word is not None:
                self.words.append((now, word, self.output.word_duration))
                continue
            if self.output.utterance is not None and self.output.finished(now):
                self.output.end()
            wake = self.output.next_awake()
            await self.clock.wait_until(self._wake, min(until, now + 0.2, *([wake] if wake is not None else [])))


class FailingSynthesizer(FakeSynthesizer):
    def synthesize(self, text: str) -> Iterator[bytes]:
        raise RuntimeError("the voice model crashed")


@pytest.fixture
def sent() -> list[AudioOut]:
    return []


def voice(clock: VirtualClock, sent: list[AudioOut], synthesizer: FakeSynthesizer | None = None) -> VoiceOutput:
    return VoiceOutput(clock=clock, tts=synthesizer or FakeSynthesizer(), send=sent.append, fallback_rate=0.4)


async def test_the_first_clause_plays_before_the_reply_is_complete(clock: VirtualClock, sent: list[AudioOut]) -> None:
    output = voice(clock, sent)
    loop = Loop(clock, output)
    async with asyncio.TaskGroup() as tasks:
        worker = tasks.create_task(output.run())
        output.start(1, SpeechPurpose.REPLY, clock.now())
        output.feed("Hello there, how are")  # the model is still writing
        await loop.run_until(0.5)
        assert [word for _, word, _ in loop.words] == ["Hello", "there,"]
        output.feed(" you?")
        output.finish_input()
        await loop.run_until(3.0)
        worker.cancel()
    assert [word for _, word, _ in loop.words] == ["Hello", "there,", "how", "are", "you?"]
    assert output.utterance is None  # it finished and ended
    clips = [record for record in loop.records if isinstance(record, AgentAudio)]
    assert [(clip.text, clip.duration) for clip in clips] == [
        ("Hello there,", 2 * WORD_SECONDS),
        ("how are you?", 3 * WORD_SECONDS),
    ]
    assert not [item for item in sent if isinstance(item, FlushAudio)]  # it played to the end


async def test_words_are_timed_by_their_share_of_the_audio(clock: VirtualClock, sent: list[AudioOut]) -> None:
    output = voice(clock, sent)
    loop = Loop(clock, output)
    async with asyncio.TaskGroup() as tasks:
        worker = tasks.create_task(output.run())
        output.start(1, SpeechPurpose.REPLY, clock.now())
        output.feed("a extraordinary day.")  # three words: 0.75 s of audio, shared out by characters (and a space)
        output.finish_input()
        await loop.run_until(2.0)
        worker.cancel()
    (t1, _, d1), (t2, _, d2), (t3, _, d3) = loop.words
    assert d1 + d2 + d3 == pytest.approx(3 * WORD_SECONDS)
    assert (d1, d2, d3) == pytest.approx((0.75 * 2 / 21, 0.75 * 14 / 21, 0.75 * 5 / 21), abs=1e-4)
    assert (t2 - t1, t3 - t2) == pytest.approx((d1, d2), abs=1e-6)
    pieces = [item for item in sent if isinstance(item, AgentAudioChunk)]
    assert [piece.text for piece in pieces] == ["a", "extraordinary", "day."]
    assert sum(len(piece.pcm) for piece in pieces) == 2 * round(0.75 * 16_000)


async def test_audio_goes_out_a_little_ahead_only_when_it_follows_on(clock: VirtualClock) -> None:
    sent: list[tuple[float, AudioOut]] = []
    output = VoiceOutput(clock=clock, tts=FakeSynthesizer(), send=lambda item: sent.append((clock.now(), item)))
    loop = Loop(clock, output)
    async with asyncio.TaskGroup() as tasks:
        worker = tasks.create_task(output.run())
        output.start(1, SpeechPurpose.REPLY, clock.now())
        output.feed("one two three")
        output.finish_input()
        await loop.run_until(2.0)
        worker.cancel()
    starts = {word: at for at, word, _ in loop.words}
    sends = {item.text: at for at, item in sent if isinstance(item, AgentAudioChunk)}
    assert sends["one"] == pytest.approx(starts["one"])  # nothing is playing yet: it would start early
    assert sends["two"] == pytest.approx(starts["two"] - 0.1)
    assert sends["three"] == pytest.approx(starts["three"] - 0.1)


async def test_a_hold_flushes_the_audio_and_a_release_goes_on_from_the_next_word(
    clock: VirtualClock, sent: list[AudioOut]
) -> None:
    output = voice(clock, sent)
    loop = Loop(clock, output)
    async with asyncio.TaskGroup() as tasks:
        worker = tasks.create_task(output.run())
        output.start(1, SpeechPurpose.REPLY, clock.now())
        output.feed("one two three four. five six.")
        output.finish_input()
        await loop.run_until(0.6)  # "three" began at 0.5
        output.hold(clock.now())
        assert output.held
        assert sent[-1] == FlushAudio(1)
        assert output.remainder() == "four. five six."
        await loop.run_until(2.0)  # held: nothing more is said
        assert [word for _, word, _ in loop.words] == ["one", "two", "three"]
        output.release(clock.now())
        await loop.run_until(4.0)
        worker.cancel()
    assert [word for _, word, _ in loop.words] == ["one", "two", "three", "four.", "five", "six."]
    assert loop.words[3][0] == pytest.approx(2.0, abs=0.01)  # right on release: it was made during the hold
    after = [item.text for item in sent[sent.index(FlushAudio(1)) + 1 :] if isinstance(item, AgentAudioChunk)]
    assert after == ["four.", "five", "six."]


async def test_ending_an_utterance_early_flushes_and_returns_exactly_the_words_begun(
    clock: VirtualClock, sent: list[AudioOut]
) -> None:
    output = voice(clock, sent)
    loop = Loop(clock, output)
    async with asyncio.TaskGroup() as tasks:
        worker = tasks.create_task(output.run())
        output.start(1, SpeechPurpose.REPLY, clock.now())
        output.feed("one two three four")
        output.finish_input()
        await loop.run_until(0.3)
        output.hold(clock.now())
        assert output.end() == "one two"
        worker.cancel()
    assert sent.count(FlushAudio(1)) == 1  # once, at the hold: after it nothing was queued any more
    assert output.utterance is None


async def test_a_failing_synthesizer_still_delivers_the_words_as_text(
    clock: VirtualClock, sent: list[AudioOut]
) -> None:
    output = voice(clock, sent, FailingSynthesizer())
    loop = Loop(clock, output)
    async with asyncio.TaskGroup() as tasks:
        worker = tasks.create_task(output.run())
        output.start(1, SpeechPurpose.REPLY, clock.now())
        output.feed("still said")
        output.finish_input()
        await loop.run_until(2.0)
        worker.cancel()
    assert [word for _, word, _ in loop.words] == ["still", "said"]
    assert sum(duration for _, _, duration in loop.words) == pytest.approx(2 * 0.4)  # at the text path's pace
    assert output.failures == 1
    assert sent == []


async def test_synthesis_stays_a_few_clips_ahead(clock: VirtualClock, sent: list[AudioOut]) -> None:
    output = voice(clock, sent)
    async with asyncio.TaskGroup() as tasks:
        worker = tasks.create_task(output.run())
        output.start(1, SpeechPurpose.REPLY, clock.now())
        output.feed(" ".join(f"clause {index}." for index in range(20)))
        output.finish_input()
        await clock.sleep_until(clock.now() + 1.0)  # nobody takes words: nothing plays
        worker.cancel()
    assert len(output._ready) == 2
    assert output.remainder().startswith("clause 0. clause 1. clause 2.")


# --- the text path holds too ------------------------------------------------------------------------------


def test_the_text_output_holds_and_releases() -> None:
    output = OutputStream(rate=0.4)
    output.start(1, SpeechPurpose.REPLY, 0.0)
    output.feed("one two three ")
    output.finish_input()
    assert output.take_due(0.0) == "one"
    output.hold(0.2)
    assert output.held
    assert (output.next_awake(), output.take_due(1.0)) == (None, None)
    output.release(1.0)
    assert output.next_awake() == 1.0
    assert output.take_due(1.0) == "two"


async def test_hold_and_release_through_the_loop(clock: VirtualClock) -> None:
    """A voice barge-in that was only "mm-hm", on the text path: quiet from the sound, on from the next word."""
    voice_input: list[tuple[float, Event | bytes]] = [
        (3.0, UserSpeechStarted()),
        (3.3, UserInput(text="mhm", modality=Modality.SPOKEN)),
        (3.4, UserSpeechEnded(duration=0.3, silence=0.3)),
        (3.5, UserTranscript(text="Mm-hmm.", final=True)),
    ]
    steps = [*typed("tell me a story", at=0.5, submit_at=1.0), *voice_input, *end(40.0)]
    _, log = await run_session(clock, steps, policy=FullDuplexPolicy(), config=SessionConfig(speaking_rate=0.4))

    held = next(event for event in log if isinstance(event, AgentSpeechHeld))
    released = next(event for event in log if isinstance(event, AgentSpeechReleased))
    assert (held.t, released.t) == (3.0, 3.4)
    words = [event for event in log if isinstance(event, AgentWord)]
    assert not [word for word in words if 3.0 < word.t < 3.4]
    [ended] = [event for event in log if isinstance(event, AgentSpeechEnded)]
    assert ended.reason is EndReason.COMPLETED
    assert len([event for event in log if isinstance(event, AgentSpeechStarted)]) == 1  # "mm-hm" got no answer


# --- the floor ---------------------------------------------------------------------------------------------


def fold(tracker: FloorTracker, *events: Event) -> list[Event]:
    facts: list[Event] = []
    for event in events:
        facts += tracker.observe(event)
    return facts


def heard(t: float, word: str) -> UserInput:
    return UserInput(t=t, text=word, modality=Modality.SPOKEN)


def test_voice_activity_is_what_makes_the_user_active() -> None:
    tracker = FloorTracker(silence_min=0.5)
    facts = fold(tracker, UserSpeechStarted(t=2.0))
    assert facts == [Silence(started=0.0, duration=2.0)]
    state = tracker.state
    assert (state.user_speaking, state.user_active, state.transcripts_pending) == (True, True, 1)
    assert fold(tracker, heard(2.9, "hello")) == []  # recognised late: no silence, no activity of its own
    tracker.set_time(3.5)
    assert state.user_active
    assert state.user_silent_for == 0
    fold(tracker, UserSpeechEnded(t=3.6, duration=1.2, silence=0.3))
    assert not state.user_speaking
    assert state.user_active_until == 3.3  # the speech ended when the silence began
    tracker.set_time(3.8)
    assert state.user_silent_for == pytest.approx(0.5)


def test_a_start_that_overtakes_the_previous_end_keeps_the_user_speaking() -> None:
    tracker = FloorTracker(silence_min=0.5)
    fold(tracker, UserSpeechStarted(t=1.0), UserSpeechStarted(t=2.0), UserSpeechEnded(t=1.9, silence=0.3))
    assert tracker.state.user_speaking


def test_the_final_transcript_replaces_the_rough_words() -> None:
    tracker = FloorTracker(silence_min=0.5)
    fold(tracker, UserSpeechStarted(t=1.0), *[heard(1.5, word) for word in "what is two plus tree".split()])
    fold(tracker, UserSpeechEnded(t=2.5), UserSpeechStarted(t=2.6), heard(2.8, "and"))
    fold(tracker, UserTranscript(t=3.0, text="What is two plus three?", final=True))
    assert tracker.state.user_text == "What is two plus three? and"
    assert tracker.state.transcripts_pending == 1
    fold(tracker, UserTranscript(t=3.5, text="And four.", final=True))
    assert tracker.state.user_text == "What is two plus three? And four."
    assert tracker.state.transcripts_pending == 0


def test_an_empty_final_transcript_removes_noise_taken_for_words() -> None:
    tracker = FloorTracker(silence_min=0.5)
    fold(tracker, UserSpeechStarted(t=1.0), heard(1.5, "the"), UserSpeechEnded(t=2.0))
    fold(tracker, UserTranscript(t=2.4, text="", final=True))
    assert tracker.state.user_text == ""


def test_words_already_answered_are_not_corrected() -> None:
    tracker = FloorTracker(silence_min=0.5)
    fold(tracker, UserSpeechStarted(t=1.0), heard(1.5, "hello"), UserSpeechEnded(t=2.0))
    assert tracker.take_user_text() == "hello"
    fold(tracker, UserInput(t=2.2, text="typed"), UserTranscript(t=2.4, text="Hello!", final=True))
    assert tracker.state.user_text == "typed"


def test_a_hold_ends_the_agents_activity() -> None:
    tracker = FloorTracker(silence_min=0.5)
    fold(tracker, AgentSpeechStarted(t=0.0, utterance=1), AgentWord(t=0.0, utterance=1, word="long", duration=0.8))
    fold(tracker, UserSpeechStarted(t=0.3), AgentSpeechHeld(t=0.3, utterance=1))
    assert tracker.state.agent_active_until == 0.3
    assert tracker.state.agent_held
    fold(tracker, AgentSpeechReleased(t=0.9, utterance=1))
    assert not tracker.state.agent_held


def test_the_timeline_notes_a_corrected_transcript() -> None:
    timeline = Timeline()
    for event in [
        UserSpeechStarted(t=1.0),
        *[heard(1.5, word) for word in "what is two plus tree".split()],
        UserTranscript(t=3.0, text="What is two plus three?", final=True),
        UserSpeechStarted(t=4.0),
        heard(4.5, "thanks"),
        UserTranscript(t=5.0, text="Thanks.", final=True),  # the same words: nothing to note
        UserSpeechStarted(t=6.0),
        UserTranscript(t=7.0, text="Bye.", final=True),  # no word was made out before: these are its words
    ]:
        timeline.feed(event)
    assert timeline.text == (
        "[00:01.5] user: what is two plus tree\n"
        '[00:03.0] (transcript corrected: "What is two plus three?")\n'
        "[00:04.5] user: thanks Bye."
    )


# --- the policy --------------------------------------------------------------------------------------------


class Conversation:
    """The full-duplex policy over a floor tracker, fed events by hand, as the loop would."""

    def __init__(self, **options: float | str) -> None:
        self.policy = FullDuplexPolicy(**options)  # type: ignore[arg-type]
        self.floor = FloorTracker(silence_min=0.5)
        self.decisions = 0

    def event(self, event: Event) -> list[Action]:
        self.floor.observe(event)
        return list(self.policy.react(self.floor.state, event))

    def decide(self, now: float) -> list[Action]:
        self.floor.advance(now)
        self.decisions += 1
        return list(
            self.policy.decide(self.floor.state, MicroTurn(index=self.decisions, start=0.0, end=now, events=()))
        )

    def agent_speaks(self, t: float, purpose: SpeechPurpose = SpeechPurpose.REPLY) -> None:
        self.event(AgentSpeechStarted(t=t, utterance=1, purpose=purpose))
        self.event(AgentWord(t=t, utterance=1, word="Once", duration=0.4))


def test_the_users_first_sound_holds_the_agent() -> None:
    talk = Conversation()
    talk.agent_speaks(0.0)
    assert talk.event(UserSpeechStarted(t=0.2)) == [Hold()]


def test_no_hold_when_the_agent_is_quiet_or_only_backchannelling() -> None:
    talk = Conversation()
    assert talk.event(UserSpeechStarted(t=0.2)) == []
    talk.event(UserSpeechEnded(t=0.5))
    talk.agent_speaks(1.0, SpeechPurpose.BACKCHANNEL)
    assert talk.event(UserSpeechStarted(t=1.2)) == []


def test_a_held_agent_goes_on_after_a_backchannel_and_stops_for_a_real_word() -> None:
    talk = Conversation(decisions="rules")  # the rules' words: "mhm" is a backchannel, "wait" is not
    talk.agent_speaks(0.0)
    talk.event(UserSpeechStarted(t=0.2))
    talk.event(AgentSpeechHeld(t=0.2, utterance=1))
    assert talk.event(heard(0.5, "mhm")) == []
    assert talk.event(UserSpeechEnded(t=0.8)) == [Release()]
    talk.event(AgentSpeechReleased(t=0.8, utterance=1))
    talk.event(UserSpeechStarted(t=2.0))
    talk.event(AgentSpeechHeld(t=2.0, utterance=1))
    assert talk.event(heard(2.4, "wait")) == [Stop(EndReason.INTERRUPTED)]


def test_speech_longer_than_a_backchannel_stops_the_held_agent() -> None:
    talk = Conversation(longest_backchannel=1.0)
    talk.agent_speaks(0.0)
    talk.event(UserSpeechStarted(t=0.2))
    talk.event(AgentSpeechHeld(t=0.2, utterance=1))
    assert talk.policy.wake_at(talk.floor.state) == 1.2
    assert talk.decide(1.0) == []
    assert talk.decide(1.2) == [Stop(EndReason.INTERRUPTED)]


def test_a_final_transcript_with_real_words_stops_the_agent_after_all() -> None:
    talk = Conversation()
    talk.agent_speaks(0.0)
    talk.event(UserSpeechStarted(t=0.2))
    talk.event(AgentSpeechHeld(t=0.2, utterance=1))
    assert talk.event(UserSpeechEnded(t=0.6)) == [Release()]  # the rough recogniser made out nothing
    talk.event(AgentSpeechReleased(t=0.6, utterance=1))
    assert talk.event(UserTranscript(t=1.0, text="Hold on.", final=True)) == [Stop(EndReason.INTERRUPTED)]
    talk.event(UserSpeechStarted(t=2.0))
    talk.event(UserSpeechEnded(t=2.3))
    assert talk.event(UserTranscript(t=2.5, text="Mm-hmm.", final=True)) == []


def test_the_turn_ends_on_the_final_transcript_not_the_rough_words() -> None:
    talk = Conversation()
    talk.event(UserSpeechStarted(t=0.5))
    for word in "what is two plus".split():
        talk.event(heard(1.0, word))
    talk.event(UserSpeechEnded(t=2.0, silence=0.3))  # the rough words end unfinished: "two plus"
    assert talk.decide(2.0) == []
    assert talk.event(UserTranscript(t=2.4, text="What is two plus three?", final=True)) == []
    assert talk.policy.wake_at(talk.floor.state) == 2.4  # a question: answer now
    assert talk.decide(2.4) == [Reply()]


def test_a_final_transcript_that_never_comes_is_not_waited_for_forever() -> None:
    talk = Conversation(transcript_wait=3.0)
    talk.event(UserSpeechStarted(t=0.5))
    talk.event(heard(1.0, "hello"))
    talk.event(UserSpeechEnded(t=2.0, silence=0.3))
    assert talk.policy.wake_at(talk.floor.state) == pytest.approx(4.7)
    assert talk.decide(4.6) == []
    assert talk.decide(4.7) == [Reply()]
