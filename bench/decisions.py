"""What each interaction decision costs per call: the full-duplex rules against the learned decisions, interleaved.

Each decision is called on the texts of the development set's cases (every split: this measures time, not
quality), rules then learned for each text, so both see the same load. The time is the calling thread's CPU
time (``time.thread_time``: the embedding model runs on one intra-op thread, on the caller's), and its wall
time beside it; median and p90 in milliseconds. Every learned call starts with the embedding cache empty,
as for words never read before (the policy reads a turn again as each word arrives, and several decisions read
the same words: those calls cost ~0.1 ms).

========================  ==============================================================================
intent                    a whole turn, with a background job running (``Intent.read``)
intent against a job      the same, the job's task known (``IntentContext.jobs``): a turn read as no other
                          request is read again against the job's words (``eval/jobcontext`` turns)
approval                  an answer to "May I ...?" (``Intent.read`` with the question pending)
overlap (whole)           speech over the agent, whole (``Overlap.classify``, complete)
overlap (each word)       the same, as each word arrives (``classify`` incomplete, then ``may_take_turn``)
turn end (each word)      the words of a pause case up to each word, spoken (``TurnEnd.estimate``: asked at
                          each input of the user's)
member (each word)        a word of an ``eval/categories`` sentence against its kind, with the words before
                          it (``Member.is_member``: asked at each word while a cue on a kind of thing is set)
========================  ==============================================================================

More decisions join as rows of ``DECISIONS`` (a name, the texts, the rules' call and the learned one).

    python bench/decisions.py [--cases 200] [--json out/bench/decisions.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from microturn._eval._devset import load_devset
from microturn._eval._devset._stats import median, p90
from microturn._policies._full_duplex._barge_in import Tentative
from microturn._policies._full_duplex._decisions import (
    Decisions,
    IntentContext,
    OverlapContext,
    TurnEndContext,
    Waits,
    make_decisions,
)
from microturn._sentences import _encoder

DEVSET = Path(__file__).resolve().parent.parent / "eval" / "devset"
WAITS = Waits(complete=0.1, incomplete=1.8, max_incomplete=4.0, typed=2.5)
JOB = IntentContext(jobs_running=True)
QUESTION = IntentContext(question="May I delete 12 files? Please say yes or no.")
WHOLE = OverlapContext(complete=True)
COMING = OverlapContext()
SPOKEN = TurnEndContext()

Call = Callable[[Decisions, str], object]


@dataclass(frozen=True, slots=True)
class Decision:
    """One row: a decision, the texts it is called on, and how to call it on a set of decisions."""

    name: str
    texts: Callable[[], list[str]]
    call: Call


@dataclass(frozen=True, slots=True)
class Row:
    decision: str
    calls: int
    rules_cpu_median_ms: float | None
    rules_cpu_p90_ms: float | None
    learned_cpu_median_ms: float | None
    learned_cpu_p90_ms: float | None
    learned_wall_median_ms: float | None
    learned_wall_p90_ms: float | None


def _intent(decisions: Decisions, text: str) -> object:
    return decisions.intent.read(text, JOB)


def _against_a_job(decisions: Decisions, text: str) -> object:
    task, turn = text.split(SEPARATOR)
    return decisions.intent.read(turn, IntentContext(jobs_running=True, jobs=(task,)))


SEPARATOR = "\t"
"""Between a job's task and a turn, in the texts of ``_against_a_job`` (and a kind and words, of ``_member``)."""


def _job_turns() -> list[str]:
    lines = (DEVSET.parent / "jobcontext" / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    return [f"{case['job']}{SEPARATOR}{case['text']}" for case in map(json.loads, lines)]


def _approval(decisions: Decisions, text: str) -> object:
    return decisions.intent.read(text, QUESTION)


def _whole(decisions: Decisions, text: str) -> object:
    return decisions.overlap.classify(text, WHOLE)


def _each_word(decisions: Decisions, text: str) -> object:
    """What the policy asks as a word arrives: is it a barge-in yet, and if not, may it become one?"""
    kind = decisions.overlap.classify(text, COMING)
    tentative = decisions.overlap
    return kind, isinstance(tentative, Tentative) and tentative.may_take_turn(text, COMING)


def _turn_end(decisions: Decisions, text: str) -> object:
    return decisions.turn_end.estimate(text, SPOKEN)


def _member(decisions: Decisions, text: str) -> object:
    category, said = text.split(SEPARATOR)
    *before, word = said.split()
    return decisions.member.is_member(category, word, before)


def _category_words() -> list[str]:
    lines = (DEVSET.parent / "categories" / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    return [
        f"{case['category']}{SEPARATOR}{said}"
        for case in map(json.loads, lines)
        for said in _first_words([case["text"]])
    ]


def _devset_texts(family: str) -> list[str]:
    devset = load_devset(DEVSET, "all")
    if family == "intent":
        return [case.text for case in devset.intent]
    if family == "approval":
        return [case.answer for case in devset.approval]
    if family == "pause":
        return [case.before for case in devset.pause]
    return [case.user for case in devset.overlap]


def _first_words(texts: list[str]) -> list[str]:
    """Every word-by-word prefix of each text: "okay", "okay so", "okay so how", ..."""
    return [" ".join(text.split()[:end]) for text in texts for end in range(1, len(text.split()) + 1)]


DECISIONS: list[Decision] = [
    Decision("intent", lambda: _devset_texts("intent"), _intent),
    Decision("intent against a job", _job_turns, _against_a_job),
    Decision("approval", lambda: _devset_texts("approval"), _approval),
    Decision("overlap (whole)", lambda: _devset_texts("overlap"), _whole),
    Decision("overlap (each word)", lambda: _first_words(_devset_texts("overlap")), _each_word),
    Decision("turn end (each word)", lambda: _first_words(_devset_texts("pause")), _turn_end),
    Decision("member (each word)", _category_words, _member),
]


def measure(decision: Decision, rules: Decisions, learned: Decisions, cases: int) -> Row:
    rules_cpu: list[float] = []
    learned_cpu: list[float] = []
    learned_wall: list[float] = []
    for text in decision.texts()[:cases]:
        rules_cpu.append(_timed(decision.call, rules, text)[0])
        for encoder in list(_encoder._shared.values()):  # the intent's tuned encoder too
            encoder._cache.clear()  # words never read before (see the module's docstring)
        cpu, wall = _timed(decision.call, learned, text)
        learned_cpu.append(cpu)
        learned_wall.append(wall)
    return Row(
        decision=decision.name,
        calls=len(rules_cpu),
        rules_cpu_median_ms=_ms(median(rules_cpu)),
        rules_cpu_p90_ms=_ms(p90(rules_cpu)),
        learned_cpu_median_ms=_ms(median(learned_cpu)),
        learned_cpu_p90_ms=_ms(p90(learned_cpu)),
        learned_wall_median_ms=_ms(median(learned_wall)),
        learned_wall_p90_ms=_ms(p90(learned_wall)),
    )


def _timed(call: Call, decisions: Decisions, text: str) -> tuple[float, float]:
    """The call's CPU time on this thread and its wall time, in seconds."""
    cpu, wall = time.thread_time(), time.perf_counter()
    call(decisions, text)
    return time.thread_time() - cpu, time.perf_counter() - wall


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def format_rows(rows: Sequence[Row]) -> str:
    header = f"{'decision':22s} {'calls':>5s}  {'rules cpu ms':>16s}  {'learned cpu ms':>16s}  {'learned wall ms':>16s}"
    lines = [header, "(median / p90)"]
    for row in rows:
        lines.append(
            f"{row.decision:22s} {row.calls:5d}  {row.rules_cpu_median_ms!s:>7s} / {row.rules_cpu_p90_ms!s:<6s}"
            f"  {row.learned_cpu_median_ms!s:>7s} / {row.learned_cpu_p90_ms!s:<6s}"
            f"  {row.learned_wall_median_ms!s:>7s} / {row.learned_wall_p90_ms!s:<6s}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=200, help="texts per decision (default: %(default)s)")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    rules, learned = make_decisions("rules", WAITS), make_decisions("learned", WAITS)
    for decision in DECISIONS:  # warm up: load the model and heads, fill the tokenizer's caches
        for text in decision.texts()[:5]:
            decision.call(learned, text)
    rows = [measure(decision, rules, learned, args.cases) for decision in DECISIONS]
    print(format_rows(rows))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {"machine": platform.processor() or platform.machine(), "rows": [asdict(row) for row in rows]}
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
