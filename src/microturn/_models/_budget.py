"""The transcript a model sees, within a budget: the recent part verbatim, the older part in short.

A session's timeline only grows, but a model's prompt must not: past ``KEEP_CHARS`` the oldest
transcript is cut off and replaced by a short summary of it — who said what, each line shortened,
the latest first to be kept. The cut moves in ``ROLL_CHARS`` steps, not with every word, and the
summary is made from the cut-off part alone, so consecutive prompts share their whole prefix (and
the model's KV cache) until the next roll: the per-turn cost stays flat however long the session
grows. The summary is extractive (no model call), so it costs nothing and never invents.
"""

from __future__ import annotations

import re

__all__ = ["KEEP_CHARS", "ROLL_CHARS", "SUMMARY_CHARS", "recent", "summarise"]

KEEP_CHARS = 8000
"""About 2,000 tokens of transcript: with the preamble and the reply, well inside a 4,096-token context."""
ROLL_CHARS = 3000
"""The oldest transcript is dropped in steps this big, so the prompt prefix stays the same between steps."""
SUMMARY_CHARS = 600
"""The most the summary of the dropped part may take (about 150 tokens)."""
LINE_CHARS = 80
"""Each summarised line is shortened to about this many characters."""

_SPEECH = re.compile(r"^\[[^\]]*\] (user|agent): (.+)$")


def recent(timeline: str) -> str:
    """The transcript within budget: the whole of it while short; later, a summary and its recent part."""
    excess = len(timeline) - KEEP_CHARS
    if excess <= 0:
        return timeline
    cut = timeline.find("\n", -(-excess // ROLL_CHARS) * ROLL_CHARS)
    if cut < 0:
        return timeline[-KEEP_CHARS:]
    return summarise(timeline[:cut]) + timeline[cut:]


def summarise(earlier: str) -> str:
    """One line standing in for ``earlier``: its user and agent lines, shortened, as many of the latest as fit."""
    said = [_shorten(f"{match[1]}: {match[2]}") for line in earlier.splitlines() if (match := _SPEECH.match(line))]
    kept: list[str] = []
    room = SUMMARY_CHARS
    for line in reversed(said):
        if len(line) + 3 > room:
            break
        kept.append(line)
        room -= len(line) + 3
    if not kept:
        return "(earlier conversation omitted)"
    more = "… / " if len(kept) < len(said) else ""
    return f"(earlier conversation, in short: {more}{' / '.join(reversed(kept))})"


def _shorten(line: str) -> str:
    line = " ".join(line.split())
    if len(line) <= LINE_CHARS:
        return line
    end = line.rfind(" ", 0, LINE_CHARS)
    return line[: end if end > 0 else LINE_CHARS] + " …"
