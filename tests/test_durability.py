"""Crash safety of the journal: torn last lines, reopening after a crash, the sync policies, bounded memory.

A "crash" here is what a killed process leaves on disk: the journal as last written, possibly with
the last line cut short mid-write. Fsyncs are counted by wrapping ``os.fsync`` (the real one still
runs); time is virtual.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from microturn._apps._cli import main
from microturn._bus import LogConfig, Sync, open_bus
from microturn._bus._memory import MemoryBus
from microturn._core._clock import VirtualClock
from microturn._core._codec import decode_log, encode_event, encode_log, split_torn_tail
from microturn._core._events import Event, Note
from microturn.errors import ConfigError, EventsExpired, MalformedEvent

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import durability  # the bench, found through the path above

SESSION = "durable"
TORN = b'{"v":1,"e":{"kind":"Note","te'


def note(index: int) -> Note:
    return Note(text=f"note {index}", t=float(index), source="test")


def journal(log_dir: Path) -> Path:
    return log_dir / f"{SESSION}.jsonl"


def publish(log_dir: Path | None, count: int, *, config: LogConfig | None = None, first: int = 0) -> list[Event]:
    """Publish ``count`` notes on a fresh bus over ``log_dir``, close it, and return them as stored."""

    async def run() -> list[Event]:
        bus = open_bus("memory", log_dir=log_dir, config=config)
        stored = [await bus.publish(SESSION, note(first + index)) for index in range(count)]
        await bus.aclose()
        return stored

    return VirtualClock().run(run())


# --- the codec: a torn last line --------------------------------------------------------------------------


def test_a_torn_last_line_is_left_out_and_the_events_before_it_are_read() -> None:
    whole = encode_log([note(0), note(1)])

    assert list(decode_log(whole + TORN)) == [note(0), note(1)]
    assert split_torn_tail(whole + TORN) == (whole, TORN)


def test_a_last_event_that_lost_only_its_newline_is_kept() -> None:
    data = encode_log([note(0)]) + encode_event(note(1))

    assert list(decode_log(data)) == [note(0), note(1)]
    assert split_torn_tail(data) == (data, b"")


@pytest.mark.parametrize("corrupt", [TORN + b"\n", b"not json\n"])
def test_a_corrupt_line_that_is_not_the_torn_end_is_still_an_error_with_its_line_number(corrupt: bytes) -> None:
    data = encode_log([note(0)]) + corrupt + encode_log([note(1)])

    with pytest.raises(MalformedEvent, match=r"^line 2: "):
        list(decode_log(data))


def test_a_corrupt_last_line_that_ends_in_a_newline_is_not_torn_but_corrupt() -> None:
    with pytest.raises(MalformedEvent, match=r"^line 2: "):
        list(decode_log(encode_log([note(0)]) + TORN + b"\n"))


# --- reopening a crashed journal ----------------------------------------------------------------------


def test_reopening_a_torn_journal_cuts_the_torn_line_and_appends_after_the_last_whole_event(tmp_path: Path) -> None:
    publish(tmp_path, 3)
    with journal(tmp_path).open("ab") as file:
        file.write(TORN)

    async def reopen() -> tuple[bytes, Event, list[Event]]:
        bus = MemoryBus(log_dir=tmp_path)
        stored = await bus.publish(SESSION, note(3))
        torn = bus.torn(SESSION)
        events = await bus.read(SESSION)
        await bus.aclose()
        return torn, stored, events

    torn, stored, events = VirtualClock().run(reopen())

    assert torn == TORN
    assert stored.seq == 3
    assert [event.seq for event in events] == [0, 1, 2, 3]
    assert list(decode_log(journal(tmp_path).read_bytes())) == events
    assert split_torn_tail(journal(tmp_path).read_bytes())[1] == b""


def test_reopening_ends_the_line_of_a_last_event_that_lost_only_its_newline(tmp_path: Path) -> None:
    publish(tmp_path, 2)
    data = journal(tmp_path).read_bytes()
    journal(tmp_path).write_bytes(data[:-1])

    publish(tmp_path, 1, first=2)

    assert [event.seq for event in decode_log(journal(tmp_path).read_bytes())] == [0, 1, 2]


def test_a_journal_corrupt_in_the_middle_refuses_to_open(tmp_path: Path) -> None:
    journal(tmp_path).write_bytes(encode_log([note(0)]) + b"garbage\n" + encode_log([note(1)]))

    async def reopen() -> None:
        await open_bus("memory", log_dir=tmp_path).read(SESSION)

    with pytest.raises(MalformedEvent, match="line 2"):
        VirtualClock().run(reopen())


def test_replay_and_timeline_work_on_a_crash_cut_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "crashed.jsonl"
    assert main(["eval", "scenarios/core", "--out", str(tmp_path / "eval")]) == 0
    recorded = sorted((tmp_path / "eval").rglob("*.jsonl"))[0].read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(recorded[: len(recorded) // 2]) + recorded[len(recorded) // 2][:20])
    capsys.readouterr()

    assert main(["replay", str(log)]) == 0
    assert main(["timeline", str(log), "-o", str(tmp_path / "t.html")]) == 0

    out = capsys.readouterr()
    assert "torn" in out.err
    assert "compared as far as it goes" in out.out
    assert "Traceback" not in out.err
    assert "not a JSON" not in out.out + out.err


# --- sync policies -----------------------------------------------------------------------------------


@pytest.fixture
def fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The file descriptors fsynced, in order (the real fsync still runs)."""
    calls: list[int] = []
    real: Callable[[int], None] = os.fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr("microturn._bus._journal.os.fsync", counting)
    return calls


def test_sync_per_event_fsyncs_every_event(tmp_path: Path, fsyncs: list[int]) -> None:
    publish(tmp_path, 5, config=LogConfig(sync=Sync.EVENT))

    # The new file's directory once, each of the 5 events, and once more on close.
    assert len(fsyncs) == 1 + 5 + 1


def test_flush_only_never_fsyncs(tmp_path: Path, fsyncs: list[int]) -> None:
    publish(tmp_path, 5, config=LogConfig(sync=Sync.FLUSH))

    assert fsyncs == []
    assert len(list(decode_log(journal(tmp_path).read_bytes()))) == 5


def test_sync_per_interval_fsyncs_at_most_once_per_interval_and_on_close(tmp_path: Path, fsyncs: list[int]) -> None:
    clock = VirtualClock()

    async def run() -> list[int]:
        bus = open_bus("memory", log_dir=tmp_path, config=LogConfig(sync=Sync.INTERVAL, sync_interval=0.2))
        counts = []
        for index in range(10):  # 10 events, 0.05 s apart: 0.5 s in all
            await bus.publish(SESSION, note(index))
            await clock.sleep_until(clock.now() + 0.05)
            counts.append(len(fsyncs))
        await clock.sleep_until(clock.now() + 1.0)
        counts.append(len(fsyncs))  # nothing new was written: no more syncs
        await bus.aclose()
        counts.append(len(fsyncs))
        return counts

    counts = clock.run(run())

    # The directory at once; the first event's fsync 0.2 s after it (not before); and so on.
    assert counts[:3] == [1, 1, 1]
    assert counts[4] == 2
    assert counts[-2] == 4  # 10 events over 0.5 s: 3 fsyncs, where fsync per event would make 10
    assert counts[-1] == counts[-2] + 1  # close syncs what is left


def test_a_log_config_says_what_is_wrong() -> None:
    with pytest.raises(ConfigError, match="sync_interval"):
        LogConfig(sync_interval=0)
    with pytest.raises(ConfigError, match="window"):
        LogConfig(window=0)


# --- bounded memory ----------------------------------------------------------------------------------


def test_a_journalled_log_keeps_a_window_in_memory_and_reads_older_events_back(tmp_path: Path) -> None:
    config = LogConfig(window=16)

    async def run() -> tuple[list[Event], list[Event], list[Event], int]:
        bus = MemoryBus(log_dir=tmp_path, config=config)
        stored = [await bus.publish(SESSION, note(index)) for index in range(1000)]
        everything = await bus.read(SESSION)
        middle = await bus.read(SESSION, 300, 700)
        followed = await bus.subscribe(SESSION, "late", start=250, capacity=2000)
        seen = [followed.receive_nowait() for _ in range(750)]
        held = len(bus._logs[SESSION]._recent)  # what memory holds
        await bus.aclose()
        return stored, everything, [event for event in seen if event is not None] + middle, held

    stored, everything, seen_and_middle, held = VirtualClock().run(run())

    assert everything == stored
    assert seen_and_middle == stored[250:] + stored[300:700]
    assert held <= 16 + 16 // 8


def test_an_unjournalled_log_drops_what_leaves_its_window_and_says_so_on_reading_it() -> None:
    async def run() -> tuple[list[Event], list[Event]]:
        bus = MemoryBus(config=LogConfig(window=8))
        stored = [await bus.publish(SESSION, note(index)) for index in range(100)]
        recent = await bus.read(SESSION, 95)
        with pytest.raises(EventsExpired, match="log_dir") as expired:
            await bus.read(SESSION)
        assert expired.value.first_kept > 0
        return stored, recent

    stored, recent = VirtualClock().run(run())

    assert recent == stored[95:]


def test_the_durability_bench_runs_every_setup(tmp_path: Path) -> None:
    seconds = durability.run(count=30, rounds=1, directory=tmp_path / "journals")

    assert set(seconds) == {"memory", "flush", "interval", "event"}
    assert all(len(values) == 1 and values[0] > 0 for values in seconds.values())
