"""The region status store's contract: the (epoch, seq) guard and freshness per region."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.queue_gate.domain.region_status import RegionStatus
from shared.events import MonitorHeartbeat, RegionSnapshot, SiakStatus, StatusChanged
from tests.contract.conftest import Stores, take_regions, unique
from tests.support.status_store import store_change

UP, DOWN = SiakStatus.UP, SiakStatus.DOWN


def change(region: str, status: SiakStatus, *, seq: int, epoch: int = 0) -> StatusChanged:
    return StatusChanged(
        region_code=region,
        status=status,
        previous_status=None,
        since=datetime(2021, 10, 19, 8, 0, tzinfo=UTC),
        seq=seq,
        epoch=epoch,
        reason=f"{status.value} at {seq}",
    )


def heartbeat(monitor: str, *regions: str, emitted_at: datetime | None = None) -> MonitorHeartbeat:
    return MonitorHeartbeat(
        monitor_id=monitor,
        emitted_at=emitted_at or datetime.now(UTC),
        period_seconds=10,
        regions=[RegionSnapshot(region_code=r, status=UP, seq=1) for r in regions],
    )


async def test_a_newer_seq_is_applied_and_a_duplicate_or_older_one_ignored(
    stores: Stores,
) -> None:
    store = stores.statuses
    (region,) = take_regions(1)

    outcomes = [
        await store_change(store, change(region, UP, seq=5)),
        await store_change(store, change(region, DOWN, seq=5)),
        await store_change(store, change(region, DOWN, seq=4)),
        await store_change(store, change(region, DOWN, seq=6)),
    ]

    assert outcomes == [True, False, False, True]
    assert await store.get(region) == RegionStatus.from_event(change(region, DOWN, seq=6))


async def test_a_new_epoch_replaces_the_sequence_and_the_old_epoch_is_ignored(
    stores: Stores,
) -> None:
    store = stores.statuses
    (region,) = take_regions(1)
    await store_change(store, change(region, UP, seq=500))

    assert await store_change(store, change(region, DOWN, seq=1, epoch=1_700_000_000_000))
    assert not await store_change(store, change(region, UP, seq=501))
    assert await store_change(store, change(region, UP, seq=2, epoch=1_700_000_000_000))

    known = await store.get(region)
    assert known is not None
    assert (known.status, known.epoch, known.seq) == (UP, 1_700_000_000_000, 2)


async def test_get_all_and_snapshot_read_the_same_statuses(stores: Stores) -> None:
    store = stores.statuses
    first, second, unheard = take_regions(3)
    await store_change(store, change(second, DOWN, seq=3))
    await store_change(store, change(first, UP, seq=1))

    every = [s for s in await store.all() if s.region_code in (first, second)]
    snapshot = await store.snapshot([first, unheard])

    assert [s.region_code for s in every] == [first, second]
    assert every == [await store.get(first), await store.get(second)]
    assert await store.get(unheard) is None
    assert snapshot.statuses == {first: every[0]}
    assert set(snapshot.applied_at) == {first} and snapshot.heartbeat_at == {}
    assert await store.last_heard_at(unheard) is None


async def test_an_applied_change_is_news_of_the_region_and_an_ignored_one_is_not(
    stores: Stores,
) -> None:
    store = stores.statuses
    (region,) = take_regions(1)
    await store_change(store, change(region, UP, seq=2))
    applied = await store.last_heard_at(region)

    await store_change(store, change(region, DOWN, seq=1))
    ignored = await store.last_heard_at(region)
    await store_change(store, change(region, DOWN, seq=3))
    newer = await store.last_heard_at(region)

    assert applied is not None and newer is not None
    assert ignored == applied
    assert newer > applied


async def test_a_heartbeat_refreshes_only_the_regions_it_lists(stores: Stores) -> None:
    store = stores.statuses
    listed, unlisted, never_applied = take_regions(3)
    await store_change(store, change(listed, UP, seq=1))
    await store_change(store, change(unlisted, UP, seq=1))
    before = await store.snapshot([listed, unlisted])

    await store.record_heartbeat(heartbeat(unique("monitor"), listed, never_applied))

    after = await store.snapshot()
    assert after.last_heard_at(listed) > before.last_heard_at(listed)  # type: ignore[operator]
    assert after.last_heard_at(unlisted) == before.last_heard_at(unlisted)
    assert after.heartbeat_at[never_applied] == after.heartbeat_at[listed]
    assert never_applied not in after.statuses  # heard of, status still unknown
    assert await store.last_heard_at(listed) == after.heartbeat_at[listed]
    assert await store.last_heard_at(unlisted) == before.applied_at[unlisted]


async def test_an_older_heartbeat_of_the_same_monitor_is_not_taken_in_but_anothers_is(
    stores: Stores,
) -> None:
    store = stores.statuses
    (region,) = take_regions(1)
    monitor = unique("monitor")
    now = datetime.now(UTC)
    await store.record_heartbeat(heartbeat(monitor, region, emitted_at=now))
    first = await store.last_heard_at(region)

    # Both stamped a second earlier, each appended to the topic after the first.
    older = now - timedelta(seconds=1)
    await store.record_heartbeat(
        heartbeat(monitor, region, emitted_at=older), record_time=datetime.now(UTC)
    )
    after_older = await store.last_heard_at(region)
    await store.record_heartbeat(
        heartbeat(unique("monitor"), region, emitted_at=older), record_time=datetime.now(UTC)
    )
    after_another = await store.last_heard_at(region)

    assert first is not None and after_another is not None
    assert after_older == first
    assert after_another > first


async def test_a_monitor_whose_clock_was_set_back_is_heard_by_its_heartbeats_place_on_the_topic(
    stores: Stores,
) -> None:
    store = stores.statuses
    (region,) = take_regions(1)
    monitor = unique("monitor")
    now = datetime.now(UTC)
    await store.record_heartbeat(heartbeat(monitor, region, emitted_at=now), offset=7)
    first = await store.last_heard_at(region)

    # Its clock stepped an hour back: the next heartbeat is stamped earlier, read later; the
    # broker stamped it when it was appended (LogAppendTime), on its own clock.
    set_back = now - timedelta(hours=1)
    appended = datetime.now(UTC)
    await store.record_heartbeat(
        heartbeat(monitor, region, emitted_at=set_back), offset=8, record_time=appended
    )
    after_step = await store.last_heard_at(region)
    # Read again (a consumer restarted before committing): not news.
    await store.record_heartbeat(heartbeat(monitor, region, emitted_at=now), offset=7)
    await store.record_heartbeat(
        heartbeat(monitor, region, emitted_at=set_back), offset=8, record_time=appended
    )
    after_replay = await store.last_heard_at(region)

    assert first is not None and after_step is not None
    assert after_step > first
    assert after_replay == after_step


async def test_a_heartbeat_from_the_future_does_not_hold_off_those_after_it(
    stores: Stores,
) -> None:
    store = stores.statuses
    (region,) = take_regions(1)
    monitor = unique("monitor")
    await store.record_heartbeat(
        heartbeat(monitor, region, emitted_at=datetime.now(UTC) + timedelta(hours=1))
    )
    first = await store.last_heard_at(region)

    await store.record_heartbeat(heartbeat(monitor, region))

    later = await store.last_heard_at(region)
    assert first is not None and later is not None and later > first


async def test_a_heartbeat_read_an_hour_late_leaves_its_regions_heard_an_hour_ago(
    stores: Stores,
) -> None:
    """The consumer resumes after an hour away while the monitor died: each old heartbeat is
    news (a later place on the topic), but heard when it was sent, so its regions stay stale."""
    store = stores.statuses
    (region,) = take_regions(1)
    monitor = unique("monitor")
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    await store.record_heartbeat(
        heartbeat(monitor, region, emitted_at=an_hour_ago - timedelta(seconds=10)), offset=40
    )

    await store.record_heartbeat(
        heartbeat(monitor, region, emitted_at=an_hour_ago), offset=41, record_time=an_hour_ago
    )

    assert await store.last_heard_at(region) == an_hour_ago


async def test_a_record_time_ahead_of_the_gates_clock_counts_as_now(stores: Stores) -> None:
    store = stores.statuses
    (region,) = take_regions(1)
    before = datetime.now(UTC)

    await store.record_heartbeat(
        heartbeat(unique("monitor"), region),
        offset=1,
        record_time=datetime.now(UTC) + timedelta(hours=1),
    )

    heard = await store.last_heard_at(region)
    assert heard is not None and before <= heard <= datetime.now(UTC)
