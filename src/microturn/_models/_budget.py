"""Prompts within a budget in tokens: the transcript's recent part verbatim, the older part in short.

A session's timeline only grows, but a model's prompt must not. Budgets are counted in tokens by a
``Count`` function: the embedded model's own tokenizer, or :func:`estimate_tokens` for a remote model.

Past ``keep`` tokens the oldest transcript is cut off and replaced by a short summary of it — who
said what, each line shortened, the latest first to be kept. The cut moves in ``ROLL_CHARS`` steps,
not with every word, and the summary is made from the cut-off part alone, so consecutive prompts
share their whole prefix (and the model's KV cache) until the next roll: the per-turn cost stays flat
however long the session grows. The summary is extractive (no model call), so it costs nothing and
never invents. A single line too long for the budget (a pasted file) keeps its start and its end.

The background agent's steps are fitted by :func:`fit_steps`: each tool output is cut to a fixed
share of the room (with a marker saying so), and the oldest steps are left out first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from microturn.errors import ConfigError

__all__ = [
    "KEEP_TOKENS",
    "LINE_CHARS",
    "MIN_KEEP_TOKENS",
    "MIN_STEP_TOKENS",
    "ROLL_CHARS",
    "SUMMARY_TOKENS",
    "TAIL_TOKENS",
    "Budget",
    "Count",
    "clip",
    "estimate_tokens",
    "fit_steps",
    "recent",
    "size",
    "summarise",
]

Count = Callable[[str], int]
"""How many tokens a text takes in a model's prompt."""

KEEP_TOKENS = 2000
"""Transcript kept verbatim: with the preamble and the reply, well inside a 4,096-token context."""
ROLL_CHARS = 3000
"""The oldest transcript is dropped in steps this big, so the prompt prefix stays the same between steps."""
SUMMARY_TOKENS = 200
"""The most the summary of the dropped part may take."""
MIN_KEEP_TOKENS = 4 * SUMMARY_TOKENS
"""The least room a conversation's prompt must leave its transcript (a summary and a few lines)."""
MIN_STEP_TOKENS = 300
"""The least room a background prompt must leave for the steps so far (the latest one at least, in short)."""
TAIL_TOKENS = 300
"""Room kept after the transcript for the facts found, the instruction and the words to answer."""
LINE_CHARS = 80
"""Each summarised line is shortened to about this many characters."""
SHORTENED = " … (shortened) … "
"""Marks where a text too long for its share was cut."""

_SPEECH = re.compile(r"^\[[^\]]*\] (user|agent): (.+)$")
_PIECE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])| |\s+|[^\x00-\x7f]+|.", re.S)


def estimate_tokens(text: str) -> int:
    """A safe (over-)estimate of a text's tokens for a model whose tokenizer is not at hand.

    Word pieces of up to four letters, every digit and punctuation mark, two bytes of anything
    beyond ASCII, a third on top. Checked against Gemma 3's tokenizer (tests/test_budget.py): about
    1.1x its count for random keys and digits, 1.5-1.8x for English and code, up to 4x for CJK text.
    A tokenizer with a much smaller vocabulary may need more: configure the context a little short.
    """
    total = 0
    for piece in _PIECE.findall(text):
        first = piece[0]
        if first == " " and len(piece) == 1:
            continue  # a single space goes with the next word
        if first.isascii() and first.isalpha():
            total += -(-len(piece) // 4)
        elif first.isspace():
            total += -(-len(piece) // 8)
        elif first.isascii():
            total += 1
        else:
            total += -(-len(piece.encode()) // 2)
    return total + total // 3


@dataclass(frozen=True, slots=True)
class Budget:
    """What one request to a model may hold, in tokens: ``context`` in all, ``reply`` of it for the reply."""

    context: int = 4096
    reply: int = 64
    count: Count = estimate_tokens

    def room(self, *fixed: str) -> int:
        """The tokens left once the reply, the ``fixed`` parts and a safety margin (1/32) are taken."""
        return self.context - self.reply - sum(size(part, self.count) for part in fixed) - self.context // 32

    def check(self, what: str, *fixed: str, least: int = MIN_KEEP_TOKENS + TAIL_TOKENS) -> None:
        """Refuse a context too small to hold ``fixed`` (estimated), ``least`` more tokens and the reply."""
        missing = least - Budget(self.context, self.reply).room(*fixed)
        if missing > 0:
            raise ConfigError(
                f"{what}: a context of {self.context} tokens cannot hold its prompt and a {self.reply}-token reply; "
                f"give it at least {self.context + missing} tokens of context (or fewer reply tokens)"
            )


def size(text: str, count: Count) -> int:
    """The tokens of ``text`` counted line by line (each line once in a cache), line breaks included."""
    return sum(count(line) + 1 for line in text.split("\n"))


def recent(timeline: str, *, keep: int = KEEP_TOKENS, count: Count = estimate_tokens) -> str:
    """The transcript within ``keep`` tokens: whole while short; later, a summary and its recent part.

    ``count`` is called on single lines, the same ones again and again (cache it where it is dear);
    a line longer than a quarter of ``keep`` is clipped in the middle.
    """
    line_room = max(1, keep // 4)
    summary_room = min(SUMMARY_TOKENS, keep // 4)
    latest: list[str] = []  # the lines walked back from the end, each clipped
    total, end, need = 0, len(timeline), -1
    while total <= keep:
        start = timeline.rfind("\n", 0, end) + 1
        latest.append(clip(timeline[start:end], line_room, count))
        total += count(latest[-1]) + 1
        if need < 0 and total > keep - summary_room:
            need = end  # this line is one too many: the lines after it fit beside a summary
        if start == 0:
            break
        end = start - 1
    if total <= keep:
        return "\n".join(reversed(latest))
    # Cut at the first line break of the next whole roll step past what must go, so the cut (and
    # the summary) stay put while the transcript grows within that step.
    cut = timeline.find("\n", -(-need // ROLL_CHARS) * ROLL_CHARS)
    if cut < 0:
        cut = need
    kept = latest[: timeline.count("\n", cut + 1) + 1]
    return "\n".join([summarise(timeline[:cut], room=summary_room, count=count), *reversed(kept)])


def summarise(earlier: str, *, room: int = SUMMARY_TOKENS, count: Count = estimate_tokens) -> str:
    """One line standing in for ``earlier`` (within ``room`` tokens, its line break included): its user and
    agent lines, shortened, as many of the latest as fit."""
    said = [_shorten(f"{match[1]}: {match[2]}") for line in earlier.splitlines() if (match := _SPEECH.match(line))]
    kept: list[str] = []
    left = room - count("(earlier conversation, in short: … / )") - 1
    for line in reversed(said):
        left -= count(line) + 1
        if left < 0:
            break
        kept.append(line)
    while kept:  # the parts were counted apart; the whole may take a token or two more
        more = "… / " if len(kept) < len(said) else ""
        summary = f"(earlier conversation, in short: {more}{' / '.join(reversed(kept))})"
        if count(summary) + 1 <= room:
            return summary
        kept.pop()
    return "(earlier conversation omitted)"


def clip(text: str, room: int, count: Count) -> str:
    """``text`` within ``room`` tokens: whole if it fits, else its start and its end around a marker."""
    tokens = count(text)
    if tokens <= room:
        return text
    keep = len(text) * max(0, room - count(SHORTENED)) // tokens
    while keep > 0:
        clipped = text[: keep - keep // 2] + SHORTENED + text[len(text) - keep // 2 :]
        if count(clipped) <= room:
            return clipped
        keep = keep * 3 // 4
    return SHORTENED.strip()


def fit_steps(steps: Sequence[tuple[str, str]], room: int, count: Count) -> list[str]:
    """A background job's steps (each a call line and a result line) as lines within ``room`` tokens.

    Each line gets at most a third of the room, a share that does not change from step to step (so
    the prompt only grows while it fits); then the oldest steps are left out, never the latest.
    """
    share = max(1, room // 3)
    fitted = [(clip(call, share, count), clip(result, share, count)) for call, result in steps]
    sizes = [count(call) + count(result) + 2 for call, result in fitted]
    dropped = 0
    while dropped < len(fitted) - 1 and sum(sizes[dropped:]) + _omitted_size(dropped, count) > room:
        dropped += 1
    lines = [_omitted(dropped)] if dropped else []
    for call, result in fitted[dropped:]:
        lines += [call, result]
    return lines


def _omitted(dropped: int) -> str:
    return f"(earlier steps left out: {dropped})"


def _omitted_size(dropped: int, count: Count) -> int:
    return count(_omitted(dropped)) + 1 if dropped else 0


def _shorten(line: str) -> str:
    line = " ".join(line.split())
    if len(line) <= LINE_CHARS:
        return line
    end = line.rfind(" ", 0, LINE_CHARS)
    return line[: end if end > 0 else LINE_CHARS] + " …"
