"""Machine text said as a person would say it: nothing raw is ever read aloud.

Tool results and background answers are written for programs: ISO 8601 timestamps, JSON, tool-call lines,
long URLs. A voice reading "2026-12-03T22:24:06+00:00" takes six seconds and tells the listener nothing, and
a small talking model repeats what it is given. :func:`speakable` rewrites such text before it reaches the
model that talks: timestamps and dates in words, JSON as "key value" phrases, tool-call syntax dropped, URLs
cut to their site. Ordinary sentences pass through unchanged. :func:`say_clock` and :func:`say_date` are the
same phrasing for callers that hold a ``datetime`` (the world clock).
"""

from __future__ import annotations

import datetime as dt
import json
import re

__all__ = ["say_clock", "say_date", "speakable"]

_ISO = re.compile(
    r"\b\d{4}-\d{2}-\d{2}"  # the date
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"  # a time of day, seconds and fractions optional
    r"(?:Z\b|[+-]\d{2}:?\d{2}\b)?)?"  # an offset
    r"(?![\d:-])"
)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]*[^\s<>\"')\].,;:!?]", re.IGNORECASE)
_CALL_LINE = re.compile(r"^\s*call:.*$", re.MULTILINE)
"""A worker's tool call (``call: calculator {"expression": "2+2"}``) is a step, never an answer."""
_LABEL = re.compile(r"^\s*(?:answer|result|error):\s*", re.MULTILINE)
_TAGGED = re.compile(r"<(tool_call|tool_response|function_call)>.*?</\1>", re.DOTALL)
_MARKUP = re.compile(r"```[a-z]*|`|\*\*|__|<[a-z_/]+>")
_BRACKETS = re.compile(r"[{}\[\]]")
_MONTHS = ("January February March April May June July August September October November December").split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


def speakable(text: str) -> str:
    """``text`` with its machine parts in words, on one line (see the module docstring)."""
    text = _TAGGED.sub(" ", text)
    text = _CALL_LINE.sub(" ", text)
    text = _LABEL.sub("", text)
    text = _URL.sub(_site, text)
    text = _json_in_words(text)
    text = _ISO.sub(_moment_in_words, text)
    text = _MARKUP.sub("", text)
    text = _BRACKETS.sub(" ", text)
    return " ".join(text.split())


def say_clock(moment: dt.datetime | dt.time) -> str:
    """The time of day as said aloud: "7:24 in the morning", "3 o'clock in the afternoon", "midnight"."""
    hour, minute = moment.hour, moment.minute
    if minute == 0 and hour in (0, 12):
        return "midnight" if hour == 0 else "noon"
    twelve = hour % 12 or 12
    said = f"{twelve} o'clock" if minute == 0 else f"{twelve}:{minute:02d}"
    if 3 <= hour < 12:
        part = "in the morning"
    elif 12 <= hour < 18:
        part = "in the afternoon"
    elif 18 <= hour < 21:
        part = "in the evening"
    else:
        part = "at night"
    return f"{said} {part}"


def say_date(day: dt.date, *, year: bool = True) -> str:
    """The date as said aloud: "Friday 4 December 2026" (without the year when ``year`` is False)."""
    said = f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"
    return f"{said} {day.year}" if year else said


def _moment_in_words(found: re.Match[str]) -> str:
    written = found[0]
    try:
        moment = dt.datetime.fromisoformat(written.replace(" ", "T"))
    except ValueError:
        return written
    if "T" not in written and " " not in written:
        return say_date(moment.date())
    return f"{say_clock(moment)}{_offset(moment)}, {say_date(moment.date())}"


def _offset(moment: dt.datetime) -> str:
    """ " UTC" for UTC, " UTC plus 9" for another offset, nothing for a local time without one."""
    offset = moment.utcoffset()
    if offset is None:
        return ""
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return " UTC"
    sign = "plus" if minutes > 0 else "minus"
    hours, rest = divmod(abs(minutes), 60)
    return f" UTC {sign} {hours}" + (f":{rest:02d}" if rest else "")


def _site(found: re.Match[str]) -> str:
    """A URL said as its site: "https://www.example.com/a/b?c=1" is "example.com"."""
    url = found[0]
    host = re.sub(r"^(?:https?://)?(?:www\.)?", "", url, flags=re.IGNORECASE)
    host = re.split(r"[/?#:]", host, maxsplit=1)[0]
    return host.rstrip(".,;") or url


def _json_in_words(text: str) -> str:
    """Every JSON object or array in ``text`` said as phrases: {"city": "Porto", "temp": 21} is "city Porto,
    temp 21"; what does not parse as JSON is left for the bracket pass to clear."""
    decoder = json.JSONDecoder()
    parts: list[str] = []
    position = 0
    while True:
        start = min((i for i in (text.find("{", position), text.find("[", position)) if i >= 0), default=-1)
        if start < 0:
            parts.append(text[position:])
            return "".join(parts)
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            parts.append(text[position : start + 1])
            position = start + 1
            continue
        parts.append(text[position:start] + _value_in_words(value))
        position = end


def _value_in_words(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{str(key).replace('_', ' ')} {_value_in_words(item)}" for key, item in value.items())
    if isinstance(value, list):
        said = [_value_in_words(item) for item in value]
        return said[0] if len(said) == 1 else ", ".join(said[:-1]) + (f" and {said[-1]}" if said else "")
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
