"""A recorded session drawn as a piano roll: one self-contained HTML page, no network.

Lanes share one time axis: the user's words and keystrokes, the floor facts (silences, overlaps), the
agent's utterances with their cut-offs, cues and timers, background jobs and tool calls, and other
marks. Every mark has a tooltip; the plain-text timeline follows the picture. The page opens fitted to
the window's width, under an overview strip of the whole session, and zooms and pans (buttons, Ctrl or
⌘ + wheel, a pinch, drag, keys) with a small inline script; without it, it shows the base zoom, 100 px
per second. Labels that would overlap at a zoom are hidden until zoomed in on, so an hour stays usable.
The output depends only on the events, so the same log always gives the same bytes.

Module map: ``_user``, ``_agent``, ``_facts``, ``_cues``, ``_background``, ``_marks`` turn events into
items in seconds (``_items``); ``_layout`` places them in pixels at the base zoom on the ``_scale``,
with the levels of detail (``_detail``, ``_zoom``) of their labels; ``_svg`` and ``_glyphs`` draw;
``_overview`` draws the strip; ``_page`` wraps the page with ``_summary``, ``_style`` and ``roll.js``.
"""

from __future__ import annotations

from collections.abc import Sequence

from microturn._apps._render._agent import agent_lane
from microturn._apps._render._background import background_lane
from microturn._apps._render._cues import cue_lane
from microturn._apps._render._facts import floor_lane
from microturn._apps._render._layout import lay_out
from microturn._apps._render._marks import marks_lane
from microturn._apps._render._overview import overview
from microturn._apps._render._page import page
from microturn._apps._render._scale import Scale
from microturn._apps._render._summary import session_end, summarize
from microturn._apps._render._user import user_lane
from microturn._core._events import Event
from microturn._core._timeline import Timeline

__all__ = ["render_timeline_html"]


def render_timeline_html(events: Sequence[Event], *, title: str) -> str:
    """The whole session in ``events`` (in log order) as one HTML page."""
    end = session_end(events)
    floor, overlaps = floor_lane(events)
    lanes = [
        user_lane(events),
        floor,
        agent_lane(events, end),
        cue_lane(events, end),
        background_lane(events, end),
        marks_lane(events),
    ]
    scale = Scale(end)
    picture = lay_out(lanes, overlaps, scale)
    timeline = Timeline()
    for event in events:
        timeline.feed(event)
    strip = overview(lanes, scale)
    return page(title=title, summary=summarize(events), picture=picture, overview=strip, transcript=timeline.text)
