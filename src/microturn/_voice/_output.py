"""The agent's voice as the loop's speaker: words fall due as their audio plays.

``VoiceOutput`` is a ``SpeechOutput`` (see ``_session/_output.py``). The model streams text in; each
clause is synthesised as soon as it is complete (the first one after a few words, so the first
audio comes fast), off the loop, by a worker task through ``Clock.run_blocking``. When a clip is
ready it is laid on the session's timeline right after the audio before it, and its words get times
by spreading the clip's length over them by their characters. So ``take_due`` gives each word as it
is heard, and ``end()`` returns exactly the words whose audio began: a cut is recorded at the word
actually played.

Audio goes to the transport word by word (each piece with the word it carries), at the moment it
should start playing; a piece that follows on audio still playing may go ``lead`` seconds early,
so the client never runs dry between pieces. A hold stops it all at once: the client is told to
drop what it has queued (``FlushAudio``), the words not yet begun go back (a clip not yet begun
keeps its audio, the rest of one cut mid-way is synthesised again), and a release plays on from
the next word.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import math
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from microturn._core._clock import Clock
from microturn._core._events import AgentAudio, ComponentFailed, Event, SpeechPurpose
from microturn._core._failures import failed
from microturn._voice._protocols import Synthesizer

__all__ = ["AgentAudioChunk", "AudioOut", "FlushAudio", "VoiceOutput"]

_EPSILON = 1e-9
_BREAK = re.compile(r"(?<=[,;:.!?])\s+")
_ABBREVIATIONS = frozenset({"mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "vs.", "etc.", "e.g.", "i.e."})
LONGEST_CLAUSE = 12
"""Words in a clause without punctuation before it is cut anyway (~1 s of speech)."""
LONGEST_FIRST_CLAUSE = 6
"""The same for an utterance's first clause: a short one is synthesised sooner, so the voice starts sooner."""


@dataclass(frozen=True, slots=True)
class AgentAudioChunk:
    """A piece of the agent's voice (``s16le`` mono) and the text it carries; play it after the previous one."""

    utterance: int
    pcm: bytes
    sample_rate: int
    text: str


@dataclass(frozen=True, slots=True)
class FlushAudio:
    """Stop playing the agent's audio now and drop whatever of it is queued."""

    utterance: int


AudioOut = AgentAudioChunk | FlushAudio


@dataclass(slots=True)
class _Clip:
    index: int
    text: str
    pcm: bytes
    rate: int
    duration: float
    synthesis: float
    failure: ComponentFailed | None = None  # the synthesizer raised: the words go out as text only


@dataclass(slots=True)
class _Word:
    text: str
    index: int  # of its clip
    at: float  # session time its audio starts
    duration: float
    pcm: bytes
    rate: int
    clip: _Clip | None  # on the first word of a clip: the clip, recorded as AgentAudio when it starts
    sent: bool = False


class VoiceOutput:
    """Speaks through a ``Synthesizer``; hands audio to ``send``, which must never block.

    Run :meth:`run` (the synthesis worker) beside the session. ``fallback_rate`` paces the words of
    a clause the synthesizer failed on, so they still reach the user (as text). ``first_clause`` is
    the most words of an utterance's first clause without punctuation.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        tts: Synthesizer,
        send: Callable[[AudioOut], None],
        fallback_rate: float = 0.4,
        lead: float = 0.1,
        horizon: float = 0.5,
        ahead: int = 2,
        first_clause: int = LONGEST_FIRST_CLAUSE,
    ) -> None:
        self._clock = clock
        self._first_clause = first_clause
        self._tts = tts
        self._send = send
        self._fallback_rate = fallback_rate
        self._lead = lead
        self._horizon = horizon  # a clip is laid out when the audio before it has this long left
        self._ahead = ahead  # clips synthesised ahead of the next to play
        self.utterance: int | None = None
        self.purpose = SpeechPurpose.REPLY
        self.delivered: list[str] = []
        self.word_duration = 0.0
        self.failures = 0
        """Clauses the synthesizer failed on (their words went out as text only)."""
        self._listener: Callable[[], None] | None = None
        self._work = asyncio.Event()
        self._generation = 0
        self._reset(0.0)

    def _reset(self, now: float) -> None:
        self._generation += 1  # whatever is being synthesised now belongs to the past
        self._pending = ""  # text not yet cut into clauses
        self._clauses: dict[int, str] = {}  # clauses to synthesise, by index
        self._in_flight: tuple[int, str] | None = None
        self._ready: dict[int, _Clip] = {}
        self._words: deque[_Word] = deque()  # laid out, not yet delivered
        self._next_index = 0
        self._play_index = 0  # the clip to lay out next
        self._audio_end = now  # when the audio laid out so far ends
        self._sent_end = -math.inf  # when the audio handed to the transport ends
        self._sent_any = False  # audio went out since the last flush
        self._held = False
        self._input_done = False
        self._completed = False
        self._records: list[Event] = []

    # --- SpeechOutput ----------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.utterance is not None

    @property
    def held(self) -> bool:
        return self._held

    def set_listener(self, listener: Callable[[], None]) -> None:
        self._listener = listener

    @property
    def adopted(self) -> bool:
        """Whether a session speaks through this output (a session sets its listener when it is built)."""
        return self._listener is not None

    def start(self, utterance: int, purpose: SpeechPurpose, now: float) -> None:
        self._reset(now)
        self.utterance = utterance
        self.purpose = purpose
        self.delivered = []

    def feed(self, text: str) -> None:
        if self.utterance is None:
            return
        self._pending += text
        self._cut(final=False)

    def reopen(self) -> None:
        self._input_done = False

    def finish_input(self) -> None:
        self._cut(final=True)
        self._input_done = True

    def remainder(self) -> str:
        parts = [(word.index, word.text) for word in self._words]
        parts += [(index, clip.text) for index, clip in self._ready.items()]
        parts += list(self._clauses.items())
        if self._in_flight is not None:
            parts.append(self._in_flight)
        parts.sort(key=lambda part: part[0])  # stable: a clip's words stay in order
        return " ".join([text for _, text in parts] + self._pending.split())

    def next_awake(self) -> float | None:
        if self.utterance is None:
            return None
        moments = []
        unsent = next((word for word in self._words if not word.sent), None)
        if unsent is not None:
            moments.append(self._send_time(unsent))
        if self._words:
            moments.append(self._words[0].at)
        if not self._held and self._play_index in self._ready:
            moments.append(self._audio_end - self._horizon)
        if self._input_done and self._nothing_left():
            moments.append(self._audio_end)
        return min(moments) if moments else None

    def take_due(self, now: float) -> str | None:
        if self.utterance is None:
            return None
        self._lay_out(now)
        self._send_due(now)
        if not self._words or self._words[0].at > now + _EPSILON:
            return None
        word = self._words.popleft()
        self.delivered.append(word.text)
        self.word_duration = word.duration
        if word.clip is not None:
            clip = word.clip
            if clip.failure is not None:  # recorded as its words are given out, like the clip itself
                self._records.append(clip.failure)
            self._records.append(
                AgentAudio(
                    utterance=self.utterance,
                    text=clip.text,
                    duration=round(clip.duration, 6),
                    synthesis=round(clip.synthesis, 6),
                )
            )
        return word.text

    def take_records(self) -> list[Event]:
        records, self._records = self._records, []
        return records

    def finished(self, now: float) -> bool:
        done = self._input_done and self._nothing_left() and not self._words and now + _EPSILON >= self._audio_end
        self._completed = self._completed or done
        return done

    def hold(self, now: float) -> None:
        if self.utterance is None or self._held:
            return
        self._held = True
        begun = [word for word in self._words if word.at <= now + _EPSILON]
        later = [word for word in self._words if word.at > now + _EPSILON]
        self._words = deque(begun)  # begun before the hold: they were heard, the loop still delivers them
        for index, group in itertools.groupby(later, key=lambda word: word.index):
            words = list(group)
            if words[0].clip is not None:
                self._ready[index] = words[0].clip  # not begun: it plays as made
            else:
                self._clauses[index] = " ".join(word.text for word in words)  # cut mid-way: made again
            self._play_index = min(self._play_index, index)
        self._audio_end = min(self._audio_end, now)
        if self._sent_any:
            self._send(FlushAudio(self.utterance))
        self._sent_any = False
        self._sent_end = -math.inf
        self._work.set()

    def release(self, now: float) -> None:
        if not self._held:
            return
        self._held = False
        self._audio_end = max(self._audio_end, now)

    def end(self) -> str:
        delivered = " ".join(self.delivered)
        if self.utterance is not None and self._sent_any and not self._completed:
            self._send(FlushAudio(self.utterance))
        self.utterance = None
        self._reset(0.0)
        return delivered

    # --- synthesis -------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Synthesise clauses as they come, one at a time, until cancelled."""
        while True:
            job = self._next_job()
            if job is None:
                self._work.clear()
                await self._work.wait()
                continue
            generation, index, text = job
            del self._clauses[index]
            self._in_flight = (index, text)
            started = self._clock.now()
            pcm: bytes | None
            failure = None
            try:
                pcm = await self._clock.run_blocking(functools.partial(self._synthesize, text))
            except Exception as error:  # an engine failure must not end the conversation: the words go out as text
                self.failures += 1
                pcm, failure = None, failed("tts", error)
            if generation != self._generation:
                continue  # the utterance it was for has ended
            self._in_flight = None
            rate = self._tts.sample_rate
            if pcm is None:
                clip = _Clip(index, text, b"", rate, self._fallback_rate * len(text.split()), 0.0, failure)
            else:
                clip = _Clip(index, text, pcm, rate, len(pcm) // 2 / rate, self._clock.now() - started)
            self._ready[index] = clip
            if self._listener is not None:
                self._listener()

    def _synthesize(self, text: str) -> bytes:
        pcm = b"".join(self._tts.synthesize(text))
        return pcm[: len(pcm) - len(pcm) % 2]

    def _next_job(self) -> tuple[int, int, str] | None:
        if not self._clauses:
            return None
        index = min(self._clauses)
        if index != self._play_index and len(self._ready) >= self._ahead:
            return None  # far enough ahead: what is made now may never be played
        return self._generation, index, self._clauses[index]

    def _cut(self, *, final: bool) -> None:
        """Cut the complete clauses off the pending text (all of it when ``final``) for synthesis."""
        while True:
            longest = self._first_clause if self._next_index == 0 else LONGEST_CLAUSE
            clause, self._pending = _next_clause(self._pending, final=final, longest=longest)
            if clause is None:
                return
            if any(char.isalnum() for char in clause):
                self._clauses[self._next_index] = clause
                self._next_index += 1
                self._work.set()

    # --- playing ---------------------------------------------------------------------------------------

    def _nothing_left(self) -> bool:
        return not (self._pending.strip() or self._clauses or self._in_flight or self._ready)

    def _lay_out(self, now: float) -> None:
        """Put the clips that are ready and next in line on the timeline, each after the audio before it."""
        while not self._held and self._play_index in self._ready and self._audio_end <= now + self._horizon + _EPSILON:
            clip = self._ready.pop(self._play_index)
            start = round(max(now, self._audio_end), 6)
            words = clip.text.split()
            weights = list(itertools.accumulate(len(word) + 1 for word in words))
            total, samples, before = weights[-1], len(clip.pcm) // 2, 0
            for position, (word, upto) in enumerate(zip(words, weights, strict=True)):
                first, last = samples * before // total, samples * upto // total
                if samples:  # a word starts exactly where its piece of audio does
                    at, until = round(start + first / clip.rate, 6), round(start + last / clip.rate, 6)
                else:
                    at = round(start + clip.duration * before / total, 6)
                    until = round(start + clip.duration * upto / total, 6)
                pcm = clip.pcm[2 * first : 2 * last]
                self._words.append(
                    _Word(word, clip.index, at, round(until - at, 6), pcm, clip.rate, clip if position == 0 else None)
                )
                before = upto
            self._audio_end = round(start + clip.duration, 6)
            self._play_index += 1
            self._work.set()  # room to make the next one

    def _send_time(self, word: _Word) -> float:
        """When a word's audio goes out: a little early if it follows on audio the client is still playing."""
        follows_on = word.at <= self._sent_end + _EPSILON
        return word.at - self._lead if follows_on else word.at

    def _send_due(self, now: float) -> None:
        assert self.utterance is not None
        for word in self._words:
            if word.sent:
                continue
            if self._send_time(word) > now + _EPSILON:
                return
            word.sent = True
            if word.pcm:
                self._send(AgentAudioChunk(self.utterance, word.pcm, word.rate, word.text))
                self._sent_any = True
                self._sent_end = max(self._sent_end, word.at + word.duration)


def _next_clause(text: str, *, final: bool, longest: int = LONGEST_CLAUSE) -> tuple[str | None, str]:
    """The first complete clause of ``text`` and the rest; (None, text) if no clause is complete yet.

    A clause ends at , ; : . ! ? followed by a space ("3.5" and "Dr. Who" stay whole), or after
    ``longest`` words without one.
    """
    for match in _BREAK.finditer(text):
        head = text[: match.start()]
        if head.split()[-1].lower() not in _ABBREVIATIONS:
            return head.strip(), text[match.end() :]
    words = text.split()
    complete = len(words) if final or text[-1:].isspace() else len(words) - 1
    if complete > longest:
        run = re.match(rf"\s*(?:\S+\s+){{{longest}}}", text)
        assert run is not None
        return text[: run.end()].strip(), text[run.end() :]
    if final and words:
        return " ".join(words), ""
    return None, text
