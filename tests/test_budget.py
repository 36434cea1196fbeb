"""The transcript within budget: a summary of the oldest part, the recent part verbatim, cut in stable steps."""

from __future__ import annotations

from microturn._models._budget import KEEP_CHARS, LINE_CHARS, ROLL_CHARS, SUMMARY_CHARS, recent, summarise

LINES = [f"[{i // 60:02d}:{i % 60:02d}.0] user: line number {i} of a long conversation" for i in range(400)]


def test_a_short_transcript_is_kept_whole() -> None:
    short = "\n".join(LINES[:50])
    assert recent(short) == short


def test_a_long_transcript_keeps_its_recent_part_behind_a_summary_of_the_rest() -> None:
    grown = "\n".join(LINES)
    cut = recent(grown)
    summary, _, kept = cut.partition("\n")
    assert summary.startswith("(earlier conversation, in short: … / ")
    assert grown.endswith("\n" + kept)
    dropped = grown.removesuffix("\n" + kept)
    # The summary ends with the last line dropped, in short; older ones go first when it is full.
    assert summary.endswith(f"user: {dropped.rsplit('user: ', 1)[1]})")
    assert len(summary) <= SUMMARY_CHARS + 60
    assert len(kept) <= KEEP_CHARS + ROLL_CHARS


def test_the_cut_and_its_summary_move_only_a_whole_step_later() -> None:
    grown = "\n".join(LINES)
    cut = recent(grown)
    # A few more words keep the same prefix (and the model's KV cache) ...
    longer = grown + "\n[07:00.0] user: and one more"
    assert recent(longer).startswith(cut)
    # ... and only a whole roll step later do the cut and the summary move on.
    much_longer = longer + "\n" + "\n".join(LINES[:80])
    assert not recent(much_longer).startswith(cut.partition("\n")[0])


def test_the_summary_keeps_who_said_what_and_shortens_long_lines() -> None:
    earlier = "\n".join(
        [
            "[00:00.0] session started (Thu 2026-01-01 09:00 UTC)",
            "[00:01.0] user: what's the capital of spain",
            "[00:01.5] (silence 0.5 s)",
            "[00:02.0] agent: The capital of Spain is Madrid.",
            "[00:03.0] user: " + "and tell me everything about its history " * 5,
        ]
    )
    summary = summarise(earlier)
    assert summary.startswith("(earlier conversation, in short: user: what's the capital of spain / agent: The ")
    assert "silence" not in summary
    assert "session started" not in summary
    last = summary.rsplit(" / ", 1)[1]
    assert last.startswith("user: and tell me everything")
    assert last.endswith(" …)")
    assert len(last) <= LINE_CHARS + 3


def test_nothing_said_in_the_dropped_part_leaves_a_plain_marker() -> None:
    assert summarise("[00:00.0] session started\n[00:05.0] (silence 5.0 s)") == "(earlier conversation omitted)"
