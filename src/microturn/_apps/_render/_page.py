"""The HTML page: header and counts, zoom controls and the overview, the picture (lane names fixed, the
roll zooms and scrolls), legend, transcript, and the script that zooms (``roll.js``, inlined)."""

from __future__ import annotations

import html
from functools import cache
from importlib import resources

from microturn._apps._render._layout import Picture
from microturn._apps._render._style import CSS, LEGEND, Swatch
from microturn._apps._render._summary import Summary
from microturn._apps._render._svg import lanes_svg, roll_svg
from microturn._apps._render._text import seconds

__all__ = ["page"]


def page(*, title: str, summary: Summary, picture: Picture, overview: str, transcript: str) -> str:
    e = html.escape
    session = f"session <code>{e(summary.session)}</code>" if summary.session else "no session id"
    counts = [
        (summary.user_words, "user words"),
        (summary.agent_utterances, "agent utterances"),
        (summary.interruptions, "interruptions"),
        (summary.silences, "silences"),
        (summary.overlaps, "overlaps"),
    ]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{e(title)}</title>",
            f"<style>{CSS}</style>",
            "</head>",
            "<body>",
            "<header>",
            f"<h1>{e(title)}</h1>",
            f'<p class="meta">{session} · {e(seconds(summary.duration, 1))} · {summary.events} events</p>',
            '<ul class="counts">',
            *(f'<li class="count"><b>{number}</b> {e(label)}</li>' for number, label in counts),
            "</ul>",
            "</header>",
            '<div class="zoom-bar" hidden>',
            '<button type="button" data-action="out" title="zoom out (−)">−</button>',
            '<button type="button" data-action="in" title="zoom in (+)">+</button>',
            '<button type="button" data-action="fit" title="the whole session (0)">Fit</button>',
            '<span class="zoom-readout"></span>',
            '<span class="zoom-help">Ctrl/⌘ + wheel or pinch: zoom · drag or wheel: pan · keys + − 0 ← →</span>',
            "</div>",
            '<div class="strip"><span class="strip-name">overview</span>',
            overview,
            "</div>",
            '<div class="picture">',
            f'<div class="lane-column">{lanes_svg(picture)}</div>',
            f'<div class="scroller">{roll_svg(picture)}</div>',
            "</div>",
            '<ul class="legend">',
            *(f"<li>{_swatch(css, kind)}{e(label)}</li>" for css, kind, label in LEGEND),
            "</ul>",
            "<h2>Timeline</h2>",
            f'<pre class="timeline">{e(transcript)}</pre>',
            f"<script>{_script()}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )


@cache
def _script() -> str:
    return (resources.files("microturn._apps._render") / "roll.js").read_text(encoding="utf-8")


def _swatch(css: str, kind: Swatch) -> str:
    """A tiny picture of a mark, drawn with the mark's own classes (so it is coloured the same)."""
    shapes = {
        "box": '<rect class="box" x="1" y="2" width="20" height="10" rx="2"/>',
        "thin": '<rect class="bar" x="1" y="6" width="20" height="3"/>',
        "line": '<line x1="11" y1="3" x2="11" y2="11"/>',
        "dot": '<circle class="glyph" cx="11" cy="7" r="3.5"/>',
        "diamond": '<path class="glyph" d="M11 2.5l4.5 4.5-4.5 4.5-4.5-4.5z"/>',
        "square": '<rect class="glyph" x="7.5" y="3.5" width="7" height="7"/>',
        "cross": '<path class="glyph stroke" d="M7.5 3.5l7 7m0-7l-7 7"/>',
        "enter": '<path class="glyph stroke" d="M14 2v5h-6m2.5-2.5l-2.5 2.5 2.5 2.5"/>',
        "erase": '<path class="glyph" d="M6 7l3-4h6v8h-6z"/>',
        "bar": '<rect class="glyph" x="9.5" y="1" width="3" height="12"/>',
        "cut": '<path class="rule" d="M11 0L8 3.5L14 7L8 10.5L11 14"/>',
        "stop": '<line class="rule" x1="11" y1="0" x2="11" y2="14"/>',
    }
    return (
        f'<svg class="swatch" width="22" height="14" viewBox="0 0 22 14">'
        f'<g class="{html.escape(css)}">{shapes[kind]}</g></svg>'
    )
