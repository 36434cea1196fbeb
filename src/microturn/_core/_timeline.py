"""The session as a time-stamped transcript, for model prompts and for people.

Rendering is append-only: feeding an event only ever appends to :attr:`Timeline.text`, so the prefix a
model has already prefilled stays byte-stable as the session grows. What is still open (the silence
going on right now) is not part of the text until it ends and its Silence event is fed.

    [00:00.0] session started (Thu 2026-01-01 09:00 UTC)
    [00:01.0] user: what is two plus
    [00:02.6] (silence 1.2 s)
    [00:02.6] user: three [enter]
    [00:02.8] agent: two plus three is five.
    [00:05.0] agent: Once upon a time there — [cut off by user after "Once upon a time there"]

Input cannot forge a line: every event adds at most one line, and what others wrote — the user's
words, transcripts, tool output, job results, notes — is passed through :func:`inline` (no line
break survives, no ``[mm:ss.s]`` stamp stays a stamp); tool output and job results are quoted as
data between « and » (which they cannot close early). So each line begins with a time and a label
the runtime wrote, and the model reading the transcript can tell who said what.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import deque

from microturn._core._events import (
    AgentSpeechEnded,
    AgentSpeechStarted,
    AgentWord,
    ApprovalDecided,
    ApprovalRequested,
    CancelJob,
    CueFired,
    CueSet,
    EndReason,
    Event,
    InputRejected,
    JobFailed,
    JobProgress,
    JobRequested,
    JobResult,
    Modality,
    Note,
    Overlap,
    ResultDropped,
    SessionEnded,
    SessionStarted,
    Silence,
    SpeechPurpose,
    StopOutput,
    TimerCancelled,
    TimerFired,
    TimerSet,
    ToolCalled,
    ToolProgress,
    ToolResult,
    UserErase,
    UserInput,
    UserSpeechStarted,
    UserSubmit,
    UserTranscript,
)
from microturn._core._language import words

__all__ = ["Timeline", "format_clock", "inline", "quoted"]

_BREAK = re.compile(r"[ \t]*(?:\r\n?|[\n\v\f\x1c-\x1e\x85\u2028\u2029])[ \t]*")
"""Everything a reader (or str.splitlines) may take for the end of a line, with the blanks around it."""
_STAMP = re.compile(r"\[(\d+:\d+(?:\.\d*)?)\]")


def format_clock(seconds: float) -> str:
    """``mm:ss.s``; rounding to tenths first so 59.96 s reads 01:00.0, not 00:60.0."""
    minutes, tenths = divmod(round(max(0.0, seconds) * 10), 600)
    return f"{minutes:02d}:{tenths / 10:04.1f}"


def inline(text: str) -> str:
    """Text someone else wrote, made to stay inside its line: breaks shown as ⏎, time stamps unbracketed."""
    return _STAMP.sub(r"(\1)", _BREAK.sub(" ⏎ ", text))


def quoted(text: str) -> str:
    """Output quoted as data, «like this», on one line; guillemets inside become ‹ › so it cannot close early."""
    return "«" + inline(text).replace("«", "‹").replace("»", "›") + "»"


class Timeline:
    """A session's log as a time-stamped transcript: what models are prompted with, and what people read.

    Feed it the events in log order (:meth:`feed`); :attr:`text` is the transcript so far. It only ever
    grows at the end, so the prefix a model has cached stays valid. A live session's is
    ``AgentSession.transcript``; build one to read a recorded log::

        timeline = Timeline()
        for event in decode_log(path.read_bytes()):
            timeline.feed(event)
        print(timeline.text)
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._speaker: str | None = None  # whose line is open: "user", "agent" or None
        self._text_cache: str | None = ""
        self._heard: deque[list[str]] = deque()  # words heard of each stretch of speech awaiting its final text
        self._agent = "agent"  # how the agent's current utterance is labelled

    @property
    def text(self) -> str:
        """The transcript so far (no line break after its last line)."""
        if self._text_cache is None:
            self._text_cache = "".join(self._parts)
        return self._text_cache

    def __len__(self) -> int:
        return self._length

    def feed(self, event: Event) -> None:
        """Append what ``event`` adds to the transcript (many kinds add nothing)."""
        if isinstance(event, UserInput):
            speaker = "user" if event.addressed else "user (aside)"
            spoken = event.modality is Modality.SPOKEN
            if spoken and self._heard:
                self._heard[-1].append(event.text)
            self._speech(speaker, event.t, event.text, spoken=spoken)
        elif isinstance(event, UserSpeechStarted):
            self._heard.append([])
        elif isinstance(event, UserTranscript):
            if event.final and self._heard:
                self._corrected(event, self._heard.popleft())
        elif isinstance(event, AgentSpeechStarted):
            # A cue's interjection is the runtime's, not a line of conversation: labelled, so a model reading
            # the transcript does not take "Number: two." for a way to answer.
            self._agent = "agent (cue)" if event.purpose is SpeechPurpose.INTERJECTION else "agent"
        elif isinstance(event, AgentWord):
            self._speech(self._agent, event.t, event.word, spoken=True)
        elif isinstance(event, UserErase):
            self._speech("user", event.t, "⌫" * event.count, spoken=False)
        elif isinstance(event, UserSubmit):
            self._speech("user", event.t, "[enter]", spoken=True)
        elif isinstance(event, AgentSpeechEnded):
            self._speech_ended(event)
        else:
            line = _line(event)
            if line is not None:
                self._line(event.t, line)

    def _corrected(self, event: UserTranscript, heard: list[str]) -> None:
        """The final transcript of a stretch of speech, if it differs from the words heard while it went on."""
        text = " ".join(event.text.split())
        if _plain(text) == _plain(" ".join(heard)):
            return
        if not heard:
            self._speech("user", event.t, text, spoken=True)  # no word was made out before: these are the words
        else:
            self._line(event.t, f'(transcript corrected: "{text}")' if text else "(transcript corrected: no words)")

    def _speech(self, speaker: str, t: float, text: str, *, spoken: bool) -> None:
        text = inline(text)
        if self._speaker != speaker:
            self._line(t, f"{speaker}: {text}")
            self._speaker = speaker
        else:
            self._append(" " + text if spoken else text)

    def _speech_ended(self, event: AgentSpeechEnded) -> None:
        if event.reason is EndReason.COMPLETED:
            return
        if event.reason is EndReason.STOPPED:
            mark = "[stopped]"
        elif event.delivered:
            mark = f'[cut off by user after "{inline(event.delivered)}"]'
        else:
            mark = "[cut off by user before a word]"
        if self._speaker == self._agent:
            self._append(" — " + mark)
            self._speaker = None
        else:
            self._line(event.t, "agent " + mark)

    def _line(self, t: float, body: str) -> None:
        body = inline(body)
        self._append(f"{chr(10) if self._length else ''}[{format_clock(t)}] {body}")
        self._speaker = None

    def _append(self, text: str) -> None:
        self._parts.append(text)
        self._length += len(text)
        self._text_cache = None


def _plain(text: str) -> list[str]:
    return [token for token in words(text) if token[0].isalnum() or token.startswith("[")]


def _line(event: Event) -> str | None:
    """The line an event kind adds on its own, if any."""
    if isinstance(event, SessionStarted):
        wall = dt.datetime.fromtimestamp(event.wall, tz=dt.UTC).strftime("%a %Y-%m-%d %H:%M UTC")
        return f"session started ({wall})"
    if isinstance(event, Silence):
        return f"(silence {event.duration:.1f} s)"
    if isinstance(event, Overlap):
        return f"(overlap {event.duration:.1f} s)"
    if isinstance(event, JobRequested):
        return f"(background job {event.job} started: {event.task})"
    if isinstance(event, JobProgress):
        return f"(background job {event.job}: {event.text})"
    if isinstance(event, JobResult):
        return f"(background job {event.job} result: {quoted(event.text)})"
    if isinstance(event, CancelJob):
        return f"(background job {event.job} cancelled)"
    if isinstance(event, ToolCalled):
        return f"(tool call {event.call}: {event.tool} {event.arguments})"
    if isinstance(event, ToolResult):
        # Quoted as data: whatever a tool returns is never an instruction to the agent.
        return f"(tool {'error' if event.error else 'result'} {event.call}, data: {quoted(event.output)})"
    if isinstance(event, JobFailed):
        return f"(background job {event.job} failed: {event.reason})"
    if isinstance(event, ToolProgress):
        return f"(tool {event.call} so far, data: {quoted(event.text)})"  # a tool's words, as its result
    if isinstance(event, ApprovalRequested):
        return f"(approval needed for {event.tool} {event.arguments})"
    if isinstance(event, ApprovalDecided):
        verdict = "approved" if event.granted else "refused"
        return f"(tool call {event.call} {verdict}{': ' + event.reason if event.reason else ''})"
    if isinstance(event, ResultDropped):
        return f"(background job {event.job} result dropped: {event.reason})"
    if isinstance(event, CueSet):
        return f"(cue set: {'stop' if event.interrupt else 'tell'} the user when they say {event.watch})"
    if isinstance(event, CueFired):
        return f'(cue fired on "{event.matched}")'
    if isinstance(event, TimerSet):
        repeat = f", every {event.every:g} s" if event.every is not None else ""
        return f"(timer set for {format_clock(event.due)}{repeat}: {event.text})"
    if isinstance(event, TimerFired):
        return f"(timer fired: {event.text})"
    if isinstance(event, TimerCancelled):
        return f"(timer {event.timer} cancelled)"
    if isinstance(event, StopOutput):
        return f"(stop requested: {event.reason})"
    if isinstance(event, InputRejected):
        return f"(input rejected: {event.reason})"
    if isinstance(event, Note):
        return f"(note: {event.text})"
    if isinstance(event, SessionEnded):
        return f"session ended ({event.reason})"
    return None
