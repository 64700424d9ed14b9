"""The parent target's records are ordered like a region's: by (epoch, seq), seq bounded,
going on in the next epoch when seq runs out."""

from __future__ import annotations

from services.siak_monitor.domain.status_board import PublishedStatus
from services.siak_monitor.monitoring import Monitor
from services.siak_monitor.ports import PublishedState
from shared.events import CentralStatusChanged, SiakStatus
from shared.events.status import MAX_SEQ
from tests.unit.siak_monitor.fakes import (
    FakeClock,
    FakePublishedLog,
    FakePublisher,
    fake_monitor,
    probe_all,
    settings,
)

EPOCH = 1_700_000_000_000
UP, DOWN = SiakStatus.UP, SiakStatus.DOWN
CONFIG = settings(watch="73.71", parent={"name": "central", "url": "http://dc/health"})


async def _parent_goes_down(read_back: PublishedState) -> tuple[Monitor, FakePublisher]:
    """A monitor that read `read_back` and saw the parent go down, having published it."""
    clock = FakeClock()
    monitor, prober, publisher = fake_monitor(CONFIG, clock)
    await monitor.recover(FakePublishedLog(read_back))
    monitor.mark_restored()
    prober.down.add("central")
    await probe_all(monitor, clock, rounds=2)
    assert await monitor.publish_owed()
    return monitor, publisher


def _central(publisher: FakePublisher) -> list[tuple[SiakStatus, int, int]]:
    events: list[CentralStatusChanged] = publisher.of_type(CentralStatusChanged)
    return [(event.status, event.epoch, event.seq) for event in events]


async def test_the_parent_read_back_goes_on_in_its_epoch() -> None:
    earlier = PublishedState(central={"central": PublishedStatus(UP, 41, epoch=EPOCH)})

    _, publisher = await _parent_goes_down(earlier)

    assert _central(publisher) == [(DOWN, EPOCH, 42)]


async def test_the_parent_read_back_at_the_last_seq_goes_on_in_the_next_epoch() -> None:
    earlier = PublishedState(central={"central": PublishedStatus(UP, MAX_SEQ, epoch=EPOCH)})

    _, publisher = await _parent_goes_down(earlier)

    assert _central(publisher) == [(DOWN, EPOCH + 1, 1)]


async def test_a_parent_found_with_an_empty_topic_counts_in_a_new_epoch() -> None:
    started = int(FakeClock()().timestamp() * 1000)

    _, publisher = await _parent_goes_down(PublishedState())

    assert _central(publisher) == [(DOWN, started, 1)]


async def test_a_parent_read_back_in_a_later_epoch_replaces_a_greater_seq_of_an_earlier_one() -> (
    None
):
    """A replica taking over again reads back what another published since, in a new epoch
    (the topic recreated): that is the parent's last record, whatever its seq."""
    earlier = PublishedState(central={"central": PublishedStatus(UP, 41, epoch=EPOCH)})
    monitor, _ = await _parent_goes_down(earlier)
    later = PublishedStatus(DOWN, 3, "http_503", epoch=EPOCH + 5)

    monitor.restore(PublishedState(central={"central": later}))

    assert monitor.watched.parent is not None
    assert monitor.watched.parent.published == later
