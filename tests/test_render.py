"""The HTML timeline: a recorded session drawn as a piano roll, checked on its structure."""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from microturn import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    CancelJob,
    ComponentFailed,
    CueFired,
    CueSet,
    EndReason,
    Event,
    InputRejected,
    JobProgress,
    JobRequested,
    JobResult,
    Modality,
    Note,
    Overlap,
    ResultDropped,
    ResultWoven,
    SessionEnded,
    SessionStarted,
    Silence,
    SpeechPurpose,
    StopOutput,
    Timeline,
    TimerCancelled,
    TimerFired,
    TimerSet,
    ToolCalled,
    ToolResult,
    UserErase,
    UserInput,
    UserSubmit,
    decode_log,
)
from microturn._apps._render import render_timeline_html
from microturn._apps._render._items import Point, Span, Track
from microturn._apps._render._layout import _pack
from microturn._apps._render._scale import Scale
from microturn._apps._render._style import CSS, LEGEND
from microturn._apps._render._text import fit, tail, text_width
from microturn._core._clock import VIRTUAL_WALL_EPOCH
from microturn._eval import load_scenario, run_scenario

CORE = Path(__file__).resolve().parents[1] / "scenarios" / "core"
CORE_NAMES = sorted(path.stem for path in CORE.glob("*.yaml"))
MARGIN = 16.0  # Scale.margin
PX = 100.0  # Scale.px_per_second


# --- a small DOM, built with the standard library's parser, that insists every tag is closed -------------

VOID = frozenset({"meta", "link", "br", "img", "input", "hr"})


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    content: list[Node | str] = field(default_factory=list)  # child elements and text, in order

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    @property
    def children(self) -> list[Node]:
        return [item for item in self.content if isinstance(item, Node)]

    def walk(self) -> list[Node]:
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found

    def text(self) -> str:
        """The visible text: every descendant's text in order, tooltips left out."""
        return "".join(
            item if isinstance(item, str) else item.text()
            for item in self.content
            if isinstance(item, str) or item.tag != "title"
        )

    def title(self) -> str:
        children = self.children
        assert children, f"<{self.tag} class={self.classes}> is empty"
        assert children[0].tag == "title", f"<{self.tag} class={self.classes}> has no leading <title>"
        return "".join(item for item in children[0].content if isinstance(item, str))

    def find(self, tag: str) -> list[Node]:
        return [node for node in self.walk() if node.tag == tag]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].content.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].content.append(Node(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        open_tag = self.stack.pop().tag
        assert open_tag == tag, f"</{tag}> closes <{open_tag}>"

    def handle_data(self, data: str) -> None:
        self.stack[-1].content.append(data)


def parse(page: str) -> Node:
    builder = _Builder()
    builder.feed(page)
    builder.close()
    assert [node.tag for node in builder.stack] == ["#document"], "unclosed tags"
    return builder.root


def marks(root: Node, kind: str) -> list[Node]:
    """Every drawn mark of ``kind`` (a ``<g class="mk KIND …">``), in document order."""
    return [node for node in root.find("g") if node.classes[:2] == ["mk", kind]]


def ticks(node: Node, kind: str) -> list[Node]:
    return [child for child in node.find("g") if child.classes[:2] == ["tick", kind]]


def roll(root: Node) -> Node:
    return next(node for node in root.find("svg") if "roll" in node.classes)


def at(root: Node, node: Node, attr: str) -> float:
    """A mark's coordinate in px at the base zoom: in the time area an x or a width is a percentage of it."""
    area = next(node for node in roll(root).find("svg") if node.classes == ["time"])
    value = node.attrs[attr]
    assert value.endswith("%"), value
    px = float(value[:-1]) / 100 * float(area.attrs["width"])
    return round(px + (float(area.attrs["x"]) if attr in ("x", "cx", "x1", "x2") else 0.0), 2)  # to 0.01 px


def top_svgs(page: str) -> list[str]:
    """The source of every outermost ``<svg>`` element (the roll nests ``<svg>`` elements in itself)."""
    found: list[str] = []
    depth, start = 0, 0
    for tag in re.finditer(r"<svg\b|</svg>", page):
        if tag.group() == "<svg":
            if depth == 0:
                start = tag.start()
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                found.append(page[start : tag.end()])
    return found


# --- logs ----------------------------------------------------------------------------------------------


@functools.cache
def scenario_events(name: str) -> tuple[Event, ...]:
    result, log = run_scenario(load_scenario(CORE / f"{name}.yaml"))
    assert result.error is None, result.error
    return tuple(decode_log(log))


def render(events: tuple[Event, ...] | list[Event], title: str = "t") -> tuple[str, Node]:
    page = render_timeline_html(list(events), title=title)
    return page, parse(page)


def every_kind() -> list[Event]:
    """A made-up session with one or more of every kind the picture draws."""
    return [
        SessionStarted(t=0.0, session="every-kind", wall=VIRTUAL_WALL_EPOCH, config={}),
        Silence(t=1.0, started=0.0, duration=1.0),
        UserInput(t=1.0, text="remind me in 5 s", duration=0.8),
        UserSubmit(t=1.8),
        TimerSet(t=2.0, timer="tm-1", due=7.0, text="five seconds are up"),
        TimerSet(t=2.0, timer="tm-2", due=9.0, text="stretch", every=2.0),
        CueSet(t=2.0, cue="cue-1", watch="a number"),
        AgentSpeechStarted(t=2.0, utterance=1, purpose=SpeechPurpose.ANNOUNCE),
        AgentWord(t=2.0, utterance=1, word="Sure.", duration=0.4),
        AgentSpeechEnded(t=2.4, utterance=1, reason=EndReason.COMPLETED, delivered="Sure."),
        UserInput(t=3.0, text="so", modality=Modality.SPOKEN, duration=0.3),
        UserInput(t=3.3, text="seven", modality=Modality.SPOKEN, duration=0.4),
        CueFired(t=3.7, cue="cue-1", matched="seven"),
        AgentSpeechStarted(t=3.5, utterance=2, purpose=SpeechPurpose.BACKCHANNEL),
        AgentWord(t=3.5, utterance=2, word="mhm", duration=0.4),
        AgentSpeechEnded(t=3.9, utterance=2, reason=EndReason.COMPLETED, delivered="mhm"),
        Overlap(t=3.9, started=3.5, duration=0.2),
        ToolCalled(t=4.0, call="c1", tool="clock", arguments={"tz": "UTC"}),
        ToolResult(t=4.3, call="c1", output="09:00"),
        ToolCalled(t=4.4, call="c2", tool="weather", arguments={}),
        ToolResult(t=4.9, call="c2", output="timeout", error=True),
        JobRequested(t=4.0, job="j1", task="find a train"),
        JobProgress(t=5.0, job="j1", text="searching", fraction=0.5),
        JobResult(t=6.0, job="j1", text="the 10:15 to Bern"),
        ResultWoven(t=7.5, job="j1"),
        JobRequested(t=5.0, job="j2", task="book a table"),
        ResultDropped(t=6.5, job="j2", reason="stale"),
        JobRequested(t=5.5, job="j3", task="check mail"),
        CancelJob(t=6.2, job="j3"),
        AgentSpeechStarted(t=5.0, utterance=3),
        AgentWord(t=5.0, utterance=3, word="It", duration=0.4),
        AgentWord(t=5.4, utterance=3, word="is", duration=0.4),
        StopOutput(t=5.6, reason="escape key"),
        AgentSpeechEnded(t=5.6, utterance=3, reason=EndReason.STOPPED, delivered="It is"),
        TimerFired(t=7.0, timer="tm-1", text="five seconds are up"),
        TimerFired(t=9.0, timer="tm-2", text="stretch"),
        TimerCancelled(t=10.0, timer="tm-2"),
        TimerFired(t=10.5, timer="tm-9", text="orphan"),
        InputRejected(t=8.0, reason="not a JSON object frame", excerpt="{bad"),
        ComponentFailed(t=8.2, component="tool", name="weather", error="TimeoutError: no answer", transient=True),
        Note(t=8.5, text="the user opened a map"),
        UserInput(t=9.0, text="what time iz", duration=0.6),
        UserErase(t=9.7, count=2),
        UserInput(t=9.8, text="is", duration=0.2),
        SessionEnded(t=11.0, reason="requested"),
    ]


# --- what a real session looks like ---------------------------------------------------------------------


def test_the_page_is_well_formed_and_every_svg_is_xml() -> None:
    page, _ = render(scenario_events("barge-in-same-pass"))
    assert page.startswith("<!DOCTYPE html>")
    svgs = top_svgs(page)
    assert len(svgs) >= 4  # lane names, the roll, legend swatches
    for svg in svgs:
        ET.fromstring(svg)  # raises on anything unbalanced or badly escaped


def test_one_box_per_agent_word_clipped_at_the_cut() -> None:
    events = scenario_events("barge-in-same-pass")
    _, root = render(events)
    words = [event for event in events if isinstance(event, AgentWord)]
    boxes = marks(root, "agent-word")
    assert len(boxes) == len(words) == 4
    for word, box in zip(words, boxes, strict=True):
        assert f"agent said “{word.word}”" in box.title()
        rect = box.find("rect")[0]
        assert at(root, rect, "x") == pytest.approx(MARGIN + word.t * PX)
    # "time" began at 3.6 s and was cut at 3.7 s: only the part the user heard is drawn.
    last = boxes[-1].find("rect")[0]
    assert at(root, last, "width") == pytest.approx(0.1 * PX, abs=0.1)
    assert "cut at 3.70 s" in boxes[-1].title()


def test_an_interruption_gets_a_cut_marker_with_the_delivered_text() -> None:
    events = scenario_events("barge-in-same-pass")
    _, root = render(events)
    (ended,) = [event for event in events if isinstance(event, AgentSpeechEnded)]
    assert ended.reason is EndReason.INTERRUPTED
    (cut,) = marks(root, "cut")
    assert cut.text() == f"cut after “{ended.delivered}”" == "cut after “Once upon a time”"
    assert f"delivered: “{ended.delivered}”" in cut.title()
    assert cut.find("path")[0].classes == ["rule"]  # the torn line across the agent lane
    assert marks(root, "stopped") == []
    (band,) = marks(root, "utterance")
    assert band.classes == ["mk", "utterance", "reply", "end-interrupted"]
    assert "in reply to: “tell me a story”" in band.title()


def test_a_stop_is_drawn_apart_from_a_cut() -> None:
    _, root = render(scenario_events("stop-output-control-event"))
    assert marks(root, "cut") == []
    (stopped,) = marks(root, "stopped")
    assert stopped.text() == "stopped after “Once upon a time a”"
    assert stopped.find("line")[0].classes == ["rule"]
    (request,) = marks(root, "stop-output")
    assert "stop requested: stop button" in request.title()


def test_one_box_per_spoken_word() -> None:
    events = scenario_events("replay-spoken-and-typed")
    _, root = render(events)
    spoken = [e for e in events if isinstance(e, UserInput) and e.modality is Modality.SPOKEN]
    boxes = marks(root, "user-word")
    assert [box.text() for box in boxes] == [event.text for event in spoken] == ["hello", "are", "you", "there"]
    for event, box in zip(spoken, boxes, strict=True):
        rect = box.find("rect")[0]
        assert at(root, rect, "x") == pytest.approx(MARGIN + event.t * PX)
        assert at(root, rect, "width") == pytest.approx(event.duration * PX, abs=0.1)


def test_keystrokes_merge_into_runs_that_show_the_typed_text() -> None:
    events = scenario_events("barge-in-same-pass")
    _, root = render(events)
    runs = marks(root, "typed")
    assert [run.text() for run in runs] == ["tell me a story", "wait"]
    typed = [e for e in events if isinstance(e, UserInput)]
    assert sum(len(ticks(run, "keystroke")) for run in runs) == len(typed)
    assert [len(ticks(run, "user-submit")) for run in runs] == [1, 0]


def test_erased_characters_stay_visible_struck_through() -> None:
    _, root = render(scenario_events("replay-typing-with-erase"))
    (run,) = marks(root, "typed")
    assert run.text() == "what is 3 plus 54"
    struck = [node for node in run.find("tspan") if node.classes == ["struck"]]
    assert [node.text() for node in struck] == ["5"]
    assert len(ticks(run, "user-erase")) == 1
    assert "user typed “what is 3 plus 4”" in run.title()


@pytest.mark.parametrize("name", ["silence-threshold-configurable", "replay-spoken-and-typed", "answer-elapsed-time"])
def test_one_silence_span_per_silence_event_labelled_with_its_length(name: str) -> None:
    events = scenario_events(name)
    _, root = render(events)
    silences = [event for event in events if isinstance(event, Silence)]
    spans = marks(root, "silence")
    assert silences
    assert Counter(span.text() for span in spans) == Counter(f"{s.duration:.1f} s" for s in silences)
    for silence, span in zip(silences, spans, strict=True):
        rect = span.find("rect")[0]
        assert at(root, rect, "x") == pytest.approx(MARGIN + silence.started * PX)


def test_a_background_job_spans_from_request_to_result() -> None:
    _, root = render(scenario_events("replay-background-result"))
    (job,) = marks(root, "job")
    rect = job.find("rect")[0]
    assert at(root, rect, "x") == pytest.approx(MARGIN + 0.5 * PX)
    assert at(root, rect, "width") == pytest.approx((4.0 - 0.5) * PX)
    assert "job-1: find flights to Lisbon" in job.text()
    assert "“TAP at 9:40 for 120 euros”" in job.text()
    title = job.title()
    assert "requested: find flights to Lisbon" in title
    assert "progress: checked 2 of 5 airlines (40%)" in title
    assert "result: TAP at 9:40 for 120 euros" in title
    assert len(ticks(job, "job-progress")) == 1
    assert len(ticks(job, "job-result")) == 1
    (note,) = marks(root, "note")
    assert note.text() == "the user opened a calendar"


def test_rejected_input_is_marked() -> None:
    _, root = render(scenario_events("malformed-json-rejected"))
    (rejected,) = marks(root, "rejected")
    assert rejected.text().startswith("rejected: not a JSON object frame")
    assert "excerpt: this is not json" in rejected.title()
    assert rejected.title().startswith("0.50 s")


def test_a_component_failure_is_marked_on_the_time_axis() -> None:
    failure = ComponentFailed(t=1.5, component="model", error="ValueError: Requested tokens (5210) exceed context")
    _, root = render([SessionStarted(t=0.0, session="s", wall=VIRTUAL_WALL_EPOCH, config={}), failure])
    (failed,) = marks(root, "failed")
    assert failed.text() == "model failed: ValueError: Requested tokens (5210) exc…"
    assert failed.title() == "1.50 s  model failed (permanent): ValueError: Requested tokens (5210) exceed context"


def test_the_header_counts_and_the_plain_timeline_follow_the_picture() -> None:
    events = scenario_events("barge-in-same-pass")
    _, root = render(events, title="barge-in-same-pass")
    assert root.find("h1")[0].text() == "barge-in-same-pass"
    counts = [node.text() for node in root.find("li") if node.classes == ["count"]]
    assert counts == ["5 user words", "1 agent utterances", "1 interruptions", "1 silences", "0 overlaps"]
    assert "12.0 s · 33 events" in root.find("p")[0].text()  # with the model's request, its reply, its end
    timeline = Timeline()
    for event in events:
        timeline.feed(event)
    assert root.find("pre")[0].text() == timeline.text


def test_every_mark_carries_a_tooltip_with_its_time() -> None:
    for name in ["barge-in-same-pass", "replay-background-result", "malformed-json-rejected"]:
        _, root = render(scenario_events(name))
        drawn = [node for node in root.find("g") if node.classes[:1] in (["mk"], ["tick"])]
        assert drawn
        for node in drawn:
            assert re.match(r"\d+\.\d\d s", node.title()), node.title()


def test_same_log_same_bytes() -> None:
    events = scenario_events("replay-spoken-and-typed")
    again, log = run_scenario(load_scenario(CORE / "replay-spoken-and-typed.yaml"))
    assert again.passed
    first = render_timeline_html(list(events), title="x")
    second = render_timeline_html(list(decode_log(log)), title="x")
    assert first.encode() == second.encode()


@pytest.mark.parametrize("name", CORE_NAMES)
def test_every_core_scenario_renders_with_a_box_per_word(name: str) -> None:
    events = scenario_events(name)
    page, root = render(events, title=name)
    for svg in top_svgs(page):
        ET.fromstring(svg)
    assert len(marks(root, "agent-word")) == sum(isinstance(event, AgentWord) for event in events)
    spoken = [e for e in events if isinstance(e, UserInput) and e.modality is Modality.SPOKEN]
    assert len(marks(root, "user-word")) == len(spoken)
    assert len(marks(root, "silence")) == sum(isinstance(event, Silence) for event in events)
    interrupted = [e for e in events if isinstance(e, AgentSpeechEnded) and e.reason is EndReason.INTERRUPTED]
    assert [cut.text() for cut in marks(root, "cut")] == [
        f"cut after “{tail(e.delivered, 48)}”" if e.delivered else "cut before a word" for e in interrupted
    ]


@pytest.mark.parametrize("purpose", list(SpeechPurpose))
def test_every_speech_purpose_has_a_colour_and_a_legend_entry(purpose: SpeechPurpose) -> None:
    assert f".agent-word.{purpose.value} .box" in CSS
    assert f"agent-word {purpose.value}" in [css for css, _, _ in LEGEND]


# --- every kind, escaping, edge cases ------------------------------------------------------------------


def test_every_kind_gets_its_mark() -> None:
    page, root = render(every_kind())
    for svg in top_svgs(page):
        ET.fromstring(svg)
    drawn = Counter(node.classes[1] for node in root.find("g") if node.classes[:1] == ["mk"])
    assert drawn == {
        "user-word": 2,
        "typed": 2,
        "silence": 1,
        "overlap": 1,
        "overlap-band": 1,
        "utterance": 3,
        "agent-word": 4,
        "stopped": 1,
        "cue": 1,
        "timer": 2,
        "timer-fired": 1,  # a firing whose timer was not set in the log stands alone
        "job": 3,
        "tool": 2,
        "failed": 1,
        "rejected": 1,
        "stop-output": 1,
        "note": 1,
        "session-ended": 1,
    }
    purposes = [node.classes[2] for node in marks(root, "agent-word")]
    assert purposes == ["announce", "backchannel", "reply", "reply"]
    (cue,) = marks(root, "cue")
    assert [tick.title() for tick in ticks(cue, "cue-fired")] == ["3.70 s  cue cue-1 fired on “seven”"]
    first, repeating = marks(root, "timer")
    (orphan,) = marks(root, "timer-fired")
    assert first.text() == "timer: five seconds are up"
    assert len(ticks(first, "timer-due")) == len(ticks(first, "timer-fired")) == 1
    bar = first.find("rect")[0]
    assert at(root, bar, "width") == pytest.approx((7.0 - 2.0) * PX)  # the faint line to its due time
    assert repeating.text() == "timer: stretch, every 2 s"
    assert len(ticks(repeating, "timer-cancelled")) == 1
    assert orphan.classes == ["mk", "timer-fired"]
    assert "not set in this log" in orphan.title()
    woven, dropped, cancelled = marks(root, "job")
    assert len(ticks(woven, "woven")) == 1
    assert [line.classes for line in woven.find("line")].count(["tail"]) == 1  # on to the weaving
    assert "dropped: stale" in dropped.text()
    assert len(ticks(dropped, "dropped")) == 1
    assert len(ticks(cancelled, "job-cancelled")) == 1
    ok, failed = marks(root, "tool")
    assert ok.classes == ["mk", "tool"]
    assert failed.classes == ["mk", "tool", "error"]
    assert "error: timeout" in failed.text()
    (band,) = marks(root, "overlap-band")
    band_rect = band.find("rect")[0]
    lane_tops = [float(rect.attrs["y"]) for rect in roll(root).find("rect") if "lane-bg" in rect.classes]
    # The overlap band covers the user, floor and agent lanes: the first three.
    assert float(band_rect.attrs["y"]) == lane_tops[0]
    assert float(band_rect.attrs["y"]) + float(band_rect.attrs["height"]) == pytest.approx(lane_tops[3])


def test_user_text_is_escaped() -> None:
    hostile = "<script>alert('x')</script> & \"quotes\""
    events: list[Event] = [
        SessionStarted(t=0.0, session="<b>id</b>", wall=VIRTUAL_WALL_EPOCH, config={}),
        UserInput(t=0.5, text=hostile),
        UserInput(t=1.5, text="<script>", modality=Modality.SPOKEN, duration=0.9),
        Note(t=2.0, text=hostile),
        AgentSpeechStarted(t=3.0, utterance=1),
        AgentWord(t=3.0, utterance=1, word="</svg>", duration=0.4),
        AgentSpeechEnded(t=3.4, utterance=1, reason=EndReason.INTERRUPTED, delivered="</svg>"),
        InputRejected(t=4.0, reason="<bad>", excerpt="<script>\x00"),
        SessionEnded(t=5.0, reason="<done>"),
    ]
    page, root = render(events, title="<script>title</script>")
    assert page.count("<script") == 1  # the page's own, at the end
    assert "<script>alert" not in page
    assert page.count("</svg>") == page.count("<svg")  # the agent's word "</svg>" closed nothing
    assert "&lt;script&gt;" in page
    assert root.find("h1")[0].text() == "<script>title</script>"
    (typed,) = marks(root, "typed")
    assert typed.text() == hostile
    (word,) = marks(root, "user-word")
    assert word.text() == "<script>"
    (cut,) = marks(root, "cut")
    assert cut.text() == "cut after “</svg>”"
    for svg in top_svgs(page):
        ET.fromstring(svg)  # the control character was replaced, so the SVG is still XML


@pytest.mark.parametrize(
    "events",
    [
        [
            SessionStarted(t=0.0, session="s", wall=VIRTUAL_WALL_EPOCH, config={}),
            SessionEnded(t=0.0, reason="requested"),
        ],
        [],
    ],
    ids=["started-and-ended", "no-events"],
)
def test_a_minimal_log_renders(events: list[Event]) -> None:
    page, root = render(events)
    assert float(roll(root).attrs["width"]) == 800 + 2 * MARGIN  # the minimum width
    assert next(node.text() for node in root.find("li") if node.classes == ["count"]) == "0 user words"
    assert len(marks(root, "session-ended")) == len(events) // 2
    for svg in top_svgs(page):
        ET.fromstring(svg)


def test_width_grows_with_duration() -> None:
    _, root = render(scenario_events("answer-elapsed-time"))  # 40 s
    width = float(roll(root).attrs["width"])
    # 100 px per second, plus room for the "end: scenario over" label after the last second.
    assert 40 * PX + 2 * MARGIN < width < 40 * PX + 2 * MARGIN + 150
    axis = [node.text() for node in roll(root).find("text") if "axis-label" in node.classes]
    assert axis[:3] == ["0 s", "1 s", "2 s"]
    assert axis[-1] == "40 s"


def test_open_utterances_and_jobs_run_to_the_end_of_the_log() -> None:
    events: list[Event] = [
        JobRequested(t=1.0, job="j", task="think"),
        AgentSpeechStarted(t=2.0, utterance=1),
        AgentWord(t=2.0, utterance=1, word="Hmm", duration=0.4),
        ToolCalled(t=3.0, call="c", tool="search"),
        Note(t=12.0, text="later"),
    ]
    _, root = render(events)
    (job,) = marks(root, "job")
    assert job.classes == ["mk", "job", "open"]
    assert at(root, job.find("rect")[0], "width") == pytest.approx(11.0 * PX)
    (band,) = marks(root, "utterance")
    assert band.classes == ["mk", "utterance", "reply", "open"]
    (tool,) = marks(root, "tool")
    assert tool.classes == ["mk", "tool", "open"]


def test_a_timer_due_after_the_log_does_not_stretch_the_axis() -> None:
    events: list[Event] = [
        TimerSet(t=1.0, timer="tm", due=3600.0, text="in an hour"),
        SessionEnded(t=10.0, reason="requested"),
    ]
    _, root = render(events)
    assert float(roll(root).attrs["width"]) < 1200
    (timer,) = marks(root, "timer")
    assert "due at 3600.00 s" in timer.text()
    assert ticks(timer, "timer-due") == []


# --- the layout maths ---------------------------------------------------------------------------------


def test_consecutive_words_share_a_row_and_colliding_labels_stack() -> None:
    scale = Scale(10.0)
    words = Track("words", tuple(Span(t, round(t + 0.4, 6), "agent-word reply", "") for t in (0.0, 0.4, 0.8)))
    assert [row for _, row in _pack(words, scale)[0]] == [0, 0, 0]
    points = Track("marks", (Point(1.0, "dot", "note", "", "a long label"), Point(1.2, "dot", "note", "", "b")))
    assert [row for _, row in _pack(points, scale)[0]] == [0, 1]
    apart = Track("marks", (Point(1.0, "dot", "note", "", "a"), Point(3.0, "dot", "note", "", "b")))
    assert [row for _, row in _pack(apart, scale)[0]] == [0, 0]


def test_the_scale() -> None:
    scale = Scale(3.0)
    assert scale.width == 800 + 2 * MARGIN
    assert scale.x(0.0) == MARGIN
    assert scale.x(-1.0) == MARGIN  # an event without a time sits at the start
    ticks = scale.ticks()
    assert len(ticks) == 8 * 5 + 1
    assert [tick.label for tick in ticks if tick.major][:2] == ["0 s", "1 s"]
    assert Scale(65.0).ticks()[-1].label == "1:05"


def test_text_fitting() -> None:
    assert fit("Once", 100, 11) == "Once"
    assert fit("lighthouse", text_width("ligh…", 11), 11) == "ligh…"
    assert fit("lighthouse", 5, 11) == ""
    assert tail("a b c d e f", 6) == "…d e f"
    assert text_width("日本", 10) == 2 * text_width("ab", 10)
