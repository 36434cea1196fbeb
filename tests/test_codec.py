"""The versioned JSON wire codec: round trips, logs, and what malformed input is told."""

from __future__ import annotations

import json

import pytest

from microturn import (
    CODEC_VERSION,
    AgentAudio,
    AgentSpeechEnded,
    AgentSpeechHeld,
    AgentSpeechReleased,
    AgentSpeechStarted,
    AgentWord,
    ApprovalDecided,
    ApprovalRequested,
    AudioFrame,
    CancelJob,
    ClaimFlagged,
    ComponentFailed,
    CueFired,
    CueSet,
    EndReason,
    EndSession,
    Event,
    InputRejected,
    JobFailed,
    JobProgress,
    JobRequested,
    JobResult,
    Modality,
    ModelAsked,
    ModelChunk,
    ModelEnded,
    Note,
    Overlap,
    ResultDropped,
    ResultWoven,
    SessionEnded,
    SessionStarted,
    Silence,
    SpeechPurpose,
    StopOutput,
    TimerCancelled,
    TimerFired,
    TimerSet,
    ToolCalled,
    ToolProgress,
    ToolResult,
    TurnEndSignal,
    UserErase,
    UserInput,
    UserSpeechEnded,
    UserSpeechStarted,
    UserSubmit,
    UserTranscript,
    decode_event,
    decode_log,
    encode_event,
    encode_log,
)
from microturn._core._config import SessionConfig
from microturn._core._events import event_kinds
from microturn.errors import CodecError, ConfigError, MalformedEvent, UnsupportedVersion

# One instance of every kind, with non-default values wherever a field has a default, so a field the
# codec forgets or mangles shows up as an inequality.
SAMPLES: dict[type[Event], Event] = {
    event.__class__: event
    for event in [
        SessionStarted(
            t=0.0,
            seq=0,
            source="loop",
            session="session-1",
            wall=1_767_258_000.0,
            config={"tick": 0.2, "policy_options": {"end_silence": 0.8}, "seed": 7, "model": None},
            prefills=True,
        ),
        SessionEnded(t=61.25, seq=99, source="loop", reason="requested"),
        UserInput(
            t=1.000001,
            seq=1,
            source="user",
            cause=None,
            text='héllo “world” \n\t{"v": 2}',
            modality=Modality.SPOKEN,
            duration=0.3,
        ),
        UserErase(t=1.5, seq=2, source="user", count=3),
        UserSubmit(t=2.0, seq=3, source="user"),
        AudioFrame(t=2.02, seq=4, source="mic", pcm=bytes(range(256)), sample_rate=48_000),
        AgentSpeechStarted(t=2.2, seq=5, source="agent", cause=3, utterance=4, purpose=SpeechPurpose.BACKCHANNEL),
        AgentWord(t=2.2, seq=6, source="agent", utterance=4, word="mm-hm,", duration=0.4),
        AgentSpeechEnded(
            t=2.5,
            seq=7,
            source="agent",
            cause=8,
            utterance=4,
            reason=EndReason.INTERRUPTED,
            delivered="Once upon",
        ),
        Silence(t=4.0, seq=8, source="loop", started=2.5, duration=1.5),
        Overlap(t=4.5, seq=9, source="loop", started=4.25, duration=0.25),
        TurnEndSignal(t=4.6, seq=10, source="model", probability=0.8125, upto=27),
        ClaimFlagged(
            t=50.0,
            seq=41,
            source="monitor",
            claim="since the great wall is visible from space",
            problem="false-premise",
            correction="The Great Wall isn't visible from space.",
            confidence=0.9,
            said_at=49.5,
        ),
        StopOutput(t=5.0, seq=10, source="console", reason="escape key"),
        CancelJob(t=5.1, seq=11, source="agent", job="job-2"),
        EndSession(t=5.2, seq=12, source="console", reason="bye"),
        JobRequested(t=6.0, seq=13, source="agent", job="job-2", task="find flights", priority=3, deadline=30.5),
        JobProgress(t=6.5, seq=14, source="worker", job="job-2", text="searching", fraction=0.5),
        JobResult(t=7.0, seq=15, source="worker", job="job-2", text="three flights"),
        ToolCalled(
            t=7.5,
            seq=16,
            source="agent",
            call="call-3",
            tool="clock",
            arguments={"tz": "UTC", "list": [1, 2.5, None, True, "x"], "nested": {"a": {}}},
        ),
        ToolResult(t=8.0, seq=17, source="tools", call="call-3", output="tool exploded", error=True),
        InputRejected(t=8.5, seq=18, source="user", reason="not JSON", excerpt="{not json…"),
        Note(t=9.0, seq=19, source="screen", text="a window opened"),
        ResultWoven(t=9.5, seq=20, source="agent", job="job-2"),
        ResultDropped(t=9.6, seq=21, source="agent", job="job-3", reason="the user changed the topic"),
        CueSet(t=10.0, seq=22, source="agent", cue="cue-1", watch="a number", interrupt=True),
        CueFired(t=10.5, seq=23, source="agent", cue="cue-1", matched="forty-two"),
        TimerSet(t=11.0, seq=24, source="agent", timer="timer-1", due=41.0, text="stretch", every=10.0),
        TimerFired(t=41.0, seq=25, source="agent", timer="timer-1", text="stretch"),
        TimerCancelled(t=42.0, seq=26, source="agent", timer="timer-1"),
        JobFailed(t=43.0, seq=27, source="background", job="bg-3", reason="the flight site was down"),
        ToolProgress(t=43.5, seq=28, source="tools", call="call-4", text="2 of 5 pages"),
        ApprovalRequested(t=44.0, seq=29, source="background", call="call-5", tool="send_email", job="bg-3"),
        ApprovalDecided(t=45.0, seq=30, source="agent", call="call-5", granted=False, reason="no answer"),
        UserSpeechStarted(t=46.0, seq=31, source="voice"),
        UserSpeechEnded(t=46.9, seq=32, source="voice", duration=0.62, silence=0.3),
        UserTranscript(t=47.0, seq=33, source="voice", text="What is 2 + 2?", final=True),
        AgentAudio(t=47.5, seq=34, source="agent", utterance=9, text="Two plus two,", duration=0.81, synthesis=0.05),
        AgentSpeechHeld(t=47.6, seq=35, source="agent", cause=36, utterance=9),
        AgentSpeechReleased(t=48.0, seq=36, source="agent", utterance=9),
        ModelAsked(t=49.0, seq=37, source="agent", cause=30, request=4, speculative=True),
        ModelChunk(t=49.1, seq=38, source="model", request=4, text=" Par"),
        ModelEnded(
            t=49.2, seq=39, source="model", request=4, error="out of memory", raised="ValueError", transient=True
        ),
        ComponentFailed(
            t=49.3, seq=40, source="tools", component="tool", name="run_python", error="RuntimeError: boom"
        ),
    ]
}


def test_the_samples_cover_every_event_kind() -> None:
    # A new event kind must get a sample here, or its round trip goes untested.
    assert set(SAMPLES) == set(event_kinds())
    assert len(event_kinds()) == len(set(event_kinds()))


@pytest.mark.parametrize("kind", event_kinds(), ids=lambda kind: kind.__name__)
def test_every_event_kind_round_trips(kind: type[Event]) -> None:
    event = SAMPLES[kind]
    frame = encode_event(event)
    decoded = decode_event(frame)
    assert type(decoded) is kind
    assert decoded == event
    assert decode_event(frame.decode()) == event  # str input too
    assert b"\n" not in frame


@pytest.mark.parametrize("kind", event_kinds(), ids=lambda kind: kind.__name__)
def test_a_frame_is_a_versioned_envelope_tagged_with_the_kind(kind: type[Event]) -> None:
    frame = json.loads(encode_event(SAMPLES[kind]))
    assert set(frame) == {"v", "e"}
    assert frame["v"] == CODEC_VERSION == 1
    assert frame["e"]["kind"] == kind.__name__


def test_defaults_round_trip() -> None:
    for event in [UserSubmit(), StopOutput(), UserInput(text=""), ToolCalled(call="c", tool="t")]:
        assert decode_event(encode_event(event)) == event


def test_encoding_is_deterministic() -> None:
    event = SAMPLES[ToolCalled]
    assert encode_event(event) == encode_event(decode_event(encode_event(event)))


# --- logs ------------------------------------------------------------------------------------------


def test_a_log_round_trips_one_frame_per_line() -> None:
    events = list(SAMPLES.values())
    data = encode_log(events)
    assert data.endswith(b"\n")
    assert data.count(b"\n") == len(events)
    assert [decode_event(line) for line in data.splitlines()] == events
    assert list(decode_log(data)) == events


def test_an_empty_log_and_blank_lines() -> None:
    assert encode_log([]) == b""
    assert list(decode_log(b"")) == []
    note = Note(text="x", t=1.0)
    assert list(decode_log(b"\n" + encode_log([note]) + b"\n  \n")) == [note]


def test_decode_log_names_the_bad_line() -> None:
    good = encode_event(Note(text="fine"))
    data = b"\n".join([good, b"", good, b'{"v": 1, "e": {"kind": "Note", "text": 5}}', good])
    with pytest.raises(MalformedEvent, match=r"^line 4: invalid event: .*\$\.e\.text") as caught:
        list(decode_log(data))
    assert caught.value.excerpt.startswith('{"v": 1')


def test_decode_log_names_the_line_of_an_unsupported_version() -> None:
    data = encode_log([Note(text="fine")]) + b'{"v": 2, "e": {"kind": "Note", "text": "new"}}\n'
    with pytest.raises(UnsupportedVersion) as caught:
        list(decode_log(data))
    assert "line 2" in str(caught.value)


# --- malformed input -------------------------------------------------------------------------------

MALFORMED = [
    pytest.param(b"{not json", "not a JSON object frame", id="not-json"),
    pytest.param(b"", "not a JSON object frame", id="empty"),
    pytest.param(b"\xff\xfe", "not a JSON object frame", id="not-utf8"),
    pytest.param(b"[1, 2]", "got `array`", id="json-array"),
    pytest.param(b'"a string"', "got `str`", id="json-string"),
    pytest.param(b'{"e": {"kind": "Note", "text": "x"}}', "no codec version", id="missing-v"),
    pytest.param(b'{"v": 1, "e": {"kind": "Bogus"}}', "'Bogus' - at `$.e.kind`", id="unknown-kind"),
    pytest.param(b'{"v": 1, "e": {"kind": "Event"}}', "'Event' - at `$.e.kind`", id="abstract-kind"),
    pytest.param(b'{"v": 1, "e": {"text": "x"}}', "missing required field `kind`", id="missing-kind"),
    pytest.param(
        b'{"v": 1, "e": {"kind": "UserInput", "text": 5}}',
        "Expected `str`, got `int` - at `$.e.text`",
        id="wrong-type",
    ),
    pytest.param(
        b'{"v": 1, "e": {"kind": "UserInput", "text": "a", "modality": "telepathy"}}',
        "'telepathy' - at `$.e.modality`",
        id="bad-enum",
    ),
    pytest.param(b'{"v": 1, "e": {"kind": "UserInput"}}', "missing required field `text`", id="missing-field"),
    pytest.param(b'{"v": 1}', "missing required field `e`", id="missing-event"),
]


@pytest.mark.parametrize(("raw", "problem"), MALFORMED)
def test_malformed_input_says_what_is_wrong(raw: bytes, problem: str) -> None:
    with pytest.raises(MalformedEvent) as caught:
        decode_event(raw)
    assert problem in str(caught.value)
    assert caught.value.excerpt == raw.decode("utf-8", errors="replace")


def test_the_excerpt_of_long_input_is_cut() -> None:
    raw = b"{" + b"x" * 500
    with pytest.raises(MalformedEvent) as caught:
        decode_event(raw)
    assert caught.value.excerpt == raw[:120].decode() + "…"


def test_an_unsupported_version_names_both_versions() -> None:
    with pytest.raises(UnsupportedVersion) as caught:
        decode_event(b'{"v": 2, "e": {"kind": "Note", "text": "from the future"}}')
    assert (caught.value.version, caught.value.supported) == (2, 1)
    assert "version 2" in str(caught.value)
    assert "version 1" in str(caught.value)
    assert isinstance(caught.value, CodecError)


def test_a_config_recorded_with_a_retired_setting_still_loads() -> None:
    config = SessionConfig.from_dict({"tick": 0.3, "seed": 0})
    assert config.tick == 0.3
    with pytest.raises(ConfigError, match="invalid session config"):
        SessionConfig.from_dict({"tick": 0.3, "sede": 0})
