"""One conformance suite for the EventBus interface, run over every backend.

A backend joins the suite by adding one param to ``bus_factory`` (and to ``durable_bus_factory`` if
its logs outlive the bus object): a function that opens a fresh bus as an async context manager.
The tests use only the EventBus / Subscription interface, never a backend's internals.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import cast

import pytest

from microturn import (
    AudioFrame,
    CancelJob,
    EndSession,
    Event,
    EventBus,
    JobResult,
    Lane,
    Note,
    Overflow,
    Start,
    StopOutput,
    Subscription,
    SubscriptionStats,
    UserInput,
    UserSubmit,
    open_bus,
)
from microturn._bus import LogConfig, Sync
from microturn.errors import BusClosed, ConfigError, SlowConsumer, SubscriptionClosed

BusFactory = Callable[[], AbstractAsyncContextManager[EventBus]]

SESSION = "session-1"


def _memory(log_dir: Path | None, config: LogConfig | None = None) -> BusFactory:
    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[EventBus]:
        bus = open_bus("memory", log_dir=log_dir, config=config)
        try:
            yield bus
        finally:
            await bus.aclose()

    return opened


# A window of 3 events makes every read past the newest few come back from the journal.
_SPILLING = LogConfig(window=3, sync=Sync.EVENT)


@pytest.fixture(params=["memory", "memory-log_dir", "memory-log_dir-spilling"])
def bus_factory(request: pytest.FixtureRequest, tmp_path: Path) -> BusFactory:
    """Opens a fresh, empty bus of one backend."""
    if request.param == "memory":
        return _memory(None)
    return _memory(tmp_path / "logs", _SPILLING if request.param.endswith("spilling") else None)


@pytest.fixture(params=["memory-log_dir", "memory-log_dir-spilling"])
def durable_bus_factory(request: pytest.FixtureRequest, tmp_path: Path) -> BusFactory:
    """Opens a bus on the same storage every time it is called: logs outlive the bus object."""
    return _memory(tmp_path / "logs", _SPILLING if request.param.endswith("spilling") else None)


# --- helpers ---------------------------------------------------------------------------------------


def note(index: int, *, source: str = "test") -> Note:
    return Note(text=f"note {index}", t=float(index), source=source)


async def publish_notes(bus: EventBus, count: int, session: str = SESSION) -> list[Event]:
    return [await bus.publish(session, note(index)) for index in range(count)]


def drain(sub: Subscription) -> list[Event]:
    """Everything queued right now, without waiting."""
    events: list[Event] = []
    while (event := sub.receive_nowait()) is not None:
        events.append(event)
    return events


def drain_until_slow(sub: Subscription) -> tuple[list[Event], SlowConsumer]:
    """Everything queued, then the SlowConsumer the subscription must fail with."""
    events: list[Event] = []
    while True:
        try:
            event = sub.receive_nowait()
        except SlowConsumer as exc:
            return events, exc
        assert event is not None, "the queue ran dry without SlowConsumer"
        events.append(event)


def seqs(events: list[Event]) -> list[int]:
    return [event.seq for event in events]


# --- publish and read ------------------------------------------------------------------------------


async def test_publish_assigns_consecutive_seq_from_zero_per_log(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        first = [await bus.publish("a", note(0)), await bus.publish("b", note(1))]
        first += [await bus.publish("a", note(2)), await bus.publish("a", note(3))]
        first += [await bus.publish("b", note(4))]
        assert [(event.seq, event.t) for event in first] == [(0, 0.0), (0, 1.0), (1, 2.0), (2, 3.0), (1, 4.0)]
        assert seqs(await bus.read("a")) == [0, 1, 2]
        assert seqs(await bus.read("b")) == [0, 1]


async def test_publish_returns_the_stored_event(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        await publish_notes(bus, 2)
        original = UserInput(text="hello", t=1.5, source="user", cause=1)
        stored = await bus.publish(SESSION, original)
        assert stored == UserInput(text="hello", t=1.5, source="user", cause=1, seq=2)
        assert original.seq == -1  # the caller's event is not changed
        assert (await bus.read(SESSION))[2] == stored


async def test_read_returns_the_half_open_range(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        published = await publish_notes(bus, 5)
        assert await bus.read(SESSION) == published
        assert seqs(await bus.read(SESSION, 2)) == [2, 3, 4]
        assert seqs(await bus.read(SESSION, 1, 3)) == [1, 2]
        assert await bus.read(SESSION, 5) == []
        assert await bus.read(SESSION, 3, 3) == []
        assert await bus.read("never-written") == []


# --- where a subscription starts -------------------------------------------------------------------


async def test_subscribe_from_beginning_replays_the_log_then_follows_it(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        await publish_notes(bus, 3)
        sub = await bus.subscribe(SESSION, "reader", start=Start.BEGINNING)
        await bus.publish(SESSION, note(3))
        assert seqs(drain(sub)) == [0, 1, 2, 3]


async def test_subscribe_new_sees_only_later_events(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        await publish_notes(bus, 3)
        sub = await bus.subscribe(SESSION, "reader", start=Start.NEW)
        assert sub.receive_nowait() is None
        await bus.publish(SESSION, note(3))
        await bus.publish(SESSION, note(4))
        assert seqs(drain(sub)) == [3, 4]


async def test_subscribe_from_an_offset(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        await publish_notes(bus, 5)
        sub = await bus.subscribe(SESSION, "reader", start=2)
        at_end = await bus.subscribe(SESSION, "tail", start=5)
        await bus.publish(SESSION, note(5))
        assert seqs(drain(sub)) == [2, 3, 4, 5]
        assert seqs(drain(at_end)) == [5]


async def test_subscribe_from_an_offset_past_the_end_starts_at_that_offset(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        await publish_notes(bus, 2)
        sub = await bus.subscribe(SESSION, "reader", start=4)
        await publish_notes(bus, 4)  # seq 2..5
        assert seqs(drain(sub)) == [4, 5]


async def test_resume_continues_after_what_the_same_name_received(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        await publish_notes(bus, 4)
        first = await bus.subscribe(SESSION, "worker", start=Start.BEGINNING)
        assert seqs([await first.receive(), await first.receive()]) == [0, 1]
        first.close()
        second = await bus.subscribe(SESSION, "worker", start=Start.RESUME)
        await bus.publish(SESSION, note(4))
        assert seqs(drain(second)) == [2, 3, 4]


async def test_resume_of_an_unknown_name_starts_at_the_beginning(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        await publish_notes(bus, 2)
        consumed = await bus.subscribe(SESSION, "worker", start=Start.BEGINNING)
        drain(consumed)
        other = await bus.subscribe(SESSION, "someone-else", start=Start.RESUME)
        assert seqs(drain(other)) == [0, 1]


async def test_resume_after_control_overtook_data_loses_nothing(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        await publish_notes(bus, 2)
        await bus.publish(SESSION, StopOutput(t=2.0))
        first = await bus.subscribe(SESSION, "worker", start=Start.BEGINNING)
        delivered = [await first.receive()]
        assert isinstance(delivered[0], StopOutput)
        first.close()
        second = await bus.subscribe(SESSION, "worker", start=Start.RESUME)
        delivered += drain(second)
        assert set(seqs(delivered)) == {0, 1, 2}  # at least once: a redelivery is fine, a gap is not


# --- filters ---------------------------------------------------------------------------------------


async def test_kinds_filter_keeps_only_those_kinds(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        sub = await bus.subscribe(SESSION, "reader", kinds=(UserInput, UserSubmit))
        await bus.publish(SESSION, UserInput(text="a"))
        await bus.publish(SESSION, note(1))
        await bus.publish(SESSION, UserSubmit())
        await bus.publish(SESSION, StopOutput())
        received = drain(sub)
        assert seqs(received) == [0, 2]
        assert [type(event) for event in received] == [UserInput, UserSubmit]


async def test_exclude_sources_drops_those_sources(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        sub = await bus.subscribe(SESSION, "reader", exclude_sources=frozenset({"agent", "loop"}))
        for source in ("user", "agent", "loop", "user", "tools"):
            await bus.publish(SESSION, Note(text=source, source=source))
        received = drain(sub)
        assert seqs(received) == [0, 3, 4]
        assert [event.source for event in received] == ["user", "user", "tools"]


# --- lanes -----------------------------------------------------------------------------------------


def test_control_kinds_travel_in_the_control_lane() -> None:
    assert {kind for kind in (StopOutput, CancelJob, EndSession) if kind.lane is Lane.CONTROL} == {
        StopOutput,
        CancelJob,
    }
    # Ending a session must not overtake input sent before it: nothing the user typed is lost.
    assert EndSession.lane is Lane.DATA
    assert UserInput.lane is Lane.DATA
    assert AudioFrame.overflow is Overflow.DROP_OLDEST
    assert UserInput.overflow is Overflow.LOSSLESS


async def test_control_events_overtake_queued_data_fifo_within_each_lane(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        sub = await bus.subscribe(SESSION, "reader")
        published = [
            UserInput(text="one"),
            note(1),
            StopOutput(reason="esc"),
            JobResult(job="job-1", text="done"),
            CancelJob(job="job-1"),
            EndSession(),
            UserSubmit(),
        ]
        for event in published:
            await bus.publish(SESSION, event)
        received = drain(sub)
        assert seqs(received) == [2, 4, 0, 1, 3, 5, 6]
        assert [type(event) for event in received[:2]] == [StopOutput, CancelJob]


# --- bounded queues --------------------------------------------------------------------------------


async def test_lossless_overflow_raises_slow_consumer_after_the_queued_events(
    bus_factory: BusFactory,
) -> None:
    async with bus_factory() as bus:
        sub = await bus.subscribe(SESSION, "slow", capacity=3)
        log = await publish_notes(bus, 6)
        received, error = drain_until_slow(sub)
        assert seqs(received) == [0, 1, 2]
        assert (error.name, error.capacity, error.next_offset) == ("slow", 3, 3)
        assert "resume from offset 3" in str(error)
        with pytest.raises(SlowConsumer):  # it stays failed
            await sub.receive()

        resumed = await bus.subscribe(SESSION, "slow", start=error.next_offset, capacity=3)
        received += drain(resumed)
        assert received == log


async def test_overflow_while_replaying_the_log_loses_nothing(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        log = await publish_notes(bus, 5)
        sub = await bus.subscribe(SESSION, "late", start=Start.BEGINNING, capacity=2)
        received, error = drain_until_slow(sub)
        assert error.next_offset == 2
        resumed = await bus.subscribe(SESSION, "late", start=error.next_offset)
        received += drain(resumed)
        assert received == log


async def test_overflow_with_control_events_queued_loses_nothing(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        sub = await bus.subscribe(SESSION, "slow", capacity=2)
        await bus.publish(SESSION, note(0))
        await bus.publish(SESSION, StopOutput())
        await bus.publish(SESSION, note(2))
        await bus.publish(SESSION, EndSession())
        received, error = drain_until_slow(sub)
        assert seqs(received) == [1, 0]
        resumed = await bus.subscribe(SESSION, "slow", start=error.next_offset)
        received += drain(resumed)
        assert sorted(seqs(received)) == [0, 1, 2, 3]


async def test_audio_overflow_drops_the_oldest_frames_and_never_raises(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        sub = await bus.subscribe(SESSION, "mic", capacity=3)
        for index in range(5):
            await bus.publish(SESSION, AudioFrame(pcm=bytes([index]), t=index * 0.02))
        assert sub.stats.dropped == 2
        received = drain(sub)  # no SlowConsumer
        assert all(isinstance(event, AudioFrame) for event in received)
        assert [event.pcm for event in received if isinstance(event, AudioFrame)] == [
            bytes([2]),
            bytes([3]),
            bytes([4]),
        ]
        assert sub.receive_nowait() is None


async def test_a_full_queue_makes_room_by_dropping_audio_not_lossless_events(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        sub = await bus.subscribe(SESSION, "mixed", capacity=3)
        await bus.publish(SESSION, note(0))
        await bus.publish(SESSION, AudioFrame(pcm=b"1"))
        await bus.publish(SESSION, AudioFrame(pcm=b"2"))
        await bus.publish(SESSION, note(3))  # full: audio 1 goes
        await bus.publish(SESSION, StopOutput())  # full: audio 2 goes
        await bus.publish(SESSION, AudioFrame(pcm=b"5"))  # full of lossless events: the newcomer goes
        assert sub.stats.dropped == 3
        assert seqs(drain(sub)) == [4, 0, 3]


async def test_stats_report_queue_depth_deliveries_and_high_water(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        sub = await bus.subscribe(SESSION, "watched", capacity=4)
        assert sub.stats == SubscriptionStats(
            name="watched", capacity=4, queued=0, delivered=0, dropped=0, high_water=0
        )
        await publish_notes(bus, 3)
        assert (sub.stats.queued, sub.stats.high_water) == (3, 3)
        await sub.receive()
        await sub.receive()
        await bus.publish(SESSION, note(3))
        stats = sub.stats
        assert (stats.queued, stats.delivered, stats.high_water, stats.dropped) == (2, 2, 3, 0)


# --- waiting, listening, closing --------------------------------------------------------------------


async def test_receive_waits_for_a_later_publish(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus, asyncio.TaskGroup() as group:
        sub = await bus.subscribe(SESSION, "waiter")
        waiting = group.create_task(sub.receive())
        await asyncio.sleep(1.0)  # virtual time: costs nothing
        assert not waiting.done()
        stored = await bus.publish(SESSION, note(7))
        async with asyncio.timeout(1.0):
            assert await waiting == stored


async def test_listener_is_called_once_per_queued_event(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        sub = await bus.subscribe(SESSION, "listened", kinds=(Note,))
        calls: list[int] = []
        sub.set_listener(lambda: calls.append(sub.stats.queued))
        await publish_notes(bus, 2)
        await bus.publish(SESSION, UserSubmit())  # filtered out: not queued, no call
        assert calls == [1, 2]
        sub.set_listener(None)
        await publish_notes(bus, 1)
        assert calls == [1, 2]


async def test_receive_on_a_closed_subscription_raises(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        sub = await bus.subscribe(SESSION, "closing")
        sub.close()
        with pytest.raises(SubscriptionClosed):
            sub.receive_nowait()
        with pytest.raises(SubscriptionClosed):
            await sub.receive()
        await bus.publish(SESSION, note(0))
        assert sub.stats.queued == 0  # a closed subscription takes nothing more


async def test_close_wakes_a_waiting_receive(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        sub = await bus.subscribe(SESSION, "closing")

        async def close_soon() -> None:
            await asyncio.sleep(1.0)
            sub.close()

        async with asyncio.TaskGroup() as group:
            group.create_task(close_soon())
            with pytest.raises(SubscriptionClosed):
                await sub.receive()


def test_subscription_protocol_declares_async_iteration() -> None:
    # Backends are async-iterable, but code typed against the Subscription protocol cannot use
    # ``async for`` unless the protocol says so.
    assert hasattr(Subscription, "__aiter__")
    assert hasattr(Subscription, "__anext__")


async def test_async_iteration_stops_when_the_subscription_closes(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        sub = await bus.subscribe(SESSION, "iterated")
        received: list[Event] = []

        async def consume() -> None:
            async for event in cast("AsyncIterator[Event]", sub):
                received.append(event)

        async with asyncio.TaskGroup() as group:
            group.create_task(consume())
            published = await publish_notes(bus, 2)
            await asyncio.sleep(1.0)
            sub.close()
        assert received == published


async def test_closing_the_bus_closes_its_subscriptions(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        sub = await bus.subscribe(SESSION, "reader")
        await bus.aclose()
        with pytest.raises(SubscriptionClosed):
            await sub.receive()


async def test_a_closed_bus_refuses_everything(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        await publish_notes(bus, 1)
        await bus.aclose()
        with pytest.raises(BusClosed):
            await bus.publish(SESSION, note(1))
        with pytest.raises(BusClosed):
            await bus.subscribe(SESSION, "late")
        with pytest.raises(BusClosed):
            await bus.read(SESSION)


# --- invalid arguments -----------------------------------------------------------------------------

BAD_SESSION_IDS = ["", "two words", "a/b", "../escape", "x" * 129, "ünïcode", "tab\t"]


@pytest.mark.parametrize("session", BAD_SESSION_IDS)
async def test_invalid_session_ids_raise_config_error(bus_factory: BusFactory, session: str) -> None:
    async with bus_factory() as bus:
        with pytest.raises(ConfigError, match="session id"):
            await bus.publish(session, note(0))
        with pytest.raises(ConfigError, match="session id"):
            await bus.subscribe(session, "reader")
        with pytest.raises(ConfigError, match="session id"):
            await bus.read(session)


@pytest.mark.parametrize("session", ["s", "session-1.in", "A_b.c-9", "x" * 128])
async def test_valid_session_ids_are_accepted(bus_factory: BusFactory, session: str) -> None:
    async with bus_factory() as bus:
        stored = await bus.publish(session, note(0))
        assert await bus.read(session) == [stored]


async def test_a_negative_subscribe_offset_raises_config_error(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        await publish_notes(bus, 3)
        with pytest.raises(ConfigError, match="negative"):
            await bus.subscribe(SESSION, "reader", start=-1)


@pytest.mark.parametrize(("start", "stop"), [(-1, None), (0, -1)])
async def test_a_negative_read_offset_raises_config_error(
    bus_factory: BusFactory, start: int, stop: int | None
) -> None:
    async with bus_factory() as bus:
        await publish_notes(bus, 3)
        with pytest.raises(ConfigError):
            await bus.read(SESSION, start, stop)


async def test_a_capacity_below_one_raises_config_error(bus_factory: BusFactory) -> None:
    async with bus_factory() as bus:
        with pytest.raises(ConfigError, match="capacity"):
            await bus.subscribe(SESSION, "reader", capacity=0)


# --- durability ------------------------------------------------------------------------------------


async def test_a_new_bus_on_the_same_storage_sees_the_old_log(durable_bus_factory: BusFactory) -> None:
    async with durable_bus_factory() as bus:
        written = [
            await bus.publish(SESSION, UserInput(text="héllo", t=0.5, source="user")),
            await bus.publish(SESSION, AudioFrame(pcm=b"\x00\xff", t=0.6)),
            await bus.publish(SESSION, StopOutput(t=0.7, cause=0)),
            await bus.publish("other", note(0)),
        ]
    async with durable_bus_factory() as bus:
        assert await bus.read(SESSION) == written[:3]
        assert await bus.read("other") == written[3:]
        later = await bus.publish(SESSION, note(3))
        assert later.seq == 3
        sub = await bus.subscribe(SESSION, "reader", start=Start.BEGINNING)
        assert sorted(seqs(drain(sub))) == [0, 1, 2, 3]
    async with durable_bus_factory() as bus:
        assert seqs(await bus.read(SESSION)) == [0, 1, 2, 3]


# --- choosing a backend ----------------------------------------------------------------------------


def test_open_bus_names_the_known_backends_for_an_unknown_one() -> None:
    with pytest.raises(ConfigError, match="memory"):
        open_bus("carrier-pigeon")


def test_open_bus_reports_its_backend() -> None:
    assert open_bus("memory").backend == "memory"
