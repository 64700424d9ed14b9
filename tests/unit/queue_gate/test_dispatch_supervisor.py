"""The supervisor: one dispatcher per region, no more regions at once than allowed, leases kept."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from services.queue_gate.dispatch_supervisor import DispatchSupervisor
from services.queue_gate.domain.region_gate import IntakeMode
from services.queue_gate.domain.replay_pacing import PacingConfig
from services.queue_gate.domain.ticket import SubmissionState
from services.queue_gate.handlers.region_gate import GatePolicy
from shared.events import SiakStatus
from tests.support.polling import eventually
from tests.unit.queue_gate.fakes import FakePorts

MAKASSAR, MAROS, GOWA = "73.71", "73.09", "73.06"
POLICY = GatePolicy(
    stale_after=timedelta(minutes=10), degraded_is_open=True, default_intake_mode=IntakeMode.DEFER
)
# No canaries and a burst: the clock stands still here, so nothing waits on the pace.
PACING = PacingConfig(canary_count=0, initial_rate=50.0, max_rate=50.0, burst=10)


def supervisor_for(
    ports: FakePorts,
    *,
    max_active_regions: int = 8,
    idle_timeout: timedelta = timedelta(seconds=30),
    sweep_interval: timedelta = timedelta(milliseconds=10),
) -> DispatchSupervisor:
    return DispatchSupervisor(
        ports.dispatch_deps(POLICY, PACING, idle_timeout=idle_timeout),
        ports.leases,
        max_active_regions=max_active_regions,
        sweep_interval=sweep_interval,
    )


@contextlib.asynccontextmanager
async def supervising(supervisor: DispatchSupervisor) -> AsyncIterator[None]:
    running = asyncio.create_task(supervisor.run())
    try:
        yield
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


async def test_a_wake_for_an_active_region_nudges_it_rather_than_starting_another() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    first = await ports.waiting(MAKASSAR, "ani")
    supervisor = supervisor_for(ports, sweep_interval=timedelta(hours=1))

    async with supervising(supervisor):
        supervisor.wake(MAKASSAR)
        supervisor.wake(MAKASSAR)
        await ports.siak.until_sent(1)
        second = await ports.waiting(MAKASSAR, "budi")
        supervisor.wake(MAKASSAR)
        await ports.siak.until_sent(2)

    assert ports.siak.sent == [first, second]
    assert ports.leases.attempts == [MAKASSAR]


async def test_no_more_regions_are_dispatched_at_once_than_allowed() -> None:
    ports = FakePorts()
    tickets = []
    for region in (MAKASSAR, MAROS, GOWA):
        await ports.region_is(region, SiakStatus.UP)
        tickets.append(await ports.waiting(region, f"warga-{region}"))
    supervisor = supervisor_for(ports, max_active_regions=2, idle_timeout=timedelta(0))
    ports.siak.hold_answers()

    async with supervising(supervisor):
        await ports.siak.until_sent(2)
        ports.siak.release_answers()
        await ports.siak.until_sent(3)

    assert sorted(ports.siak.sent) == sorted(tickets)
    assert ports.leases.most_held_at_once == 2


async def test_a_region_whose_lease_is_held_elsewhere_is_not_dispatched_here() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    ticket = await ports.waiting(MAKASSAR, "ani")
    ports.leases.held_elsewhere.add(MAKASSAR)
    supervisor = supervisor_for(ports)

    async with supervising(supervisor):
        await ports.leases.until_tried(2)
        assert ports.siak.calls == []
        assert supervisor.active == {}
        ports.leases.held_elsewhere.clear()  # the other replica let go
        await ports.siak.until_sent(1)

    assert ports.siak.sent == [ticket]


async def test_a_closed_region_with_a_backlog_does_not_keep_an_open_region_waiting() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.DOWN)
    await ports.region_is(MAROS, SiakStatus.UP)
    await ports.waiting(MAKASSAR, "ani")
    ticket = await ports.waiting(MAROS, "budi")
    supervisor = supervisor_for(ports, max_active_regions=1)

    async with supervising(supervisor):
        await ports.siak.until_sent(1)

    assert ports.siak.sent == [ticket]


async def test_a_region_with_only_held_submissions_does_not_keep_an_open_region_waiting() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    await ports.region_is(MAROS, SiakStatus.UP)
    parked = await ports.waiting(MAKASSAR, "ani")
    await ports.submissions.move(parked, to=SubmissionState.PARKED, parked_reason="http_422")
    await ports.waiting(MAKASSAR, "ani")  # waits for an operator to retry or cancel
    ticket = await ports.waiting(MAROS, "budi")
    supervisor = supervisor_for(
        ports, max_active_regions=1, idle_timeout=timedelta(milliseconds=50)
    )

    async with supervising(supervisor):
        await ports.siak.until_sent(1)

    assert ports.siak.sent == [ticket]


async def until_no_dispatcher(supervisor: DispatchSupervisor, region: str) -> None:
    for _ in range(10_000):  # bounded: yields to the dispatcher until it has left
        if region not in supervisor.active:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"the dispatcher of {region} never left")


async def test_new_submissions_to_a_closed_region_start_no_dispatcher_until_gate_news() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.DOWN)
    first = await ports.waiting(MAKASSAR, "ani")
    supervisor = supervisor_for(ports, sweep_interval=timedelta(hours=1))

    async with supervising(supervisor):
        await ports.leases.until_tried(1)  # the first sweep finds the line, and a closed gate
        await until_no_dispatcher(supervisor, MAKASSAR)
        await ports.waiting(MAKASSAR, "budi")
        supervisor.wake(MAKASSAR, gate_changed=False)  # intake's wake-up: nothing to do yet
        for _ in range(100):  # let any task the wake-up might have started run
            await asyncio.sleep(0)
        assert ports.leases.attempts == [MAKASSAR]
        await ports.region_is(MAKASSAR, SiakStatus.UP)
        supervisor.wake(MAKASSAR, gate_changed=True)  # the status changed: try again
        await ports.siak.until_sent(1)

    assert ports.leases.attempts == [MAKASSAR, MAKASSAR]
    assert ports.siak.sent[0] == first


async def test_a_region_this_replica_sees_closed_starts_nothing_until_news_of_its_gate() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    ticket = await ports.waiting(MAKASSAR, "ani")
    seen_open: set[str] = set()
    supervisor = DispatchSupervisor(
        ports.dispatch_deps(POLICY, PACING, idle_timeout=timedelta(seconds=30)),
        ports.leases,
        max_active_regions=8,
        sweep_interval=timedelta(milliseconds=1),
        may_dispatch=lambda region: region in seen_open,
    )

    async with supervising(supervisor):
        for _ in range(100):  # intake wake-ups (and any sweep) go by
            supervisor.wake(MAKASSAR, gate_changed=False)
            await asyncio.sleep(0)
        assert ports.leases.attempts == []
        supervisor.wake(MAKASSAR, gate_changed=True)
        await ports.siak.until_sent(1)

    assert ports.siak.sent == [ticket]


async def test_news_of_a_gate_with_nothing_waiting_takes_no_slot_and_no_lease() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    supervisor = supervisor_for(ports, sweep_interval=timedelta(hours=1))

    async with supervising(supervisor):
        supervisor.wake(MAKASSAR, gate_changed=True)
        for _ in range(100):  # let the start the wake-up began run its course
            await asyncio.sleep(0)
        assert ports.leases.attempts == []
        assert supervisor.active == {}
        ticket = await ports.waiting(MAKASSAR, "ani")
        supervisor.wake(MAKASSAR, gate_changed=False)  # intake's wake-up
        await ports.siak.until_sent(1)

    assert ports.siak.sent == [ticket]
    assert ports.leases.attempts == [MAKASSAR]


async def test_no_dispatcher_starts_once_the_supervisor_is_cancelled() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    await ports.waiting(MAKASSAR, "ani")
    supervisor = supervisor_for(ports, sweep_interval=timedelta(hours=1))
    async with supervising(supervisor):
        await ports.siak.until_sent(1)
    await ports.waiting(MAKASSAR, "budi")

    supervisor.wake(MAKASSAR, gate_changed=True)  # a late wake-up, e.g. from LISTEN

    assert not [task for task in asyncio.all_tasks() if task.get_name().startswith("dispatch ")]
    assert supervisor.active == {}


async def test_a_failing_dispatcher_is_logged_without_the_errors_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A database error quotes the values it refused, which may be SIAK's text."""
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    await ports.waiting(MAKASSAR, "ani")
    supervisor = supervisor_for(ports, sweep_interval=timedelta(hours=1))

    echoed = "Siti Aminah 7371014509900001"  # not on the raising line: tracebacks show it

    async def refused(deliveries: list[tuple[str, str | None]]) -> None:
        raise ValueError(f"invalid input for query argument $2: {echoed!r}")

    ports.submissions.mark_delivered = refused  # type: ignore[method-assign]
    with caplog.at_level(logging.ERROR):
        async with supervising(supervisor):
            supervisor.wake(MAKASSAR)

            async def logged() -> bool:
                return "failed" in caplog.text

            await eventually(logged, within=10, interval=0.01, what="the failure logged")

    assert MAKASSAR in caplog.text and "ValueError" in caplog.text
    assert "Siti" not in caplog.text and "7371014509900001" not in caplog.text


async def test_the_sweep_clears_a_flag_over_a_line_emptied_while_no_dispatcher_ran() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    await ports.region_is(MAROS, SiakStatus.DOWN)
    # A replica got SIAK's 404 and stopped (a restart, the gate closed); Makassar's waiting
    # rows were then removed by hand: no dispatcher starts for an empty line. Maros still
    # holds its line, and its flag with it.
    await ports.misconfigurations.flag(MAKASSAR, 404)
    await ports.misconfigurations.flag(MAROS, 401)
    await ports.waiting(MAROS, "ani")

    async with supervising(supervisor_for(ports)):

        async def makassar_cleared() -> bool:
            return MAKASSAR not in await ports.misconfigurations.flagged()

        await eventually(makassar_cleared, within=5, interval=0.01, what="Makassar's flag cleared")

    assert await ports.misconfigurations.flagged() == {MAROS: 401}
    assert ports.leases.attempts.count(MAKASSAR) == 0  # no dispatcher, no lease, for it
