"""The versioned JSON wire codec: one event per frame, one frame per line in a log.

A frame is ``{"v": 1, "e": {"kind": "UserInput", ...}}``. Decoding validates the whole event against
its type and turns every failure into a :class:`~microturn.errors.MalformedEvent` or
:class:`~microturn.errors.UnsupportedVersion` that says what was wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Union

import msgspec

from microturn._core._events import Event, event_kinds
from microturn.errors import CodecError, MalformedEvent, UnsupportedVersion

__all__ = ["CODEC_VERSION", "decode_event", "decode_log", "encode_event", "encode_log", "split_torn_tail"]

CODEC_VERSION = 1
_EXCERPT = 120

if TYPE_CHECKING:
    AnyEvent = Event
else:
    AnyEvent = Union[event_kinds()]  # noqa: UP007  (a tagged union of every kind, built from the classes)


class _Header(msgspec.Struct):
    v: Any = None


class _Frame(msgspec.Struct):
    v: int
    e: AnyEvent


_encoder = msgspec.json.Encoder()
_header_decoder = msgspec.json.Decoder(_Header)
_frame_decoder = msgspec.json.Decoder(_Frame)


def encode_event(event: Event) -> bytes:
    """One frame, without a trailing newline."""
    return _encoder.encode(_Frame(v=CODEC_VERSION, e=event))


def decode_event(data: bytes | str) -> Event:
    """Decode one frame; raise MalformedEvent or UnsupportedVersion on bad input."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        header = _header_decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise MalformedEvent(f"not a JSON object frame ({exc})", excerpt=_excerpt(raw)) from None
    if header.v is None:
        raise MalformedEvent('frame has no codec version: expected {"v": 1, "e": {...}}', excerpt=_excerpt(raw))
    if header.v != CODEC_VERSION:
        raise UnsupportedVersion(header.v, CODEC_VERSION)
    try:
        frame = _frame_decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise MalformedEvent(f"invalid event: {exc}", excerpt=_excerpt(raw)) from None
    event: Event = frame.e
    return event


def encode_log(events: Iterable[Event]) -> bytes:
    """A log file: one frame per line, each line ending in a newline."""
    return b"".join(encode_event(event) + b"\n" for event in events)


def split_torn_tail(data: bytes) -> tuple[bytes, bytes]:
    """Split a log into its complete lines and a torn last line (``b""`` if there is none).

    Every line is written in one go with its newline, so a crash mid-write leaves a last line with
    no newline that does not decode: that is torn, and the events before it are whole. A last line
    without a newline that *does* decode lost only its newline, and counts as complete.
    """
    if not data or data.endswith(b"\n"):
        return data, b""
    cut = data.rfind(b"\n") + 1
    tail = data[cut:]
    try:
        decode_event(tail)
    except CodecError:
        return data[:cut], tail
    return data, b""


def decode_log(data: bytes) -> Iterator[Event]:
    """Decode a log file; a bad line raises with its line number, except a torn last line (a crash
    cut its write short), which is left out: :func:`split_torn_tail` tells whether there was one."""
    complete, _ = split_torn_tail(data)
    for number, line in enumerate(complete.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield decode_event(line)
        except MalformedEvent as exc:
            raise MalformedEvent(f"line {number}: {exc}", excerpt=exc.excerpt) from None
        except UnsupportedVersion as exc:
            raise UnsupportedVersion(exc.version, exc.supported, line=number) from None


def _excerpt(raw: bytes) -> str:
    text = raw[:_EXCERPT].decode("utf-8", errors="replace")
    return text + ("…" if len(raw) > _EXCERPT else "")
