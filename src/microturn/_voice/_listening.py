"""Sans-I/O pieces of listening: where speech starts, pauses and ends, and which recognised words have settled.

``Segmenter`` turns voice-activity probabilities, frame by frame, into stretches of speech: an onset
after a few speech frames (with a little audio from before, so the first sound is not clipped), the
speech itself, a short pause in it (so the accurate recogniser can start early), and an end after a
silence that is shorter when the words so far sound complete. ``SettledWords`` reads the
recogniser's changing hypothesis and says which words have stopped changing, so they can be acted
on while the user is still talking. Neither reads a clock or runs an engine: ``channel`` feeds them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from microturn._voice._protocols import INPUT_RATE
from microturn._voice._tuning import VoiceTuning
from microturn.errors import ConfigError

__all__ = [
    "Segment",
    "Segmenter",
    "SettledWords",
    "SpeechAudio",
    "SpeechEnd",
    "SpeechPause",
    "SpeechResumed",
    "SpeechStart",
    "whole_samples",
]


@dataclass(frozen=True, slots=True)
class SpeechStart:
    """Speech began; ``pcm`` is its audio so far, from a little before the onset. Stretches are numbered from 1."""

    pcm: bytes
    stretch: int = 0


@dataclass(frozen=True, slots=True)
class SpeechAudio:
    pcm: bytes


@dataclass(frozen=True, slots=True)
class SpeechEnd:
    """Speech ended: it lasted ``duration`` seconds (first to last speech frame), then ``silence`` seconds of quiet."""

    duration: float
    silence: float


@dataclass(frozen=True, slots=True)
class SpeechPause:
    """The stretch has gone quiet for a moment after ``duration`` seconds of speech: it may be about to end."""

    duration: float


@dataclass(frozen=True, slots=True)
class SpeechResumed:
    """Speech went on after a ``SpeechPause``: what was heard up to the pause is not the whole stretch."""


Segment = SpeechStart | SpeechAudio | SpeechPause | SpeechResumed | SpeechEnd


class Segmenter:
    """Voice activity, frame by frame, in and stretches of speech out.

    Speech starts after ``start_frames`` frames in a row with probability ≥ ``threshold`` (two 32 ms
    frames: a click is not speech, and onset is still known ~64 ms in) and ends after the tuning's
    ``end_silence`` below ``release`` (hysteresis: a soft syllable does not end it), or after its
    ``complete_silence`` once the words heard so far sound complete (``words_complete``): a finished
    question need not wait as long as a trailing "and". After ``early_final`` of quiet (or
    ``complete_early_final`` after words that sound complete) the stretch reports a ``SpeechPause``
    (once per quiet run; ``SpeechResumed`` if speech then goes on), so the accurate recogniser can
    start on the stretch before it has ended. A stretch longer than ``longest`` seconds is cut, so
    the accurate recogniser never gets more than it can take at once.
    """

    def __init__(
        self,
        *,
        frame_samples: int,
        tuning: VoiceTuning | None = None,
        rate: int = INPUT_RATE,
        threshold: float = 0.5,
        release: float = 0.35,
        start_frames: int = 2,
        preroll: float = 0.2,
        longest: float = 20.0,
    ) -> None:
        if frame_samples < 1 or start_frames < 1 or not 0 <= release <= threshold <= 1:
            raise ConfigError("need frame_samples, start_frames >= 1 and 0 <= release <= threshold <= 1")
        tuning = tuning or VoiceTuning()
        self.frame_samples = frame_samples
        self._frame_seconds = frame_samples / rate
        self._threshold = threshold
        self._release = release
        self._start_frames = start_frames
        self._end_frames = self._count(tuning.end_silence)
        self._complete_frames = self._count(tuning.complete_silence)
        self._pause_frames = None if tuning.early_final is None else self._count(tuning.early_final)
        self._complete_pause_frames = self._pause_frames
        if tuning.complete_early_final is not None:
            self._complete_pause_frames = self._count(tuning.complete_early_final)
        self._longest_frames = max(start_frames, round(longest / self._frame_seconds))
        self._before: deque[bytes] = deque(maxlen=start_frames + max(0, round(preroll / self._frame_seconds)))
        self._run = 0  # speech frames in a row (before an onset), quiet frames in a row (during speech)
        self._speaking = False
        self._frames = 0  # frames of the current stretch
        self._last_speech = 0  # frame index (in the stretch) of its latest speech frame
        self._stretch = 0  # stretches begun
        self._complete = False  # the words of this stretch so far sound complete
        self._paused = False  # a SpeechPause went out in this quiet run

    @property
    def speaking(self) -> bool:
        return self._speaking

    def words_complete(self, stretch: int, complete: bool) -> None:
        """Whether the words heard so far of ``stretch`` sound complete (no word of an earlier one counts)."""
        if stretch == self._stretch and self._speaking:
            self._complete = complete

    def push(self, frame: bytes, probability: float) -> list[Segment]:
        """One frame and its speech probability; what it completes."""
        if not self._speaking:
            self._before.append(frame)
            self._run = self._run + 1 if probability >= self._threshold else 0
            if self._run < self._start_frames:
                return []
            self._speaking, self._run, self._complete, self._paused = True, 0, False, False
            self._frames = self._last_speech = self._start_frames
            self._stretch += 1
            pcm = b"".join(self._before)
            self._before.clear()
            return [SpeechStart(pcm, self._stretch)]
        self._frames += 1
        out: list[Segment] = [SpeechAudio(frame)]
        if probability >= self._release:
            self._run = 0
            self._last_speech = self._frames
            if self._paused:
                self._paused = False
                out.append(SpeechResumed())
        else:
            self._run += 1
            pause = self._complete_pause_frames if self._complete else self._pause_frames
            if not self._paused and pause is not None and self._run >= pause:
                self._paused = True
                out.append(SpeechPause(self._seconds(self._last_speech)))
        ending = self._complete_frames if self._complete else self._end_frames
        if self._run >= ending or self._frames >= self._longest_frames:
            out.append(self.end())
        return out

    def end(self) -> SpeechEnd:
        """End the stretch now (the stream ended, or it is too long)."""
        end = SpeechEnd(self._seconds(self._last_speech), self._seconds(self._frames - self._last_speech))
        self._speaking, self._run, self._frames, self._complete, self._paused = False, 0, 0, False, False
        return end

    def _seconds(self, frames: int) -> float:
        return round(frames * self._frame_seconds, 6)

    def _count(self, seconds: float) -> int:
        """Whole frames in ``seconds``, at least one."""
        return max(1, round(seconds / self._frame_seconds))


class SettledWords:
    """The words of a changing hypothesis that have settled: the same in two hypotheses running.

    PocketSphinx revises its last words as more audio comes in ("to" becomes "two" becomes "tuesday");
    a word that two successive hypotheses agree on rarely changes again (local agreement). Words
    already given out are never taken back: the final transcript corrects them.
    """

    def __init__(self) -> None:
        self._given = 0
        self._previous: list[str] = []

    def update(self, hypothesis: str) -> list[str]:
        """The words newly settled by this hypothesis."""
        words = hypothesis.split()
        agreed = 0
        for old, new in zip(self._previous, words, strict=False):
            if old != new:
                break
            agreed += 1
        self._previous = words
        fresh = words[self._given : agreed]
        self._given = max(self._given, agreed)
        return fresh

    def finish(self, hypothesis: str) -> list[str]:
        """The utterance is over: every word of its last hypothesis not given out yet. Starts afresh."""
        fresh = hypothesis.split()[self._given :]
        self._given, self._previous = 0, []
        return fresh


def whole_samples(pcm: bytes) -> tuple[bytes, str | None]:
    """The PCM cut to whole 16-bit samples, and what was wrong with it if anything."""
    if len(pcm) % 2 == 0:
        return pcm, None
    problem = f"odd-length PCM chunk ({len(pcm)} bytes): s16le samples are 2 bytes; its last byte was dropped"
    return pcm[:-1], problem
