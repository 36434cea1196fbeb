"""What time it is anywhere, and a time in one zone as seen from another.

The time comes from the session's Clock (``wall()``), so a virtual session gets a reproducible answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from microturn._core._clock import Clock
from microturn._core._tools import ToolError
from microturn._tools._tool import Tool, tool

__all__ = ["clock_tools"]

Zone = Annotated[
    str,
    msgspec.Meta(
        max_length=64, description="An IANA time zone such as 'Europe/Paris' or 'America/New_York', or 'UTC'."
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
_WHAT_TIME = r"\bwhat time is it\b|\bwhat's the time\b|\bwhat is the time\b"


def clock_tools(clock: Clock) -> list[Tool[..., str]]:
    """The clock tools, reading time from ``clock``."""

    @tool(name="current_time", trigger=_WHAT_TIME)
    def current_time(zone: Zone = "UTC") -> str:
        """The current date and time in a time zone, as ISO 8601."""
        moment = dt.datetime.fromtimestamp(clock.wall(), tz=_zone(zone))
        return moment.isoformat(timespec="seconds")

    @tool(name="convert_time")
    def convert_time(time: When, to_zone: Zone, from_zone: Zone = "UTC") -> str:
        """Convert a time from one time zone to another; the answer is ISO 8601 in the target zone."""
        source = _zone(from_zone)
        moment = _parse(time, source, today=dt.datetime.fromtimestamp(clock.wall(), tz=source).date())
        return moment.astimezone(_zone(to_zone)).isoformat(timespec="seconds")

    return [current_time, convert_time]


def _zone(name: str) -> dt.tzinfo:
    if name.strip().upper() in _UTC_NAMES:
        return dt.UTC
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
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
