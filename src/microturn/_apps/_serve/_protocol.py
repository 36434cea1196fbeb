"""The browser wire protocol, sans-I/O: client frames in, typed messages or a refusal out; server messages out.

Reading never raises on bad input: a frame that breaks the protocol becomes a :class:`Refused` with a
message for the client, and the conversation goes on. The protocol itself is described in the
package docstring (:mod:`microturn._apps._serve`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from microturn._core._codec import encode_event
from microturn._core._events import Event

__all__ = [
    "INPUT_RATE",
    "MAX_FRAME",
    "Hello",
    "MicOff",
    "Pcm",
    "Refused",
    "Typed",
    "audio_header",
    "error_message",
    "event_message",
    "flush_message",
    "read_binary",
    "read_text",
    "ready_message",
    "transcript_message",
]

INPUT_RATE = 16_000
"""The only microphone rate the server takes: 16 kHz, s16le, mono."""

MAX_FRAME = 64 * 1024
"""Largest client frame, text or binary, in bytes (2 s of 16 kHz PCM; a page sends 20 ms at a time)."""

_EXCERPT = 60


@dataclass(frozen=True, slots=True)
class Hello:
    sample_rate: int


@dataclass(frozen=True, slots=True)
class Typed:
    text: str


@dataclass(frozen=True, slots=True)
class MicOff:
    """The page stopped its microphone: the stretch of speech it was in is over (no quiet will follow it)."""


@dataclass(frozen=True, slots=True)
class Pcm:
    data: bytes


@dataclass(frozen=True, slots=True)
class Refused:
    """The frame broke the protocol; ``message`` tells the client how."""

    message: str


Message = Hello | Typed | MicOff | Pcm | Refused


class _Kind(msgspec.Struct):
    type: Any = None


class _Hello(msgspec.Struct):
    type: str
    sample_rate: int


class _Text(msgspec.Struct):
    type: str
    text: str


class _MicOff(msgspec.Struct):
    type: str


_kind = msgspec.json.Decoder(_Kind)
_bodies: dict[str, msgspec.json.Decoder[Any]] = {
    "hello": msgspec.json.Decoder(_Hello),
    "text": msgspec.json.Decoder(_Text),
    "mic_off": msgspec.json.Decoder(_MicOff),
}
_encode = msgspec.json.Encoder().encode


def read_text(frame: str) -> Message:
    """A client text frame: a JSON message ``{"type": "hello" | "text" | "mic_off", ...}``."""
    raw = frame.encode("utf-8", errors="replace")
    if len(raw) > MAX_FRAME:
        return Refused(f"text frame of {len(raw)} bytes is over the {MAX_FRAME}-byte limit; it was ignored")
    try:
        kind = _kind.decode(raw).type
    except msgspec.DecodeError:
        return Refused(f"not a JSON object: {_excerpt(frame)!r}")
    body = _bodies.get(kind) if isinstance(kind, str) else None
    if body is None:
        known = " or ".join(f'"{name}"' for name in _bodies)
        return Refused(f"unknown message type {kind!r}: expected {known}")
    try:
        message = body.decode(raw)
    except msgspec.ValidationError as exc:
        return Refused(f"invalid {kind} message: {exc}")
    if isinstance(message, _Hello):
        if message.sample_rate != INPUT_RATE:
            return Refused(
                f"microphone sample rate {message.sample_rate} Hz is not supported: send {INPUT_RATE} Hz s16le mono"
            )
        return Hello(message.sample_rate)
    if isinstance(message, _MicOff):
        return MicOff()
    assert isinstance(message, _Text)
    if not message.text.strip():
        return Refused("text message is empty")
    return Typed(message.text)


def read_binary(frame: bytes) -> Message:
    """A client binary frame: microphone PCM, 16 kHz s16le mono."""
    if len(frame) > MAX_FRAME:
        return Refused(f"audio frame of {len(frame)} bytes is over the {MAX_FRAME}-byte limit; it was ignored")
    if len(frame) % 2:
        return Refused(f"audio frame of {len(frame)} bytes is not whole 16-bit samples; it was ignored")
    if not frame:
        return Refused("audio frame is empty")
    return Pcm(frame)


# --- server -> client --------------------------------------------------------------------------------


def ready_message(session: str, *, voice: str) -> str:
    """The first message on every socket: the conversation is open."""
    return _json({"type": "ready", "session": session, "voice": voice, "sample_rate": INPUT_RATE})


def event_message(event: Event) -> str:
    """A session event, as microturn's versioned codec frame (``{"v": 1, "e": {...}}``)."""
    return '{"type":"event","event":' + encode_event(event).decode() + "}"


def transcript_message(text: str, *, final: bool, stretch: int) -> str:
    """What the user is heard saying in stretch of speech ``stretch`` (from 1): rough so far, or its ``final`` text."""
    return _json({"type": "transcript", "text": text, "final": final, "stretch": stretch})


def flush_message(utterance: int) -> str:
    return _json({"type": "flush", "utterance": utterance})


def error_message(message: str) -> str:
    return _json({"type": "error", "message": message})


def audio_header(*, utterance: int, sample_rate: int, text: str, size: int) -> str:
    """Announces the binary frame of ``size`` bytes of agent PCM that follows it at once."""
    return _json({"type": "audio", "utterance": utterance, "sample_rate": sample_rate, "text": text, "bytes": size})


def _json(message: dict[str, Any]) -> str:
    return _encode(message).decode()


def _excerpt(text: str) -> str:
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "…"
