"""Text for the picture: a width estimate (no font metrics offline), fitting and number formats."""

from __future__ import annotations

import unicodedata

__all__ = ["clean", "fit", "seconds", "shorten", "tail", "text_width"]

# The picture uses a monospace font stack; 0.62 em per character errs on the wide side, so a label
# we decide fits does fit in DejaVu Sans Mono, Menlo and Consolas alike.
_EM_PER_CHAR = 0.62
_ELLIPSIS = "…"


def text_width(text: str, size: float) -> float:
    """Estimated width in px of ``text`` at font ``size`` (wide East Asian characters count twice)."""
    cells = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return cells * size * _EM_PER_CHAR


def fit(text: str, width: float, size: float) -> str:
    """``text`` if it fits in ``width``; else its head and an ellipsis; "" if not even two characters fit."""
    if text_width(text, size) <= width:
        return text
    kept = text
    while kept and text_width(kept + _ELLIPSIS, size) > width:
        kept = kept[:-1]
    return kept + _ELLIPSIS if len(kept) >= 2 else ""


def shorten(text: str, limit: int) -> str:
    """At most ``limit`` characters, keeping the head."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + _ELLIPSIS


def tail(text: str, limit: int) -> str:
    """At most ``limit`` characters, keeping the end (where a cut-off happened)."""
    return text if len(text) <= limit else _ELLIPSIS + text[-(limit - 1) :].lstrip()


def clean(text: str) -> str:
    """One line of printable text: newlines and tabs become visible marks, other controls a box."""
    out: list[str] = []
    for char in text:
        if char == "\n":
            out.append("↵")
        elif char == "\t":
            out.append("⇥")
        elif unicodedata.category(char) in {"Cc", "Cs"}:
            out.append("\ufffd")
        else:
            out.append(char)
    return "".join(out)


def seconds(t: float, places: int = 2) -> str:
    """A time or a duration in seconds: ``2.40 s``."""
    return f"{t:.{places}f} s"
