"""Spans of time in a turn's words: "ten seconds", "an hour and a half", "2 min 30", "1h30", "a quarter of an hour".

The learned intent reads *that* a turn asks for a timer; how long it is, is read here by a small grammar of
English amounts and units, so that any phrasing of the request works with any way of saying the time. A
duration is an amount ("ten", "4.5", "a", "half an", "a quarter of an", "twenty five", "a hundred and twenty",
"four and a half") and a unit (seconds, minutes, hours, or "s"/"m"/"h" right after a numeral), followed by
smaller parts ("and twenty minutes", "30" after minutes: seconds, after hours: minutes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from microturn._core._language import NUMBER_WORDS

__all__ = ["Duration", "bare_minutes", "durations", "every"]

_UNITS = {
    **dict.fromkeys(("second", "seconds", "sec", "secs"), 1.0),
    **dict.fromkeys(("minute", "minutes", "min", "mins"), 60.0),
    **dict.fromkeys(("hour", "hours", "hr", "hrs"), 3600.0),
}
_SHORT_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
"""Units only right after a numeral: "25m", "1h30", "90s"."""
_NEXT_SMALLER = {3600.0: 60.0, 60.0: 1.0}
"""The unit of a bare numeral after a duration: "2 min 30" is 2 minutes 30 seconds, "1h30" 1 hour 30 minutes."""
_ARTICLES = frozenset({"a", "an"})
_REPEATS = frozenset({"every", "each", "per"})
_BARE_AFTER = frozenset({"", "to", "and", "then", "please", "pls", "so", "if", "for", ",", "."})
"""What may follow a bare numeral read as minutes ("remind me in 10 to take my meds")."""


@dataclass(frozen=True, slots=True)
class Duration:
    """``seconds`` said by ``tokens[start:end]``."""

    start: int
    end: int
    seconds: float


def durations(tokens: Sequence[str]) -> list[Duration]:
    """Every span of time in ``tokens`` (lower-case words, as ``_core._language.words`` gives), in order."""
    found: list[Duration] = []
    position = 0
    while position < len(tokens):
        duration = _duration_at(tokens, position)
        if duration is None:
            position += 1
        else:
            found.append(duration)
            position = duration.end
    return found


def every(tokens: Sequence[str], spans: Sequence[Duration]) -> Duration | None:
    """The interval of a repeating request: "every ten minutes", "each hour", "at intervals of 30 minutes",
    "every hour" (a bare unit is one of it), "hourly"."""
    for span in spans:
        before = tokens[max(0, span.start - 2) : span.start]
        if (before[-1:] and before[-1] in _REPEATS) or before == ["intervals", "of"]:
            return span
    for index, token in enumerate(tokens):
        unit = _UNITS.get(tokens[index + 1]) if token in _REPEATS and index + 1 < len(tokens) else None
        if unit is not None:
            return Duration(index + 1, index + 2, unit)
        if token == "hourly":
            return Duration(index, index + 1, 3600.0)
    return None


def bare_minutes(tokens: Sequence[str]) -> Duration | None:
    """A numeral with no unit after "in", read as minutes ("gimme a buzz in 5"); or after "count down from",
    as seconds ("count down from sixty")."""
    for index, token in enumerate(tokens[:-1]):
        amount = _amount_at(tokens, index + 1)
        if amount is None:
            continue
        value, end = amount
        following = tokens[end] if end < len(tokens) else ""
        if token == "in" and tokens[index + 1] not in _ARTICLES and following in _BARE_AFTER:
            return Duration(index + 1, end, value * 60.0)
        if token == "from" and index > 0 and tokens[index - 1] in {"down", "countdown"}:
            return Duration(index + 1, end, value)
    return None


def _duration_at(tokens: Sequence[str], start: int) -> Duration | None:
    amount = _amount_at(tokens, start)
    if amount is None:
        return None
    value, position = amount
    unit = _unit_at(tokens, position)
    if unit is None:
        return None
    seconds = value * unit
    position += 1
    if list(tokens[position : position + 3]) == ["and", "a", "half"]:
        seconds += 0.5 * unit  # "an hour and a half"
        position += 3
    while position < len(tokens):
        joined = position + (tokens[position] == "and")
        more = _amount_at(tokens, joined)
        if more is None:
            break
        value, after = more
        smaller = _unit_at(tokens, after)
        if smaller is not None and smaller < unit:  # "an hour and twenty minutes"
            seconds, unit, position = seconds + value * smaller, smaller, after + 1
        elif smaller is None and joined == position and tokens[position][0].isdigit() and unit in _NEXT_SMALLER:
            unit = _NEXT_SMALLER[unit]  # "2 min 30", "1h30"
            seconds, position = seconds + value * unit, after
        else:
            break
    return Duration(start, position, seconds)


def _unit_at(tokens: Sequence[str], position: int) -> float | None:
    if position >= len(tokens):
        return None
    token = tokens[position]
    if token in _UNITS:
        return _UNITS[token]
    if token in _SHORT_UNITS and position > 0 and tokens[position - 1][0].isdigit():
        return _SHORT_UNITS[token]
    return None


def _amount_at(tokens: Sequence[str], start: int) -> tuple[float, int] | None:
    """The amount that starts at ``start`` and where it ends: "ten", "4.5", "an", "half an", "a quarter of an",
    "three quarters of an", "twenty five", "a hundred and twenty", "four and a half"."""
    if start >= len(tokens):
        return None
    token = tokens[start]
    if token in _ARTICLES:
        following = tokens[start + 1] if start + 1 < len(tokens) else ""
        if following in {"half", "quarter"}:
            return _fraction_at(tokens, start + 1, 1.0)
        if following == "hundred":
            return _number_at(tokens, start + 1)
        return 1.0, start + 1
    if token in {"half", "quarter"}:
        return _fraction_at(tokens, start, 1.0)
    number = _number_at(tokens, start)
    if number is None:
        return None
    value, position = number
    if position < len(tokens) and tokens[position] in {"quarter", "quarters"}:
        return _fraction_at(tokens, position, value)  # "three quarters of an hour"
    if list(tokens[position : position + 3]) == ["and", "a", "half"]:
        return value + 0.5, position + 3
    return value, position


def _fraction_at(tokens: Sequence[str], position: int, count: float) -> tuple[float, int]:
    """ "half an", "quarter of an", "quarters of a": the fraction, and the article and "of" after it skipped."""
    value = count * (0.5 if tokens[position] == "half" else 0.25)
    position += 1
    if position < len(tokens) and tokens[position] == "of":
        position += 1
    if position < len(tokens) and tokens[position] in _ARTICLES:
        position += 1
    return value, position


def _number_at(tokens: Sequence[str], start: int) -> tuple[float, int] | None:
    """A numeral ("90", "1.5") or number words ("twenty five", "forty-five", "a hundred and twenty")."""
    token = tokens[start]
    if token[0].isdigit():
        try:
            return float(token.replace(",", "")), start + 1
        except ValueError:
            return None
    total = 0.0
    current = 0.0
    position = start
    while position < len(tokens):
        parts = tokens[position].split("-")
        if not all(part in NUMBER_WORDS for part in parts):
            if tokens[position] == "and" and position > start and tokens[position - 1] == "hundred":
                following = tokens[position + 1] if position + 1 < len(tokens) else ""
                if following.split("-")[0] in NUMBER_WORDS and following != "hundred":
                    position += 1  # "a hundred and twenty"
                    continue
            break
        for part in parts:
            value = NUMBER_WORDS[part]
            if value == 100:
                current = max(current, 1.0) * 100
            elif value == 1000:
                total, current = total + max(current, 1.0) * 1000, 0.0
            else:
                current += value
        position += 1
    if position == start:
        return None
    return total + current, position
