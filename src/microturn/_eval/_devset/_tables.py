"""The development-set report as text: one table per family, issue 13's targets beside the headline numbers."""

from __future__ import annotations

from microturn._eval._compare import _table
from microturn._eval._devset._approval import summarise_approvals
from microturn._eval._devset._intent import summarise_intents
from microturn._eval._devset._narrative import summarise_narratives
from microturn._eval._devset._overlap import PROMPT, summarise_overlaps
from microturn._eval._devset._pause import SLOW, summarise_pauses
from microturn._eval._devset._run import TARGETS, DevsetReport

__all__ = ["SIGNAL_MEANS", "format_report"]

SIGNAL_MEANS = {
    "recorded": "the embedded model's end-of-turn readings replayed in the pauses and stories, as the product runs",
    "none": "no model signal: the words alone decide the end of a turn",
}


def format_report(report: DevsetReport) -> str:
    lines = [
        f"development set, split {report.split}, policy {report.policy} ({report.wall_seconds:.1f} s)",
        f"model signal: {report.model_signal} ({SIGNAL_MEANS[report.model_signal]})",
    ]
    for title, table in (
        ("pause", _pauses(report)),
        ("overlap", _overlaps(report)),
        ("narrative", _narratives(report)),
        ("intent", _intents(report)),
        ("approval", _approvals(report)),
    ):
        lines += ["", f"{title}:", *table]
    return "\n".join(lines)


def _pauses(report: DevsetReport) -> list[str]:
    rows = [
        ["", "continue", "any speech", "take-over (FDB)", "end", "latency median", "p90", f"no reply in {SLOW:g} s"]
    ]
    for row in summarise_pauses(report.pause):
        rows.append(
            [
                row.group,
                str(row.continues),
                _count(row.spoke, row.continues),
                _count(row.takeovers, row.continues),
                str(row.ends),
                _ms(row.latency_median),
                _ms(row.latency_p90),
                _count(row.slow, row.ends),
            ]
        )
    rows.append(["target", "", TARGETS["pause_any_speech"], "", "", TARGETS["end_latency_median"], "", ""])
    return _table(rows) + _errors(sum(r.error != "" for r in report.pause))


def _overlaps(report: DevsetReport) -> list[str]:
    summary = summarise_overlaps(report.overlap)
    rows = [["label", "cases", "stopped", f"within {PROMPT * 1000:.0f} ms", "latency median", "p90"]]
    for row in summary.rows:
        stopped = [_count(row.stopped, row.cases), _count(row.prompt, row.cases)]
        rows.append([row.label, str(row.cases), *stopped, _ms(row.latency_median), _ms(row.latency_p90)])
    kept = _count(summary.kept_going, summary.acknowledgements)
    prompt = _count(summary.prompt_stops, summary.barge_ins)
    return [
        *_table(rows),
        f"backchannels and reactions it talked through: {kept}  (target {TARGETS['kept_going']})",
        f"barge-ins that stopped it within {PROMPT * 1000:.0f} ms of their onset: {prompt}  "
        f"(target {TARGETS['barge_in_prompt']})",
        *_errors(sum(r.error != "" for r in report.overlap)),
    ]


def _narratives(report: DevsetReport) -> list[str]:
    rows = [["", "cases", "backchannel", "no reply", "both (listened)", f"answered in {SLOW:g} s"]]
    for row in summarise_narratives(report.narrative):
        counts = (row.backchannelled, row.no_reply, row.listened, row.answered)
        rows.append([row.group, str(row.cases), *(_count(count, row.cases) for count in counts)])
    rows.append(["target", "", "", "", TARGETS["narrative_listened"], ""])
    return _table(rows) + _errors(sum(r.error != "" for r in report.narrative))


def _intents(report: DevsetReport) -> list[str]:
    if report.intent is None:
        return [f"not measured: no intent reader for the policy {report.policy!r}"]
    summary = summarise_intents(report.intent)
    rows = [["label", "cases", "right", "commonest misreading"]]
    rows += [[row.label, str(row.cases), _count(row.right, row.cases), row.misread_as] for row in summary.rows]
    rows.append(
        ["all", str(summary.cases), _count(summary.right, summary.cases), f"target {TARGETS['intent_accuracy']}"]
    )
    seconds = _count(summary.timer_seconds_right, summary.timers_read)
    return [*_table(rows), f"timer seconds right, of the timer cases read as timers: {seconds}"]


def _approvals(report: DevsetReport) -> list[str]:
    if report.approval is None:
        return [f"not measured: no approval reader for the policy {report.policy!r}"]
    summary = summarise_approvals(report.approval)
    rows = [["label", "cases", "read yes", "read no", "read unclear"]]
    for row in summary.rows:
        reads = (row.read_yes, row.read_no, row.read_unclear)
        rows.append([row.label, str(row.cases), *(_count(count, row.cases) for count in reads)])
    return [
        *_table(rows),
        f"read right: {_count(summary.right, summary.cases)}",
        f"answers that were not a yes, read as yes: {summary.false_yes}  (target {TARGETS['approval_false_yes']})",
    ]


def _count(hits: int, total: int) -> str:
    return f"{hits}/{total} ({100 * hits / total:.0f}%)" if total else "-"


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def _errors(count: int) -> list[str]:
    return [f"{count} case(s) could not be played as written and are left out (see devset.json)"] if count else []
