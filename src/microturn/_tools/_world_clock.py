"""What time it is anywhere, and a time in one zone as seen from another.

The time comes from the session's Clock (``wall()``), so a virtual session gets a reproducible answer.
Programs and tool-using models name a zone and get ISO 8601 back. A person names a place ("what time is it
in Tokyo"): the trigger hands it to ``current_time`` as ``place``, which answers in words the talking model
can say as they are ("It's 7:24 in the morning in Tokyo, Friday 4 December.") and never falls back to UTC:
a place it cannot find is said plainly.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from microturn._core._clock import Clock
from microturn._core._speakable import say_clock, say_date
from microturn._core._tools import ToolError
from microturn._tools._places import find_place
from microturn._tools._tool import Tool, tool

__all__ = ["clock_tools"]

Zone = Annotated[
    str,
    msgspec.Meta(
        max_length=64, description="An IANA time zone such as 'Europe/Paris' or 'America/New_York', or 'UTC'."
    ),
]
PlaceName = Annotated[
    str,
    msgspec.Meta(
        max_length=64,
        description="A place as people name it ('Tokyo', 'New York', 'India'): the answer is a sentence.",
    ),
]
When = Annotated[
    str,
    msgspec.Meta(
        max_length=64,
        description="A time of day today ('14:30') or a date and time ('2026-03-01T14:30'); "
        "an explicit offset ('+01:00') takes precedence over from_zone.",
    ),
]

_UTC_NAMES = frozenset({"UTC", "Z", "GMT", "ETC/UTC"})
_ASKING = (
    r"(?:what time is it|what time it is|what(?:'s| is) the (?:current |local )?time|(?:current|local) time"
    r"|tell me the time|the time (?:right )?now)"
)
_PLACE = r"(?P<place>[a-z][a-z'-]*(?: [a-z][a-z'-]*){0,4})"
_WHAT_TIME = rf"(?:\b{_ASKING}\b(?: (?:right now|now|currently))?|^time(?= in ))(?: in {_PLACE})?"
"""Read from ``words()`` text: "what time is it", "what's the time in new york right now", "time in sydney".
The place takes the words after "in" (up to five): ``current_time`` keeps the longest run that names one."""
_AFTER_PLACE = re.compile(r"\s+(?:and|or|but|right|now|please|today|tonight|currently|then|at|exactly)\b.*$")


def clock_tools(clock: Clock) -> list[Tool[..., str]]:
    """The clock tools, reading time from ``clock``."""

    @tool(name="current_time", trigger=_WHAT_TIME)
    def current_time(zone: Zone = "UTC", place: PlaceName = "") -> str:
        """The current date and time in a time zone, as ISO 8601; for a place, in words."""
        if place.strip():
            return _time_in(place, clock.wall())
        moment = dt.datetime.fromtimestamp(clock.wall(), tz=_zone(zone))
        return moment.isoformat(timespec="seconds")

    @tool(name="convert_time")
    def convert_time(time: When, to_zone: Zone, from_zone: Zone = "UTC") -> str:
        """Convert a time from one time zone to another; the answer is ISO 8601 in the target zone."""
        source = _zone(from_zone)
        moment = _parse(time, source, today=dt.datetime.fromtimestamp(clock.wall(), tz=source).date())
        return moment.astimezone(_zone(to_zone)).isoformat(timespec="seconds")

    return [current_time, convert_time]


def _time_in(place: str, wall: float) -> str:
    """ "It's 7:24 in the morning in Tokyo, Friday 4 December.": what the agent may say just as it is."""
    found = find_place(place)
    if found is None:
        asked = _AFTER_PLACE.sub("", place.strip()) or place.strip()
        raise ToolError(f"I don't know the time zone of {asked.title()}.", transient=False)
    moment = dt.datetime.fromtimestamp(wall, tz=ZoneInfo(found.zone))
    return f"It's {say_clock(moment)} in {found.name}, {say_date(moment.date(), year=False)}."


def _zone(name: str) -> dt.tzinfo:
    if name.strip().upper() in _UTC_NAMES:
        return dt.UTC
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        place = find_place(name)  # a model may well name the city: "Tokyo" is Asia/Tokyo
        if place is not None:
            return ZoneInfo(place.zone)
        raise ToolError(
            f"unknown time zone {name!r}; use an IANA name such as 'Europe/Paris' or 'UTC'", transient=False
        ) from None


def _parse(text: str, zone: dt.tzinfo, *, today: dt.date) -> dt.datetime:
    text = text.strip()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = dt.datetime.combine(today, dt.time.fromisoformat(text))
        except ValueError:
            raise ToolError(
                f"{text!r} is not a time; write it as 'HH:MM' or 'YYYY-MM-DDTHH:MM'", transient=False
            ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
