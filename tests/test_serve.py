"""``microturn serve`` without a browser: the protocol, the outbox, one socket's conversation, the real server.

The wire protocol and the outbox are tested as plain code; ``converse`` runs in virtual time over a
fake socket (so the end of a conversation is checked exactly, down to the last task); the real
server runs on uvicorn in a thread on a free port and is driven with the ``websockets`` client.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from microturn import Agent, SessionStarted, ToolResult, tool
from microturn._apps._serve import (
    BUSY,
    CLIENT_GONE,
    UNAUTHORIZED,
    ConversationSpec,
    converse,
    create_app,
    serving,
)
from microturn._apps._serve._conversation import SOURCE, Conversation, Stretches, open_conversation
from microturn._apps._serve._limits import Admission, LinkLimits, TokenBucket
from microturn._apps._serve._outbox import Outbox
from microturn._apps._serve._protocol import (
    INPUT_RATE,
    MAX_FRAME,
    Hello,
    MicOff,
    Pcm,
    Refused,
    Typed,
    audio_header,
    event_message,
    read_binary,
    read_text,
    transcript_message,
)
from microturn._bus import Start
from microturn._core._clock import VirtualClock
from microturn._core._codec import decode_log
from microturn._core._config import SessionConfig
from microturn._core._events import (
    EndSession,
    Event,
    Modality,
    SessionEnded,
    UserInput,
    UserSpeechEnded,
    UserSubmit,
)
from microturn._models._roles import ModelChoice, ModelRoles
from microturn._voice._fakes import WORD_SECONDS, silence, tone
from microturn.errors import ConfigError

TOKEN = "test-token-0123456789"
SCRIPTED = SessionConfig(model="scripted", speaking_rate=0.05)  # replies in a moment, also in real time
ANSWER = "2 plus 3 is 5."
WITHIN = 10.0  # real seconds any single wait on the real server may take


# --- the protocol ------------------------------------------------------------------------------------


def test_client_messages_are_read() -> None:
    assert read_text('{"type": "hello", "sample_rate": 16000}') == Hello(16000)
    assert read_text('{"type": "text", "text": "what is 2 plus 3"}') == Typed("what is 2 plus 3")
    assert read_text('{"type": "text", "text": "hi", "client": "a newer page"}') == Typed("hi")
    assert read_text('{"type": "mic_off"}') == MicOff()
    assert read_binary(b"\x01\x00\xff\xff") == Pcm(b"\x01\x00\xff\xff")


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        ("nonsense", "not a JSON object: 'nonsense'"),
        ("[1, 2]", "not a JSON object"),
        ('{"text": "no type"}', "unknown message type None"),
        ('{"type": "dance"}', 'unknown message type \'dance\': expected "hello" or "text"'),
        ('{"type": "text"}', "invalid text message: Object missing required field `text`"),
        ('{"type": "text", "text": 5}', "invalid text message: Expected `str`, got `int` - at `$.text`"),
        ('{"type": "text", "text": "   "}', "text message is empty"),
        ('{"type": "hello", "sample_rate": 48000}', "microphone sample rate 48000 Hz is not supported"),
        ('{"type": "text", "text": "' + "x" * MAX_FRAME + '"}', "is over the 65536-byte limit"),
    ],
)
def test_a_broken_text_frame_is_refused_with_a_reason(frame: str, says: str) -> None:
    message = read_text(frame)

    assert isinstance(message, Refused)
    assert says in message.message


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        (b"\x00\x01\x02", "audio frame of 3 bytes is not whole 16-bit samples"),
        (b"", "audio frame is empty"),
        (bytes(MAX_FRAME + 2), "audio frame of 65538 bytes is over the 65536-byte limit"),
    ],
)
def test_a_broken_audio_frame_is_refused_with_a_reason(frame: bytes, says: str) -> None:
    message = read_binary(frame)

    assert isinstance(message, Refused)
    assert says in message.message


def test_server_messages_are_json_with_a_type() -> None:
    event = UserInput(text="hi", t=1.5, seq=3, source=SOURCE)

    assert json.loads(event_message(event)) == {
        "type": "event",
        "event": {"v": 1, "e": {"kind": "UserInput", "t": 1.5, "seq": 3, "source": "web", "text": "hi"}},
    }
    assert json.loads(audio_header(utterance=2, sample_rate=22050, text="Hello.", size=4410)) == {
        "type": "audio",
        "utterance": 2,
        "sample_rate": 22050,
        "text": "Hello.",
        "bytes": 4410,
    }
    assert json.loads(transcript_message("what is", final=False, stretch=2)) == {
        "type": "transcript",
        "text": "what is",
        "final": False,
        "stretch": 2,
    }


def test_transcripts_are_numbered_with_their_stretch_even_when_a_final_trails_the_next_stretch() -> None:
    """Rough text of stretch 2 may come before stretch 1's final (the accurate recogniser is slower)."""
    stretches = Stretches()
    numbers = [stretches.transcript(final=False), stretches.transcript(final=False)]
    stretches.saw(UserSpeechEnded(duration=1.0, silence=0.3, source="voice"))
    numbers += [stretches.transcript(final=False), stretches.transcript(final=True)]
    stretches.saw(UserSpeechEnded(duration=1.0, silence=0.3, source="someone else"))  # not heard by this channel
    numbers += [stretches.transcript(final=False)]
    stretches.saw(UserSpeechEnded(duration=0.5, silence=0.3, source="voice"))
    numbers += [stretches.transcript(final=True), stretches.transcript(final=False)]

    assert numbers == [1, 1, 2, 1, 2, 2, 3]


# --- the outbox ----------------------------------------------------------------------------------------


async def test_control_overtakes_queued_data_and_a_flush_drops_that_utterances_audio() -> None:
    outbox = Outbox()
    await outbox.put("event 1")
    await outbox.put("audio 7a", b"pcm", audio_of=7)
    await outbox.put("audio 8a", b"pcm", audio_of=8)
    await outbox.put("audio 7b", b"pcm", audio_of=7)
    await outbox.put_control("flush 7", flushes=7)
    await outbox.close()

    taken = []
    while (frames := await outbox.get()) is not None:
        taken.append(frames[0])

    assert taken == ["flush 7", "event 1", "audio 8a"]
    assert outbox.stats.dropped_audio == 2


async def test_a_full_outbox_holds_its_producer_until_the_writer_takes_one(clock: VirtualClock) -> None:
    outbox = Outbox(capacity=2)
    await outbox.put("1")
    await outbox.put("2")
    third = asyncio.create_task(outbox.put("3"))
    await clock.sleep_until(clock.now() + 1.0)
    assert not third.done()

    assert await outbox.get() == ("1",)
    await third
    assert outbox.stats.high_water == 2
    assert outbox.stats.queued == 2


# --- one conversation over a fake socket, in virtual time -------------------------------------------------


class FakeSocket:
    """The client side of a socket: frames to hand the server, and what the server sent."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self.sent: list[str | bytes] = []
        self.closed: tuple[int, str] | None = None
        self.gone = False
        self._changed = asyncio.Event()

    async def receive(self) -> str | bytes | None:
        return await self.inbox.get()

    async def send(self, frame: str | bytes) -> bool:
        if self.gone:
            return False
        self.sent.append(frame)
        self._changed.set()
        return True

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(frame) for frame in self.sent if isinstance(frame, str)]

    def events(self) -> list[dict[str, Any]]:
        return [message["event"]["e"] for message in self.messages() if message["type"] == "event"]

    async def until(self, found: Callable[[], bool], clock: VirtualClock, within: float = 60.0) -> None:
        async with clock.timeout_at(clock.now() + within):
            while not found():
                self._changed.clear()
                await self._changed.wait()


def delivered(events: list[dict[str, Any]]) -> list[str]:
    return [event["delivered"] for event in events if event["kind"] == "AgentSpeechEnded"]


async def session_log(conversation: Conversation) -> list[Event]:
    log = await conversation.session.subscribe("check", start=Start.BEGINNING)
    events: list[Event] = []
    while not events or not isinstance(events[-1], SessionEnded):
        events.append(await log.receive())
    log.close()
    return events


async def test_typed_text_goes_in_as_input_and_submit_and_the_reply_comes_back(clock: VirtualClock) -> None:
    socket = FakeSocket()
    async with open_conversation(ConversationSpec(config=SCRIPTED), clock=clock, session_id="web-t") as conversation:
        async with asyncio.TaskGroup() as tasks:
            talk = tasks.create_task(converse(socket, conversation, clock=clock))
            await socket.inbox.put(json.dumps({"type": "text", "text": "what is 2 plus 3"}))
            await socket.until(lambda: ANSWER in delivered(socket.events()), clock)
            await socket.inbox.put(None)
        log = await session_log(conversation)

    assert talk.result() == CLIENT_GONE
    assert socket.messages()[0] == {"type": "ready", "session": "web-t", "voice": "off", "sample_rate": 16000}
    typed = [event for event in log if event.source == SOURCE]
    assert [type(event) for event in typed] == [UserInput, UserSubmit, EndSession]
    assert isinstance(typed[0], UserInput)
    assert (typed[0].text, typed[0].modality) == ("what is 2 plus 3", Modality.TYPED)


async def test_a_closed_socket_ends_the_session_with_a_reason_and_leaves_no_task_behind(clock: VirtualClock) -> None:
    socket = FakeSocket()
    before = asyncio.all_tasks()
    async with open_conversation(ConversationSpec(config=SCRIPTED), clock=clock, session_id="web-t") as conversation:
        talk = asyncio.create_task(converse(socket, conversation, clock=clock))
        await socket.until(lambda: bool(socket.events()), clock)  # the session is up
        started = clock.now()
        await socket.inbox.put(None)
        why = await talk
        log = await session_log(conversation)

    assert why == CLIENT_GONE
    assert isinstance(log[-1], SessionEnded)
    assert log[-1].reason == CLIENT_GONE
    assert clock.now() - started < 0.5  # ended at once, not after a grace period
    assert socket.closed is None  # the client closed it; nothing left to close
    assert asyncio.all_tasks() == before


async def test_a_client_that_stops_reading_never_holds_up_the_end(clock: VirtualClock) -> None:
    socket = FakeSocket()
    socket.gone = True  # every send fails from now on, as when the connection dropped mid-stream
    before = asyncio.all_tasks()
    config = SessionConfig(model="scripted", speaking_rate=0.05)  # a 49-word story in 2.5 s
    async with open_conversation(ConversationSpec(config=config), clock=clock, session_id="web-t") as conversation:
        talk = asyncio.create_task(converse(socket, conversation, clock=clock))
        for _ in range(6):  # some 600 events: more than the socket's outbox holds
            await socket.inbox.put(json.dumps({"type": "text", "text": "tell me a story"}))
            await clock.sleep_until(clock.now() + 3.0)
        gone = clock.now()
        await socket.inbox.put(None)
        assert await talk == CLIENT_GONE

    assert clock.now() - gone < 0.5
    assert asyncio.all_tasks() == before


async def test_a_session_that_ends_closes_the_socket_after_its_last_event(clock: VirtualClock) -> None:
    socket = FakeSocket()
    async with open_conversation(ConversationSpec(config=SCRIPTED), clock=clock, session_id="web-t") as conversation:
        talk = asyncio.create_task(converse(socket, conversation, clock=clock))
        await socket.until(lambda: bool(socket.events()), clock)
        await conversation.session.inject(EndSession(reason="test over"))
        why = await talk

    assert why == "session ended"
    assert socket.events()[-1]["kind"] == "SessionEnded"
    assert socket.events()[-1]["reason"] == "test over"
    assert socket.closed == (1000, "session ended")


async def test_broken_frames_get_errors_and_the_conversation_goes_on(clock: VirtualClock) -> None:
    socket = FakeSocket()
    broken: list[str | bytes] = [
        "{not json",
        json.dumps({"type": "shout", "text": "hi"}),
        json.dumps({"type": "hello", "sample_rate": 44100}),
        b"\x01\x02\x03",
        bytes(MAX_FRAME + 2),
        json.dumps({"type": "text", "text": "y" * MAX_FRAME}),
    ]
    async with (
        open_conversation(ConversationSpec(config=SCRIPTED), clock=clock, session_id="web-t") as conversation,
        asyncio.TaskGroup() as tasks,
    ):
        tasks.create_task(converse(socket, conversation, clock=clock))
        for frame in broken:
            await socket.inbox.put(frame)
        await socket.inbox.put(json.dumps({"type": "text", "text": "what is 2 plus 3"}))
        await socket.until(lambda: ANSWER in delivered(socket.events()), clock)
        await socket.inbox.put(None)

    errors = [message["message"] for message in socket.messages() if message["type"] == "error"]
    assert len(errors) == len(broken)
    for error, expected in zip(
        errors,
        ["not a JSON object", "unknown message type 'shout'", "sample rate 44100 Hz", "not whole 16-bit samples"]
        + ["over the 65536-byte limit"] * 2,
        strict=True,
    ):
        assert expected in error


async def test_audio_to_a_server_without_voice_is_refused_once(clock: VirtualClock) -> None:
    socket = FakeSocket()
    async with (
        open_conversation(ConversationSpec(config=SCRIPTED), clock=clock, session_id="web-t") as conversation,
        asyncio.TaskGroup() as tasks,
    ):
        tasks.create_task(converse(socket, conversation, clock=clock))
        for _ in range(5):
            await socket.inbox.put(bytes(640))
        await socket.inbox.put(json.dumps({"type": "text", "text": "what is 2 plus 3"}))
        await socket.until(lambda: ANSWER in delivered(socket.events()), clock)
        await socket.inbox.put(None)

    errors = [message["message"] for message in socket.messages() if message["type"] == "error"]
    assert errors == ["this server does not listen (voice is off): type instead"]


# --- limits per connection ---------------------------------------------------------------------------------


def test_the_token_bucket_refuses_over_the_rate_and_closes_a_client_that_keeps_on() -> None:
    bucket = TokenBucket(LinkLimits(frames_per_second=10, burst=3), now=0.0)
    assert [bucket.admit(0.0) for _ in range(4)] == [Admission.TAKE] * 3 + [Admission.REFUSE]
    assert bucket.admit(0.2) is Admission.TAKE  # 0.2 s refilled 2 tokens; the refused frame cost one of them
    # Twice the rate for a while: refused, and once the debt reaches the burst, closed.
    verdicts = [bucket.admit(0.2 + 0.05 * k) for k in range(1, 40)]
    assert Admission.REFUSE in verdicts
    assert verdicts[-1] is Admission.CLOSE


def test_a_client_that_slows_down_pays_its_debt_off() -> None:
    bucket = TokenBucket(LinkLimits(frames_per_second=10, burst=3), now=0.0)
    assert [bucket.admit(0.0) for _ in range(5)][-1] is Admission.REFUSE  # 2 frames in debt
    assert [bucket.admit(1.0 + 0.1 * k) for k in range(20)] == [Admission.TAKE] * 20  # at the rate: all taken


@pytest.mark.parametrize("limits", [{"frames_per_second": 0}, {"burst": 0}, {"idle": -1.0}])
def test_limits_must_be_positive(limits: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match="must be positive"):
        LinkLimits(**limits)  # type: ignore[arg-type]


async def test_a_client_that_floods_is_told_then_closed_and_its_session_ends(clock: VirtualClock) -> None:
    socket = FakeSocket()
    limits = LinkLimits(frames_per_second=10, burst=5)
    hello = json.dumps({"type": "hello", "sample_rate": INPUT_RATE})
    async with open_conversation(ConversationSpec(config=SCRIPTED), clock=clock, session_id="web-t") as conversation:
        talk = asyncio.create_task(converse(socket, conversation, clock=clock, limits=limits))
        for _ in range(50):  # all at once: 5 are taken, 4 refused, and the 10th runs the debt up to 5: closed
            await socket.inbox.put(hello)
        why = await talk
        log = await session_log(conversation)

    assert why == "too many frames"
    assert socket.closed == (1008, "too many frames")
    errors = [message["message"] for message in socket.messages() if message["type"] == "error"]
    assert errors == [
        "over 10 frames a second: frames are dropped until you slow down",
        "frames kept coming too fast: the server closes this conversation (too many frames)",
    ]
    assert isinstance(log[-1], SessionEnded)
    assert log[-1].reason == "too many frames"
    assert socket.inbox.qsize() == 50 - 10  # nothing was read after the frame that closed it


async def test_an_idle_client_is_closed_politely_after_the_timeout(clock: VirtualClock) -> None:
    socket = FakeSocket()
    limits = LinkLimits(idle=120.0)
    async with open_conversation(ConversationSpec(config=SCRIPTED), clock=clock, session_id="web-t") as conversation:
        talk = asyncio.create_task(converse(socket, conversation, clock=clock, limits=limits))
        await clock.sleep_until(100.0)
        await socket.inbox.put(json.dumps({"type": "text", "text": "what is 2 plus 3"}))  # input: the wait restarts
        why = await talk
        log = await session_log(conversation)

    assert why == "idle for 120 s"
    assert 220.0 <= clock.now() < 221.0  # 120 s after the last frame, not after the first
    assert socket.closed == (1000, "idle for 120 s")
    assert ANSWER in delivered(socket.events())
    assert socket.messages()[-1] == {
        "type": "error",
        "message": "no input for a while: the server closes this conversation (idle for 120 s)",
    }
    assert isinstance(log[-1], SessionEnded)
    assert log[-1].reason == "idle for 120 s"


async def speak(socket: FakeSocket, clock: VirtualClock, pcm: bytes, *, frame: int = 640) -> None:
    """Send ``pcm`` as a page would: 20 ms frames, each when its audio has been captured."""
    start = clock.now()
    for offset in range(0, len(pcm), frame):
        await clock.sleep_until(start + offset / (2 * INPUT_RATE))
        await socket.inbox.put(pcm[offset : offset + frame])


def audio_pairs(sent: list[str | bytes]) -> list[tuple[dict[str, Any], bytes]]:
    """Each audio header with the binary frame after it; fails if anything comes between them."""
    pairs = []
    for index, frame in enumerate(sent):
        if isinstance(frame, str) and json.loads(frame)["type"] == "audio":
            pcm = sent[index + 1]
            assert isinstance(pcm, bytes), "an audio header must be followed at once by its PCM"
            pairs.append((json.loads(frame), pcm))
    assert sum(isinstance(frame, bytes) for frame in sent) == len(pairs), "PCM without a header"
    return pairs


async def test_speech_in_gets_transcripts_and_the_agents_voice_and_talking_over_it_flushes_it(
    clock: VirtualClock,
) -> None:
    """The whole voice path with the fake engines: a tone is a word (see ``_voice.fakes``)."""
    socket = FakeSocket()
    spec = ConversationSpec(config=SessionConfig(model="scripted"), voice="fake")
    async with (
        open_conversation(spec, clock=clock, session_id="web-v") as conversation,
        asyncio.TaskGroup() as tasks,
    ):
        tasks.create_task(converse(socket, conversation, clock=clock))
        await speak(socket, clock, silence(0.3) + tone(5 * WORD_SECONDS) + silence(1.0))  # "what is 2 plus 3"
        await socket.until(lambda: any(isinstance(frame, bytes) for frame in socket.sent), clock)
        interrupted_at = len(socket.sent)
        await speak(socket, clock, tone(0.6) + silence(1.5))  # the user talks over the agent
        await socket.until(lambda: len(delivered(socket.events())) >= 2, clock)
        await socket.inbox.put(None)

    messages = socket.messages()
    assert messages[0]["voice"] == "fake"
    transcripts = [
        (message["text"], message["final"], message["stretch"])
        for message in messages
        if message["type"] == "transcript"
    ]
    assert transcripts[0] == ("what", False, 1)
    assert next(text for text, final, _ in transcripts if final).startswith("what is 2 plus 3")
    assert [stretch for _, final, stretch in transcripts if final] == [1, 2]  # the user's talking over is stretch 2
    pairs = audio_pairs(socket.sent)
    answer = pairs[0][0]["utterance"]  # numbered after the calculator's call (calls and utterances share a count)
    first = [header for header, _ in pairs if header["utterance"] == answer]
    assert first[0]["text"] == "2"  # word by word, each piece with the word it carries
    assert first[0]["sample_rate"] == INPUT_RATE
    assert all(header["bytes"] == len(pcm) > 0 for header, pcm in pairs)
    flushes = [message for message in socket.messages()[interrupted_at:] if message["type"] == "flush"]
    assert flushes[0] == {"type": "flush", "utterance": answer}
    cut = next(event for event in socket.events() if event["kind"] == "AgentSpeechEnded")
    assert cut["reason"] == "interrupted"
    assert ANSWER.startswith(cut["delivered"])
    assert cut["delivered"] != ANSWER
    assert not [message for message in messages if message["type"] == "error"]
    assert not [event for event in socket.events() if event["kind"] == "AudioFrame"]


async def test_stopping_the_microphone_mid_word_ends_that_stretch_of_speech(clock: VirtualClock) -> None:
    """The page sends no quiet after Stop; ``mic_off`` ends the stretch it cut, so its words are answered."""
    socket = FakeSocket()
    spec = ConversationSpec(config=SessionConfig(model="scripted"), voice="fake")
    async with (
        open_conversation(spec, clock=clock, session_id="web-v") as conversation,
        asyncio.TaskGroup() as tasks,
    ):
        tasks.create_task(converse(socket, conversation, clock=clock))
        await speak(socket, clock, silence(0.3) + tone(5 * WORD_SECONDS))  # "what is 2 plus 3", then Stop
        await clock.sleep_until(clock.now() + 2.0)
        assert not [event for event in socket.events() if event["kind"] == "UserSpeechEnded"]  # still speaking
        await socket.inbox.put(json.dumps({"type": "mic_off"}))
        await socket.until(lambda: ANSWER in delivered(socket.events()), clock)
        await socket.inbox.put(None)

    finals = [message for message in socket.messages() if message["type"] == "transcript" and message["final"]]
    assert [message["stretch"] for message in finals] == [1]
    assert finals[0]["text"].startswith("what is 2 plus 3")
    assert not [message for message in socket.messages() if message["type"] == "error"]


# --- the real server ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A server on a free port (typing only, the scripted model); its base URL."""
    with serving(create_app(ConversationSpec(config=SCRIPTED), token=TOKEN)) as url:
        yield url


def socket_url(base: str, token: str | None = TOKEN) -> str:
    url = base.replace("http://", "ws://", 1) + "/ws"
    return url if token is None else f"{url}?token={token}"


def receive(ws: ClientConnection, until: Callable[[dict[str, Any]], bool], within: float = WITHIN) -> list[Any]:
    """Messages (JSON decoded; binary frames as bytes) up to and including the first that ``until`` accepts."""
    deadline = time.monotonic() + within
    seen: list[Any] = []
    while True:
        frame = ws.recv(timeout=max(0.0, deadline - time.monotonic()))
        message = json.loads(frame) if isinstance(frame, str) else frame
        seen.append(message)
        if isinstance(message, dict) and until(message):
            return seen


def reply_ended(message: dict[str, Any]) -> bool:
    return message["type"] == "event" and bool(message["event"]["e"]["kind"] == "AgentSpeechEnded")


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=WITHIN) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_the_page_and_its_files_are_served_with_their_types_and_fetch_nothing_from_elsewhere(server: str) -> None:
    status, headers, page = fetch(server + "/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in headers["content-security-policy"]
    names = re.findall(rb'(?:src|href)="static/([\w.]+)"', page)
    assert sorted(names) == [b"app.js", b"style.css"]

    types = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
    for name in ["app.js", "audio.js", "timeline.js", "worklet.js", "style.css", "icon.svg"]:
        status, headers, body = fetch(f"{server}/static/{name}")
        assert status == 200, name
        assert headers["content-type"] == types[Path(name).suffix], name
        assert b"://" not in body.replace(b'xmlns="http://www.w3.org/2000/svg"', b""), name  # offline: no URLs
    assert fetch(server + "/favicon.ico")[1]["content-type"] == "image/svg+xml"
    assert fetch(server + "/static/missing.js")[0] == 404
    assert fetch(server + "/static/..%2f_app.py")[0] == 404


@pytest.mark.parametrize("token", [None, "", "wrong-token", TOKEN + "x"])
def test_a_socket_without_the_right_token_is_refused(server: str, token: str | None) -> None:
    with connect(socket_url(server, token)) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=WITHIN)

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == UNAUTHORIZED
    assert "token" in closed.value.rcvd.reason


def test_typed_text_round_trips_a_reply_over_the_real_server(server: str) -> None:
    with connect(socket_url(server)) as ws:
        ready = receive(ws, lambda message: message["type"] == "ready")
        ws.send(json.dumps({"type": "hello", "sample_rate": 16000}))
        ws.send(json.dumps({"type": "text", "text": "what is 2 plus 3"}))
        seen = receive(ws, reply_ended)

    assert ready[-1]["voice"] == "off"
    assert seen[-1]["event"]["e"]["delivered"] == ANSWER
    assert not [message for message in seen if message["type"] == "error"]


def test_broken_frames_over_the_real_server_get_errors_and_never_end_the_conversation(server: str) -> None:
    with connect(socket_url(server)) as ws:
        receive(ws, lambda message: message["type"] == "ready")
        ws.send("{oops")
        ws.send(json.dumps({"type": "shout"}))
        ws.send(json.dumps({"type": "hello", "sample_rate": 8000}))
        ws.send(b"\x00")
        ws.send(bytes(100_000))  # over 64 KiB, under the 1 MiB frame limit
        errors = [receive(ws, lambda message: message["type"] == "error")[-1]["message"] for _ in range(5)]
        ws.send(json.dumps({"type": "text", "text": "what is 2 plus 3"}))
        seen = receive(ws, reply_ended)

    assert ["JSON" in errors[0], "'shout'" in errors[1], "8000 Hz" in errors[2]] == [True, True, True]
    assert "not whole 16-bit samples" in errors[3]
    assert "100000 bytes is over the 65536-byte limit" in errors[4]
    assert seen[-1]["event"]["e"]["delivered"] == ANSWER


def test_closing_the_socket_ends_the_session_with_a_reason(tmp_path: Path) -> None:
    spec = ConversationSpec(config=SCRIPTED, log_dir=tmp_path)
    with serving(create_app(spec, token=TOKEN)) as base, connect(socket_url(base)) as ws:
        session = receive(ws, lambda message: message["type"] == "ready")[-1]["session"]
        receive(ws, lambda message: message["type"] == "event")
    # Leaving ``serving`` waits for the server to stop, and the server for its conversations to end.
    log = list(decode_log((tmp_path / f"{session}.jsonl").read_bytes()))
    assert isinstance(log[-1], SessionEnded)
    assert log[-1].reason == CLIENT_GONE


def test_the_server_holds_at_most_its_limit_of_conversations() -> None:
    with serving(create_app(ConversationSpec(config=SCRIPTED), token=TOKEN, max_conversations=1)) as base:
        with connect(socket_url(base)) as first:
            receive(first, lambda message: message["type"] == "ready")
            with connect(socket_url(base)) as second:
                refusal = json.loads(second.recv(timeout=WITHIN))
                with pytest.raises(ConnectionClosed) as closed:
                    second.recv(timeout=WITHIN)
        assert refusal == {
            "type": "error",
            "message": "the server already holds 1 conversations: try again when one has ended",
        }
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == BUSY


def test_a_conversation_that_cannot_start_says_why_and_the_server_goes_on() -> None:
    broken = ConversationSpec(config=SCRIPTED, roles=ModelRoles(interaction=ModelChoice(model="no-such-model")))
    with serving(create_app(broken, token=TOKEN)) as base:
        for _ in range(2):  # the second socket finds the server still up
            with connect(socket_url(base)) as ws:
                error = receive(ws, lambda message: message["type"] == "error")[-1]
                with pytest.raises(ConnectionClosed) as closed:
                    ws.recv(timeout=WITHIN)

            assert error["message"].startswith("the conversation failed: unknown model 'no-such-model'")
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1011


# --- the command --------------------------------------------------------------------------------------------


def test_microturn_serve_prints_the_url_with_its_token_and_serves_it(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "microturn._apps._cli",
        "serve",
        "--port",
        "0",
        "--voice",
        "off",
        "--model",
        "scripted",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()  # printed once the port is open
            found = re.search(r"open (http://127\.0\.0\.1:\d+)/\?token=([\w-]+)", line)
            assert found is not None, line
            base, token = found.groups()
            assert len(token) >= 32
            with connect(socket_url(base, token)) as ws:
                ws.send(json.dumps({"type": "text", "text": "what is 2 plus 3"}))
                assert receive(ws, reply_ended)[-1]["event"]["e"]["delivered"] == ANSWER
        finally:
            process.terminate()
            process.wait(WITHIN)


def test_serve_help_names_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    from microturn._apps._cli import main

    with pytest.raises(SystemExit) as caught:
        main(["serve", "--help"])

    printed = capsys.readouterr().out
    assert caught.value.code == 0
    for option in (
        "--host",
        "--port",
        "--voice",
        "--token",
        "--model",
        "--log-dir",
        "--max-conversations",
        "--idle-timeout",
        "--max-frame-rate",
    ):
        assert option in printed


# --- an Agent of your own, served ------------------------------------------------------------------------


@tool(scopes=["weather:read"], trigger=r"weather in (?P<city>[a-z]+)")
def weather(city: str) -> str:
    """Today's weather in a city."""
    return f"Sunny in {city.title()}."


def test_an_agent_is_served_with_its_instructions_tools_and_hooks(tmp_path: Path) -> None:
    results: list[str] = []
    agent = Agent(
        "You are the weather desk.",
        model="scripted",
        tools=[weather],
        scopes=["weather:read"],
        builtin_tools=False,
        config=SessionConfig(speaking_rate=0.05),
    )
    agent.on(ToolResult)(lambda event: results.append(event.output))
    spec = ConversationSpec(agent=agent, voice="off", log_dir=tmp_path)
    with serving(create_app(spec, token=TOKEN)) as base, connect(socket_url(base)) as ws:
        session = receive(ws, lambda message: message["type"] == "ready")[-1]["session"]
        ws.send(json.dumps({"type": "text", "text": "what's the weather in lisbon"}))
        receive(ws, lambda message: "Sunny in Lisbon" in message.get("event", {}).get("e", {}).get("delivered", ""))
    log = list(decode_log((tmp_path / f"{session}.jsonl").read_bytes()))
    started = log[0]
    assert isinstance(started, SessionStarted)
    assert started.config["instructions"] == "You are the weather desk."
    assert [spec.name for spec in started.tools] == ["weather"]
    assert results == ["Sunny in Lisbon."]  # the agent's hook ran beside the served session
