"""Time to the first reply word after the end of the user's turn: the reply speculated on in the user's pause, or not.

The embedded model (Gemma 3 270M through llama.cpp, for real) under the default policy (``FullDuplexPolicy()``),
in sessions on a virtual clock that charges the model's compute as measured (``VirtualClock.run_blocking``): the
times are the critical path of a live session on this machine, the user's timing exact. Three arms, interleaved
(every round plays each modality under each arm, in an order that rotates from round to round):

* ``speculation``: the default session: the model reads the end of turn at each change of the user's words, and
  the reply is decoded from the moment their input pauses (or sooner, on a reading of 0.5 or more);
* ``prefill``: the same session without speculation, the strong baseline: the model's cache follows the
  conversation all the same (the readings keep it up to the user's last word), so only the agent's cue and the
  reply remain to compute when the turn ends;
* ``no-reading``: without speculation and without the readings (a model that only prefills, at each micro-turn,
  as sessions did before the readings): what the readings cost the reply, if anything.

Modalities: ``typed`` (key by key at 8 keys a second, Enter 0.3 s after the last key), ``spoken`` (a word every
0.3 s, as ``microturn.testing.spoken``), ``voice`` (voice activity, rough words as recognised, the end of speech
after 0.2 s of silence, then the accurate final transcript 0.3 s later, capitalised and punctuated: the reply
answers the final text, and takes a speculation on the rough words when they are the same words). A conversation
is ``TURNS`` one after another, each once the agent's reply is over; two of them pause inside the turn after
unfinished words (a speculation there is wasted). The end of a turn: Enter; the end of the last word.

Reported per modality and arm: the median and p90 of the time from the end of the turn to the reply's first word,
the ratio of medians to ``prefill``, and how many speculations were taken by the reply or wasted.

    python bench/speculation.py [--quick] [--rounds 2] [--json out/bench/speculation.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar, Protocol
from unittest import mock

from microturn import (
    AgentSpeechStarted,
    AgentWord,
    ChatModel,
    EndSession,
    Event,
    FloorState,
    Modality,
    ModelAsked,
    ModelRequest,
    SpeechPurpose,
    UserInput,
    UserSpeechEnded,
    UserSpeechStarted,
    UserSubmit,
    UserTranscript,
    VirtualClock,
)
from microturn._bus import open_bus
from microturn._eval._devset._stats import median, p90
from microturn._models import ToolCall, close_model
from microturn._models._embedded import EmbeddedModel
from microturn._policies import FullDuplexPolicy
from microturn._session import Session
from microturn._session._anticipation import Anticipation

TURNS: tuple[tuple[str, ...], ...] = (
    ("what is the capital of italy",),
    ("how far away is the moon",),
    ("what is the best way to", "keep bread fresh"),  # a pause after unfinished words: the policy waits
    ("who wrote pride and prejudice",),
    ("i want to cook dinner and", "i need a quick recipe with eggs"),
    ("why is the sky blue",),
    ("what is a good name for a cat",),
    ("how many legs does a spider have",),
)
QUICK_TURNS = 4
ARMS = ("speculation", "prefill", "no-reading")
MODALITIES = ("typed", "spoken", "voice")

WORD = 0.3  # seconds a spoken word lasts
KEYS = 8.0  # keystrokes a second
ENTER = 0.3  # seconds from the last key to Enter
PAUSE = 0.8  # a pause inside a turn, after unfinished words
VAD_SILENCE = 0.2  # silence before voice activity says the speech ended
FINAL = 0.3  # from the end of speech (as reported) to the final transcript
GAP = 1.5  # from the end of the agent's reply to the user's next turn
WARM = 15.0  # the first turn's start: the model loads at the first micro-turn, as an agent's does before its user
OFF_TICK = 0.01
"""Every turn starts OFF_TICK past a multiple of 0.05 s, and every offset in a turn is a multiple of 0.025 s, so no
input lands on a tick (0.2 s): input at a tick's very moment is decided on at the next tick (the loop has decided
at that moment already), which live input, stamped to the microsecond, never meets."""
GUARD = 300.0  # virtual seconds a turn may take before the bench gives up on the conversation


@dataclass(frozen=True, slots=True)
class Turn:
    """One measured turn: when the user's turn ended, when the reply's first word came, and the speculations."""

    modality: str
    arm: str
    round: int
    turn: int
    ended: float
    first_word: float | None
    speculations: int
    taken: bool

    @property
    def latency_ms(self) -> float | None:
        return None if self.first_word is None else round((self.first_word - self.ended) * 1000, 1)


# --- the user -------------------------------------------------------------------------------------------------


def typing(segments: Sequence[str]) -> tuple[list[tuple[float, Event]], float]:
    """Key by key, each key lasting until the next, a pause between segments, Enter at the end: (input, Enter)."""
    planned: list[tuple[float, Event]] = []
    t = 0.0
    for index, segment in enumerate(segments):
        text = segment if index == 0 else " " + segment
        for char in text:
            planned.append((round(t, 6), UserInput(text=char, duration=round(1 / KEYS, 6))))
            t += 1 / KEYS
        t += PAUSE if index < len(segments) - 1 else ENTER
    planned.append((round(t, 6), UserSubmit()))
    return planned, round(t, 6)


def speaking(segments: Sequence[str]) -> tuple[list[tuple[float, Event]], float]:
    """A word every WORD seconds, each lasting until the next, a pause between segments: (input, end of speech)."""
    planned: list[tuple[float, Event]] = []
    t = 0.0
    for index, segment in enumerate(segments):
        for word in segment.split():
            planned.append((round(t, 6), UserInput(text=word, modality=Modality.SPOKEN, duration=WORD)))
            t += WORD
        if index < len(segments) - 1:
            t += PAUSE
    return planned, round(t, 6)


def voicing(segments: Sequence[str]) -> tuple[list[tuple[float, Event]], float]:
    """Each segment a stretch of speech as a voice channel reports it: its onset, each word as it is recognised
    (at its end), the end of speech VAD_SILENCE later, its final transcript FINAL after that, written as a
    transcriber writes (capitalised, punctuated). Returns the input and the end of the last word."""
    planned: list[tuple[float, Event]] = []
    t = 0.0
    for index, segment in enumerate(segments):
        words = segment.split()
        planned.append((round(t, 6), UserSpeechStarted()))
        for word in words:
            t += WORD
            planned.append((round(t, 6), UserInput(text=word, modality=Modality.SPOKEN)))
        spoke = round(WORD * len(words), 6)
        last = index == len(segments) - 1
        final = segment[:1].upper() + segment[1:] + ("?" if last else ",")
        planned.append((round(t + VAD_SILENCE, 6), UserSpeechEnded(duration=spoke, silence=VAD_SILENCE)))
        planned.append((round(t + VAD_SILENCE + FINAL, 6), UserTranscript(text=final, final=True)))
        if not last:
            t += PAUSE
    return planned, round(t, 6)


PLANS = {"typed": typing, "spoken": speaking, "voice": voicing}


# --- the model of each arm ------------------------------------------------------------------------------------


class LocalModel(Protocol):
    """What the bench needs of its model: the embedded one (a fake in tests/test_speculation_bench.py)."""

    name: ClassVar[str]

    def stream(self, request: ModelRequest) -> AsyncIterator[str | ToolCall]: ...
    async def prefill(self, request: ModelRequest) -> None: ...
    async def end_of_turn(self, request: ModelRequest) -> float | None: ...
    async def aclose(self) -> None: ...


MakeModel = Callable[[VirtualClock], LocalModel]


def embedded(threads: int) -> MakeModel:
    """The embedded model on ``threads`` threads, with its own llama.cpp context (given back to the pool, and
    taken again, between conversations: the same context, its cache holding the last conversation's prompt)."""
    return lambda clock: EmbeddedModel(clock=clock, threads=threads)


class PrefillOnly:
    """The model as one that prefills and does not read the end of turn (the ``no-reading`` arm)."""

    name: ClassVar[str] = "embedded"

    def __init__(self, model: LocalModel) -> None:
        self._model = model

    def stream(self, request: ModelRequest) -> AsyncIterator[str | ToolCall]:
        return self._model.stream(request)

    async def prefill(self, request: ModelRequest) -> None:
        await self._model.prefill(request)

    async def aclose(self) -> None:
        await self._model.aclose()


@contextlib.contextmanager
def arm(name: str, model: LocalModel) -> Iterator[ChatModel]:
    """The model a session of arm ``name`` talks to, with speculation off unless the arm is ``speculation``.

    Off is the session's own switch, patched: ``Anticipation._may_speculate`` answers no, so the loop never
    wakes for a pause and no reading starts one. Everything else is the default session."""
    chosen: ChatModel = PrefillOnly(model) if name == "no-reading" else model
    if name == "speculation":
        yield chosen
        return
    with mock.patch.object(Anticipation, "_may_speculate", return_value=False):
        yield chosen


# --- a conversation -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    """A turn of the user's, in session time: its first input, and its end (Enter, or the end of the last word)."""

    start: float
    end: float


class User:
    """The user, as a source the loop polls (so input at a moment comes before the loop's own work at it, as in
    a scenario script): each turn GAP after the agent's reply to the last has ended, then the end of the session.
    ``spans`` says when each turn began and ended."""

    name = "bench-user"

    def __init__(self, modality: str, turns: Sequence[tuple[str, ...]]) -> None:
        self.spans: list[Span] = []
        self._plan = PLANS[modality]
        self._turns = deque(turns)
        self._planned: deque[tuple[float, Event]] = deque()
        self._answered = 0  # the agent's utterances when the latest turn was planned

    def next_awake(self, state: FloorState) -> float | None:
        if not self._planned:
            self._next_turn(state)
        return self._planned[0][0] if self._planned else None

    def poll(self, now: float, state: FloorState) -> list[Event | bytes]:
        due: list[Event | bytes] = []
        while self._planned and self._planned[0][0] <= now + 1e-9:
            due.append(self._planned.popleft()[1])
        return due

    def _next_turn(self, state: FloorState) -> None:
        """Once the reply to the last turn is over (none before the first), plan the next turn, or the end."""
        if self.spans and (state.agent_turns == self._answered or state.agent_speaking):
            return
        start = max(state.now, state.agent_active_until) + GAP if self.spans else WARM
        base = round(math.ceil(start / 0.05) * 0.05 + OFF_TICK, 6)
        self._answered = state.agent_turns
        if not self._turns:
            self._planned.append((base, EndSession(reason="bench over")))
            return
        planned, length = self._plan(self._turns.popleft())
        self.spans.append(Span(start=base, end=round(base + length, 6)))
        self._planned.extend((round(base + at, 6), event) for at, event in planned)


def measure(log: Sequence[Event], spans: Sequence[Span], modality: str, name: str, round_: int) -> list[Turn]:
    """Each turn's numbers, read from the log between its start and the next turn's."""
    measured: list[Turn] = []
    for index, span in enumerate(spans):
        until = spans[index + 1].start if index + 1 < len(spans) else float("inf")
        window = [event for event in log if span.start <= event.t < until]
        reply = next(
            (e for e in window if isinstance(e, AgentSpeechStarted) and e.purpose is SpeechPurpose.REPLY), None
        )
        first = next((e.t for e in window if isinstance(e, AgentWord) and e.t >= span.end), None)
        asked = [e for e in window if isinstance(e, ModelAsked)]
        afresh = reply is not None and any(not e.speculative and e.t == reply.t for e in asked)
        taken = reply is not None and not afresh and any(e.speculative for e in asked)
        speculations = sum(e.speculative for e in asked)
        measured.append(Turn(modality, name, round_, index, span.end, first, speculations, taken))
    return measured


def play(modality: str, name: str, round_: int, turns: Sequence[tuple[str, ...]], make: MakeModel) -> list[Turn]:
    """One conversation of ``modality`` under arm ``name``, on a virtual clock of its own, with ``make(clock)``."""
    clock = VirtualClock()
    user = User(modality, turns)

    async def main() -> list[Event]:
        with arm(name, make(clock)) as model:
            bus = open_bus("memory")
            session = Session(bus=bus, clock=clock, policy=FullDuplexPolicy(), model=model, sources=[user])
            try:
                async with clock.timeout_at(clock.now() + GUARD * len(turns)):
                    await session.run()
                return await bus.read(session.id)
            finally:
                await bus.aclose()
                await close_model(model)

    log = clock.run(main())
    return measure(log, user.spans, modality, name, round_)


# --- the report -----------------------------------------------------------------------------------------------


def summary(turns: Sequence[Turn]) -> dict[str, dict[str, dict[str, float | int | None]]]:
    """Per modality and arm: turns, median and p90 ms to the first word, ratio of medians to ``prefill``,
    speculations started, taken by the reply, wasted."""
    table: dict[str, dict[str, dict[str, float | int | None]]] = {}
    for modality in MODALITIES:
        rows: dict[str, dict[str, float | int | None]] = {}
        for name in ARMS:
            mine = [t for t in turns if t.modality == modality and t.arm == name]
            latencies = [t.latency_ms for t in mine if t.latency_ms is not None]
            if not mine:
                continue
            started = sum(t.speculations for t in mine)
            taken = sum(t.taken for t in mine)
            rows[name] = {
                "turns": len(mine),
                "answered": len(latencies),
                "median_ms": median(latencies),
                "p90_ms": p90(latencies),
                "speculations": started,
                "taken": taken,
                "wasted": started - taken,
            }
        baseline = rows.get("prefill", {}).get("median_ms")
        for row in rows.values():
            mid = row["median_ms"]
            row["ratio_to_prefill"] = round(float(mid) / float(baseline), 3) if mid is not None and baseline else None
        if rows:
            table[modality] = rows
    return table


def shown(value: float | int | None, width: int, digits: int = 0) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"


def print_table(table: dict[str, dict[str, dict[str, float | int | None]]]) -> None:
    print(f"{'modality':<9}{'arm':<13}{'turns':>6}{'median ms':>11}{'p90 ms':>9}{'ratio':>7}{'spec taken/wasted':>19}")
    for modality, rows in table.items():
        for name, row in rows.items():
            spec = f"{row['taken']}/{row['wasted']}" if name == "speculation" else "-"
            print(
                f"{modality:<9}{name:<13}{row['turns']:>6}{shown(row['median_ms'], 11)}{shown(row['p90_ms'], 9)}"
                f"{shown(row['ratio_to_prefill'], 7, 2)}{spec:>19}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"one round of the first {QUICK_TURNS} turns")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="the embedded model's threads (its default: 2)")
    parser.add_argument("--json", type=Path, default=Path("out/bench/speculation.json"))
    args = parser.parse_args()
    rounds, turns = (1, TURNS[:QUICK_TURNS]) if args.quick else (args.rounds, TURNS)

    load_before = os.getloadavg()
    measured: list[Turn] = []
    for round_ in range(rounds):
        for modality in MODALITIES:
            order = ARMS[round_ % len(ARMS) :] + ARMS[: round_ % len(ARMS)]  # interleaved, rotating
            for name in order:
                done = play(modality, name, round_, turns, embedded(args.threads))
                measured += done
                latencies = [t.latency_ms for t in done if t.latency_ms is not None]
                print(f"round {round_} {modality:<7} {name:<12} median {shown(median(latencies), 6)} ms", flush=True)
    table = summary(measured)
    print(f"\ntime to the reply's first word after the end of the user's turn ({rounds} round(s), {len(turns)} turns)")
    print_table(table)

    report = {
        "benchmark": "speculation",
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        },
        "rounds": rounds,
        "threads": args.threads,
        "turns": [list(turn) for turn in turns],
        "summary": table,
        "results": [asdict(t) | {"latency_ms": t.latency_ms} for t in measured],
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"json: {args.json}")


if __name__ == "__main__":
    main()
