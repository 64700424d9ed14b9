"""What the monitor publishes, and when: after reading back, in order, only the latest state."""

from __future__ import annotations

from services.siak_monitor.domain.region_status import PARENT_DOWN
from services.siak_monitor.domain.status_board import PublishedStatus
from services.siak_monitor.ports import Delivery, PublishedState
from shared.events import CentralStatusChanged, SiakStatus, StatusChanged
from tests.unit.siak_monitor.fakes import (
    FakeClock,
    FakePublishedLog,
    fake_monitor,
    probe_all,
    settings,
)

UP, DOWN = SiakStatus.UP, SiakStatus.DOWN


async def test_nothing_is_published_before_the_published_log_is_read_back() -> None:
    clock = FakeClock()
    monitor, _, publisher = fake_monitor(settings(), clock)
    await probe_all(monitor, clock, rounds=2)

    assert monitor.pending_count() == 2
    assert not monitor.restored.is_set()
    assert publisher.published == []


async def test_seq_continues_from_what_earlier_runs_published() -> None:
    clock = FakeClock()
    monitor, _, publisher = fake_monitor(settings(), clock)
    earlier = PublishedState(statuses={"73.71": PublishedStatus(DOWN, 41, "http_503")})
    await monitor.recover(FakePublishedLog(earlier, failures=2))
    monitor.mark_restored()
    await probe_all(monitor, clock, rounds=2)

    await monitor.publish_owed()

    (makassar,) = publisher.statuses("73.71")
    assert (makassar.status, makassar.previous_status, makassar.seq) == (UP, DOWN, 42)
    assert [c.seq for c in publisher.statuses("73.06")] == [1]


async def test_a_restarted_monitor_repeats_nothing_subscribers_already_know() -> None:
    clock = FakeClock()
    monitor, prober, publisher = fake_monitor(settings(watch="73.71"), clock)
    monitor.restore(PublishedState(statuses={"73.71": PublishedStatus(DOWN, 7, "http_503")}))
    prober.down.add("73.71")
    await probe_all(monitor, clock, rounds=2)

    await monitor.publish_owed()

    assert publisher.published == []


async def test_during_a_broker_outage_state_is_kept_and_each_region_is_told_once_after() -> None:
    clock = FakeClock()
    monitor, prober, publisher = fake_monitor(settings(), clock)
    monitor.restore(PublishedState())
    await probe_all(monitor, clock, rounds=2)
    await monitor.publish_owed()
    publisher.reachable = False

    prober.down.update({"73.71", "73.06"})
    await probe_all(monitor, clock, rounds=2)
    assert not await monitor.publish_owed()
    prober.down.discard("73.06")
    await probe_all(monitor, clock, rounds=2)
    backlog = monitor.pending_count()
    publisher.reachable = True
    assert await monitor.publish_owed()

    assert backlog == 1
    assert [(c.region_code, c.status, c.seq) for c in publisher.statuses()] == [
        ("73.06", UP, 1),
        ("73.71", UP, 1),
        ("73.71", DOWN, 2),
    ]
    assert monitor.pending_count() == 0


async def test_a_failed_publication_never_lends_its_seq_to_a_later_state() -> None:
    clock = FakeClock()
    monitor, prober, publisher = fake_monitor(settings(watch="73.71"), clock)
    monitor.restore(PublishedState())
    publisher.reachable, publisher.failure = False, Delivery.UNCERTAIN
    await probe_all(monitor, clock, rounds=2)
    await monitor.publish_owed()  # seq 1 may have reached the broker after all
    prober.down.add("73.71")
    await probe_all(monitor, clock, rounds=2)
    publisher.reachable = True

    await monitor.publish_owed()

    (down,) = publisher.statuses("73.71")
    assert (down.status, down.seq) == (DOWN, 2)


async def test_a_parent_outage_is_one_root_cause_published_before_its_consequences() -> None:
    clock = FakeClock()
    config = settings(watch="73", parent={"name": "central", "url": "http://dc/health"})
    monitor, prober, publisher = fake_monitor(config, clock)
    monitor.restore(PublishedState())
    await probe_all(monitor, clock, rounds=2)
    await monitor.publish_owed()
    publisher.published.clear()

    prober.down.add("central")
    await probe_all(monitor, clock, rounds=2)
    await monitor.publish_owed()

    first, *rest = publisher.published
    assert isinstance(first, CentralStatusChanged)
    assert (first.target, first.status, first.seq) == ("central", DOWN, 2)
    assert first.affected_regions == len(monitor.region_codes)
    assert all(isinstance(event, StatusChanged) for event in rest)
    assert {(c.status, c.reason) for c in publisher.statuses()} == {(DOWN, PARENT_DOWN)}
    assert len(rest) == len(monitor.region_codes)


async def test_a_monitor_finding_the_status_topic_empty_counts_in_a_new_epoch() -> None:
    clock = FakeClock()
    monitor, _, publisher = fake_monitor(settings(), clock)
    started = int(clock().timestamp() * 1000)
    await monitor.recover(FakePublishedLog(PublishedState()))
    monitor.mark_restored()
    await probe_all(monitor, clock, rounds=2)

    await monitor.publish_owed()

    (makassar,) = publisher.statuses("73.71")
    assert (makassar.epoch, makassar.seq) == (started, 1)
    assert started > 0


async def test_a_restarted_monitor_keeps_the_epoch_it_reads_back() -> None:
    clock = FakeClock()
    monitor, _, publisher = fake_monitor(settings(), clock)
    earlier = PublishedState(
        statuses={
            "73.71": PublishedStatus(DOWN, 41, "http_503", epoch=1_600_000_000_000),
            "11.01": PublishedStatus(DOWN, 3, epoch=1_700_000_000_000),  # another monitor's
        }
    )
    await monitor.recover(FakePublishedLog(earlier))
    monitor.mark_restored()
    await probe_all(monitor, clock, rounds=2)

    await monitor.publish_owed()

    (makassar,) = publisher.statuses("73.71")
    assert (makassar.epoch, makassar.seq) == (1_700_000_000_000, 42)
