"""Which status the gate believes: ordered by (epoch, seq), fresh only while heartbeats list it."""

from __future__ import annotations

from datetime import timedelta

from services.queue_gate.domain.region_gate import IntakeMode
from services.queue_gate.gate_board import GateBoard
from services.queue_gate.handlers.region_gate import GatePolicy, read_region_gate
from services.queue_gate.handlers.status_updates import record_status_change
from shared.events import MonitorHeartbeat, RegionSnapshot, SiakStatus
from tests.unit.queue_gate.fakes import FakePorts, status_change

MAKASSAR, BANDA_ACEH = "73.71", "11.71"
STALE_AFTER = timedelta(minutes=1)
POLICY = GatePolicy(
    stale_after=STALE_AFTER, degraded_is_open=True, default_intake_mode=IntakeMode.DEFER
)
EARLIER_EPOCH, LATER_EPOCH = 1_600_000_000_000, 1_700_000_000_000


async def record(
    ports: FakePorts, region: str, status: SiakStatus, *, seq: int, epoch: int = 0
) -> bool:
    return await record_status_change(
        status_change(region, status, seq=seq, epoch=epoch),
        store=ports.statuses,
        announcer=ports.announcer,
        policy=POLICY,
        now=ports.clock(),
    )


def heartbeat(ports: FakePorts, *regions: str, ahead: timedelta = timedelta(0)) -> MonitorHeartbeat:
    return MonitorHeartbeat(
        monitor_id="monitor-1",
        emitted_at=ports.clock() + ahead,
        period_seconds=10,
        regions=[RegionSnapshot(region_code=r, status=SiakStatus.UP, seq=1) for r in regions],
    )


async def status_seen(ports: FakePorts, region: str) -> SiakStatus:
    gate = await read_region_gate(
        region, statuses=ports.statuses, controls=ports.controls, policy=POLICY, now=ports.clock()
    )
    return gate.status


async def test_a_new_epoch_replaces_the_stored_sequence_and_an_older_one_is_ignored() -> None:
    ports = FakePorts()
    assert await record(ports, MAKASSAR, SiakStatus.UP, seq=500, epoch=EARLIER_EPOCH)

    # The status topic was recreated: the monitor counts from 1 again, in a new epoch.
    assert await record(ports, MAKASSAR, SiakStatus.DOWN, seq=1, epoch=LATER_EPOCH)
    assert not await record(ports, MAKASSAR, SiakStatus.UP, seq=501, epoch=EARLIER_EPOCH)

    known = await ports.statuses.get(MAKASSAR)
    assert known is not None
    assert (known.status, known.epoch, known.seq) == (SiakStatus.DOWN, LATER_EPOCH, 1)


async def test_a_region_no_heartbeat_lists_goes_stale_and_its_gate_closes() -> None:
    ports = FakePorts()
    await record(ports, MAKASSAR, SiakStatus.UP, seq=1)
    await record(ports, BANDA_ACEH, SiakStatus.UP, seq=1)
    board = GateBoard(ports.statuses, ports.controls, POLICY)

    # The monitor was restarted watching province 73 only.
    for _ in range(4):
        ports.clock.advance(timedelta(seconds=20))
        await ports.statuses.record_heartbeat(heartbeat(ports, MAKASSAR))
    await board.reload()

    assert await status_seen(ports, MAKASSAR) is SiakStatus.UP
    assert await status_seen(ports, BANDA_ACEH) is SiakStatus.UNKNOWN
    assert board.current(MAKASSAR, ports.clock()).lets_through
    assert not board.current(BANDA_ACEH, ports.clock()).lets_through


async def test_a_heartbeat_from_the_future_does_not_hold_off_those_after_it() -> None:
    ports = FakePorts()
    await record(ports, MAKASSAR, SiakStatus.UP, seq=1)
    # Stamped an hour ahead: then the monitor's clock was set right.
    await ports.statuses.record_heartbeat(heartbeat(ports, MAKASSAR, ahead=timedelta(hours=1)))

    for _ in range(6):
        ports.clock.advance(timedelta(seconds=20))
        await ports.statuses.record_heartbeat(heartbeat(ports, MAKASSAR))

    assert await status_seen(ports, MAKASSAR) is SiakStatus.UP
    ports.clock.advance(STALE_AFTER + timedelta(seconds=1))
    assert await status_seen(ports, MAKASSAR) is SiakStatus.UNKNOWN
