"""The monitor's status changes: only newer news counts, and a turning gate is announced."""

from __future__ import annotations

from datetime import timedelta

from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.gate_news import GateSighting
from services.queue_gate.domain.region_gate import IntakeMode, Override, RegionControl
from services.queue_gate.domain.region_status import RegionStatus
from services.queue_gate.handlers.region_gate import GatePolicy, read_region_gate
from services.queue_gate.handlers.status_updates import record_status_change
from shared.events import SiakStatus
from tests.unit.queue_gate.fakes import FakePorts, status_change

MAKASSAR = "73.71"
POLICY = GatePolicy(
    stale_after=timedelta(minutes=1), degraded_is_open=True, default_intake_mode=IntakeMode.DEFER
)


async def record(ports: FakePorts, status: SiakStatus, *, seq: int) -> bool:
    return await record_status_change(
        status_change(MAKASSAR, status, seq=seq, reason=f"seq {seq}"),
        store=ports.statuses,
        announcer=ports.announcer,
        policy=POLICY,
        now=ports.clock(),
    )


async def lets_through(ports: FakePorts) -> bool:
    gate = await read_region_gate(
        MAKASSAR,
        statuses=ports.statuses,
        controls=ports.controls,
        policy=POLICY,
        now=ports.clock(),
    )
    return gate.lets_through


def turns(ports: FakePorts) -> list[tuple[str | None, str]]:
    return [(event.previous_gate_state, event.gate_state) for event in ports.announcer.announced]


async def test_a_newer_status_is_recorded_and_the_closing_gate_announced() -> None:
    ports = FakePorts()
    await record(ports, SiakStatus.UP, seq=1)

    assert await record(ports, SiakStatus.DOWN, seq=2) is True

    known = await ports.statuses.get(MAKASSAR)
    assert known is not None and (known.status, known.seq) == (SiakStatus.DOWN, 2)
    assert not await lets_through(ports)
    assert turns(ports) == [("closed", "recovering"), ("recovering", "closed")]


async def test_a_duplicate_is_ignored_and_announces_nothing() -> None:
    ports = FakePorts()
    await record(ports, SiakStatus.UP, seq=1)
    await record(ports, SiakStatus.DOWN, seq=2)

    assert await record(ports, SiakStatus.DOWN, seq=2) is False

    assert len(ports.announcer.announced) == 2


async def test_a_late_older_status_does_not_reopen_a_closed_gate() -> None:
    ports = FakePorts()
    await record(ports, SiakStatus.UP, seq=1)
    await record(ports, SiakStatus.DOWN, seq=3)

    assert await record(ports, SiakStatus.UP, seq=2) is False

    known = await ports.statuses.get(MAKASSAR)
    assert known is not None and known.seq == 3
    assert not await lets_through(ports)
    assert turns(ports) == [("closed", "recovering"), ("recovering", "closed")]


async def test_an_ignored_status_does_not_keep_a_silent_region_fresh() -> None:
    ports = FakePorts()
    await record(ports, SiakStatus.UP, seq=5)
    ports.clock.advance(timedelta(seconds=50))
    await record(ports, SiakStatus.UP, seq=5)
    ports.clock.advance(timedelta(seconds=20))

    assert not await lets_through(ports)


async def test_a_region_coming_back_up_is_announced_as_recovering() -> None:
    ports = FakePorts()
    await record(ports, SiakStatus.DOWN, seq=1)

    assert await record(ports, SiakStatus.UP, seq=2) is True

    assert await lets_through(ports)
    assert turns(ports) == [("closed", "recovering")]
    assert ports.announcer.announced[0].reason == "seq 2"


async def test_a_change_that_leaves_the_gate_as_it_was_announces_nothing() -> None:
    ports = FakePorts()
    await record(ports, SiakStatus.DOWN, seq=1)

    assert await record(ports, SiakStatus.MAINTENANCE, seq=2) is True

    assert ports.announcer.announced == []


async def test_a_region_forced_closed_stays_closed_and_quiet_when_siak_is_back() -> None:
    ports = FakePorts()
    await ports.control(MAKASSAR, RegionControl(override=Override.FORCE_CLOSED))
    await record(ports, SiakStatus.DOWN, seq=1)

    assert await record(ports, SiakStatus.UP, seq=2) is True

    assert not await lets_through(ports)
    assert ports.announcer.announced == []


async def test_only_an_applied_change_is_handed_over_with_the_gate_seen_after_it() -> None:
    ports = FakePorts()
    handed: list[tuple[RegionStatus, GateSighting]] = []

    async def record_here(status: SiakStatus, *, seq: int) -> None:
        await record_status_change(
            status_change(MAKASSAR, status, seq=seq),
            store=ports.statuses,
            announcer=ports.announcer,
            policy=POLICY,
            now=ports.clock(),
            took=lambda known, seen: handed.append((known, seen)),
        )

    await record_here(SiakStatus.UP, seq=2)
    await record_here(SiakStatus.DOWN, seq=1)  # older: ignored
    await record_here(SiakStatus.UP, seq=2)  # duplicate: ignored

    assert [(known.status, known.seq) for known, _ in handed] == [(SiakStatus.UP, 2)]
    assert [(seen.seen, seen.at) for _, seen in handed] == [(GateState.RECOVERING, ports.clock())]
    assert [known for known, _ in handed] == [await ports.statuses.get(MAKASSAR)]


async def test_a_region_forced_open_is_told_open_by_the_operator_whatever_siak_says() -> None:
    ports = FakePorts()
    await ports.control(MAKASSAR, RegionControl(override=Override.FORCE_OPEN))
    handed: list[GateSighting] = []

    assert await record_status_change(
        status_change(MAKASSAR, SiakStatus.DOWN, seq=1),
        store=ports.statuses,
        announcer=ports.announcer,
        policy=POLICY,
        now=ports.clock(),
        took=lambda _known, seen: handed.append(seen),
    )

    assert await lets_through(ports)
    assert [(e.previous_gate_state, e.gate_state, e.cause) for e in ports.announcer.announced] == [
        ("closed", "recovering", "operator_override")
    ]
    assert [(seen.seen, seen.cause) for seen in handed] == [
        (GateState.RECOVERING, "operator_override")
    ]
