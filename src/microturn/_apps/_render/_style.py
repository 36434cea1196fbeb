"""The page's look: one inline style sheet, and the legend that explains it.

Mark classes carry no ``.mk`` in their selectors, so the legend's swatches are coloured by the very
same rules as the marks they stand for.
"""

from __future__ import annotations

from typing import Literal

from microturn._apps._render._zoom import LOD_CSS

__all__ = ["CSS", "LEGEND", "Swatch"]

Swatch = Literal["box", "thin", "line", "dot", "diamond", "square", "cross", "enter", "erase", "bar", "cut", "stop"]

LEGEND: tuple[tuple[str, Swatch, str], ...] = (
    ("user-word", "box", "user word (spoken)"),
    ("typed", "box", "typed run (erased text struck)"),
    ("user-erase", "erase", "erasure"),
    ("user-submit", "enter", "Enter"),
    ("utterance reply", "box", "agent utterance"),
    ("agent-word reply", "box", "reply word"),
    ("agent-word backchannel", "box", "backchannel word"),
    ("agent-word announce", "box", "announcement word"),
    ("agent-word interjection", "box", "interjection word"),
    ("cut", "cut", "cut off by the user"),
    ("stopped", "stop", "stopped"),
    ("silence", "box", "silence"),
    ("overlap-band", "box", "overlap"),
    ("cue", "thin", "cue listening"),
    ("cue-fired", "dot", "cue fired"),
    ("timer", "thin", "timer waiting"),
    ("timer-fired", "diamond", "timer fired"),
    ("timer-cancelled", "cross", "timer cancelled"),
    ("job", "box", "background job"),
    ("job-progress", "line", "progress"),
    ("job-result", "diamond", "result"),
    ("woven", "dot", "result woven"),
    ("dropped", "cross", "result dropped"),
    ("tool", "box", "tool call"),
    ("tool error", "box", "tool error"),
    ("failed", "diamond", "component failed"),
    ("rejected", "cross", "input rejected"),
    ("stop-output", "square", "stop request"),
    ("note", "dot", "note"),
    ("session-ended", "bar", "session end"),
)

CSS = (
    """
body { margin: 16px 20px; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
  color: #111827; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 20px 0 6px; }
.meta { color: #4b5563; margin: 0 0 8px; }
.meta code { background: #f3f4f6; padding: 0 4px; border-radius: 3px; }
.counts { list-style: none; padding: 0; margin: 0 0 12px; display: flex; flex-wrap: wrap; gap: 6px; }
.counts li { background: #f3f4f6; border-radius: 12px; padding: 2px 10px; }
.counts b { font-variant-numeric: tabular-nums; }
.picture { display: flex; border: 1px solid #d1d5db; border-radius: 0 0 4px 4px; }
.lane-column { flex: none; border-right: 1px solid #d1d5db; }
.scroller { overflow-x: auto; flex: 1 1 auto; cursor: grab; touch-action: pan-y; }
.scroller.dragging { cursor: grabbing; user-select: none; }
.zoom-bar { display: flex; align-items: center; gap: 6px; margin: 0 0 6px; font-size: 13px; }
.zoom-bar[hidden] { display: none; }
.zoom-bar button { min-width: 32px; padding: 2px 8px; font: inherit; border: 1px solid #9ca3af; border-radius: 4px;
  background: #f9fafb; cursor: pointer; }
.zoom-bar button:hover { background: #e5e7eb; }
.zoom-readout { font-variant-numeric: tabular-nums; color: #111827; margin-left: 6px; }
.zoom-help { color: #6b7280; margin-left: auto; font-size: 12px; }
.strip { display: flex; border: 1px solid #d1d5db; border-bottom: none; border-radius: 4px 4px 0 0; }
.strip-name { flex: none; width: 124px; padding: 0 4px; border-right: 1px solid #d1d5db; font-size: 10px;
  color: #6b7280; line-height: 24px; }
.overview { position: relative; flex: 1 1 auto; height: 24px; margin: 0 16px; cursor: pointer; touch-action: none; }
.overview .map { display: block; width: 100%; height: 100%; }
.map .user rect { fill: #d97706; } .map .agent rect { fill: #2563eb; } .map .background rect { fill: #475569; }
.overview .view { position: absolute; top: 0; bottom: 0; box-sizing: border-box; min-width: 3px;
  border: 2px solid #111827; border-radius: 2px; background: rgba(17, 24, 39, 0.08); pointer-events: none; }
.overview .view[hidden] { display: none; }
.picture svg { display: block; }
.legend { list-style: none; padding: 0; margin: 10px 0 0; display: flex; flex-wrap: wrap; gap: 4px 14px;
  font-size: 12px; color: #374151; }
.legend li { display: flex; align-items: center; gap: 4px; }
pre { background: #f9fafb; border: 1px solid #e5e7eb; border-radius: 4px; padding: 10px; overflow-x: auto;
  font: 12px/1.45 "DejaVu Sans Mono", Menlo, Consolas, monospace; }

svg text { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 11px; fill: #1f2937;
  white-space: pre; }
svg text.small, svg text.after, svg text.tick-lbl { font-size: 10px; }
.lane-bg.lane-0 { fill: #ffffff; } .lane-bg.lane-1 { fill: #f6f7f9; }
.lane-name { font-weight: bold; font-size: 12px; fill: #111827; }
.track-name { font-size: 10px; fill: #6b7280; text-anchor: end; }
.axis-name { font-size: 10px; fill: #6b7280; }
.axis-label { font-size: 10px; fill: #4b5563; text-anchor: middle; }
.axis-line, .axis-major { stroke: #6b7280; stroke-width: 1; }
.axis-minor { stroke: #9ca3af; stroke-width: 1; }
.grid { stroke: #e5e7eb; stroke-width: 1; }
.box { stroke-width: 1; }
.glyph { stroke: none; }
.glyph.stroke { fill: none; stroke-width: 1.6; }
.glyph.ring { fill: #fff; stroke-width: 1.5; }
.tail { stroke: #64748b; stroke-width: 1.2; stroke-dasharray: 2 3; }
.after { fill: #334155; }
.struck { text-decoration: line-through; fill: #b91c1c; }
/* A halo in the box's colour keeps a label legible over the tick marks drawn beneath it. */
.typed .lbl, .job .lbl, .tool .lbl { paint-order: stroke; stroke-width: 3px; stroke-linejoin: round; }
.typed .lbl { stroke: #fef3c7; } .job .lbl { stroke: #e2e8f0; } .tool .lbl { stroke: #e0e7ff; }
.tool.error .lbl { stroke: #fee2e2; }
.mk:hover > .box, .mk:hover > .bar { stroke: #111827; stroke-width: 1.6; }

.user-word .box { fill: #fde68a; stroke: #d97706; }
.typed .box { fill: #fef3c7; stroke: #d97706; }
.keystroke line { stroke: #b45309; stroke-width: 1; }
.user-erase .glyph { fill: #dc2626; }
.user-submit .glyph { stroke: #92400e; }

.utterance .box { fill: #dbeafe; stroke: #2563eb; }
.utterance.backchannel .box { fill: #dcfce7; stroke: #16a34a; }
.utterance.announce .box { fill: #f3e8ff; stroke: #9333ea; }
.utterance.interjection .box { fill: #ffedd5; stroke: #ea580c; }
.utterance.end-interrupted .box { stroke: #dc2626; }
.utterance.open .box { stroke-dasharray: 4 3; }
.agent-word.reply .box { fill: #bfdbfe; stroke: #3b82f6; }
.agent-word.backchannel .box { fill: #bbf7d0; stroke: #22c55e; }
.agent-word.announce .box { fill: #e9d5ff; stroke: #a855f7; }
.agent-word.interjection .box { fill: #fed7aa; stroke: #f97316; }
.cut .rule { fill: none; stroke: #dc2626; stroke-width: 2; }
.cut .glyph { stroke: #dc2626; }
.cut text { fill: #b91c1c; font-weight: bold; }
.stopped .rule { stroke: #b45309; stroke-width: 2; stroke-dasharray: 5 3; }
.stopped .glyph { fill: #b45309; }
.stopped text { fill: #92400e; font-weight: bold; }

.silence .box { fill: url(#hatch); stroke: #9ca3af; }
.silence text { fill: #4b5563; }
.hatch-bg { fill: #f3f4f6; } .hatch-line { stroke: #cbd5e1; stroke-width: 2; }
.overlap .box { fill: #fecaca; stroke: #ef4444; }
.overlap-band rect { fill: #ef4444; fill-opacity: 0.12; stroke: #ef4444; stroke-opacity: 0.5;
  stroke-dasharray: 3 2; }

.cue .bar { fill: #0d9488; }
.cue.interrupt .bar { fill: #e11d48; }
.cue-fired .glyph { fill: #0d9488; }
.timer .bar { fill: #a78bfa; fill-opacity: 0.45; }
.timer-due .glyph { stroke: #7c3aed; }
.timer-fired .glyph { fill: #7c3aed; }
.timer-cancelled .glyph { stroke: #6b7280; }

.job .box { fill: #e2e8f0; stroke: #475569; }
.job.open .box, .tool.open .box { stroke-dasharray: 4 3; }
.job.orphan .box { stroke-dasharray: 1 2; }
.job-progress line { stroke: #1e293b; stroke-width: 1.5; }
.job-result .glyph, .tool-result .glyph { fill: #0f766e; }
.job-cancelled .glyph { stroke: #6b7280; }
.woven .glyph { fill: #16a34a; }
.dropped .glyph { stroke: #dc2626; }
.tool .box { fill: #e0e7ff; stroke: #4f46e5; }
.tool.error .box { fill: #fee2e2; stroke: #dc2626; }
.tool-error .glyph { fill: #dc2626; }
.tool.error .after { fill: #b91c1c; }

.failed .glyph { fill: #dc2626; }
.failed text { fill: #b91c1c; font-weight: bold; }
.rejected .glyph { stroke: #dc2626; stroke-width: 2.2; }
.rejected text { fill: #b91c1c; font-weight: bold; }
.stop-output .glyph { fill: #b45309; }
.note .glyph { fill: #6b7280; }
.session-ended .glyph { fill: #111827; }
"""
    + LOD_CSS
)
