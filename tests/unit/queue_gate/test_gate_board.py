"""The gate board: every region's gate from memory, as fresh as the last reload."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from typing import Any

from services.queue_gate.domain.gate_news import GateSighting
from services.queue_gate.domain.region_gate import IntakeMode, Override, RegionControl
from services.queue_gate.domain.region_status import RegionStatus
from services.queue_gate.gate_board import GateBoard
from services.queue_gate.handlers.region_gate import GatePolicy, StoredGates, sighting_of
from services.queue_gate.handlers.status_updates import record_status_change
from services.queue_gate.ports import StatusSnapshot
from shared.events import SiakStatus
from shared.events.gate import GateStateChanged
from tests.support.background import in_background
from tests.support.polling import eventually
from tests.support.status_store import store_change
from tests.unit.queue_gate.fakes import (
    FakePorts,
    FakeRegionStatusStore,
    assert_stops_when_cancelled_as_woken,
    status_change,
)

MAKASSAR, MAROS = "73.71", "73.09"
STALE_AFTER = timedelta(minutes=1)
POLICY = GatePolicy(
    stale_after=STALE_AFTER, degraded_is_open=False, default_intake_mode=IntakeMode.DEFER
)


def board_of(ports: FakePorts, refresh: timedelta = timedelta(hours=1)) -> GateBoard:
    return GateBoard(ports.statuses, ports.controls, POLICY, refresh_interval=refresh)


def running(board: GateBoard) -> contextlib.AbstractAsyncContextManager[object]:
    return in_background(board.run())


async def until_reloaded(board: GateBoard, count: int) -> None:
    async def reloaded() -> bool:
        return board.reloads >= count

    await eventually(reloaded, within=5, interval=0.001, what=f"{count} reloads")


async def test_the_board_agrees_with_the_stores_for_every_kind_of_region() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    await ports.region_is(MAROS, SiakStatus.DEGRADED)
    await ports.control(MAROS, RegionControl(override=Override.FORCE_OPEN, reason="test"))
    board = board_of(ports)
    await board.reload()
    stored = StoredGates(ports.statuses, ports.controls, POLICY)

    for region in (MAKASSAR, MAROS, "73.06"):
        assert board.current(region, ports.clock()) == await stored.gate(region, ports.clock())


async def test_a_region_goes_unknown_on_the_clock_without_a_reload() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    board = board_of(ports)
    await board.reload()
    ports.clock.advance(STALE_AFTER + timedelta(seconds=1))

    gate = board.current(MAKASSAR, ports.clock())

    assert gate.status is SiakStatus.UNKNOWN
    assert not gate.lets_through


async def test_news_of_a_gate_reloads_the_board_and_news_of_a_line_does_not() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    board = board_of(ports)

    async with running(board):
        await ports.region_is(MAKASSAR, SiakStatus.DOWN)
        board.on_wake(MAKASSAR, gate_changed=False)
        for _ in range(100):  # let a reload the line's news might have caused happen
            await asyncio.sleep(0)
        assert board.reloads == 0
        board.on_wake(MAKASSAR, gate_changed=True)
        await until_reloaded(board, 1)

    assert board.current(MAKASSAR, ports.clock()).status is SiakStatus.DOWN


async def test_without_news_the_board_still_reloads_every_refresh_interval() -> None:
    ports = FakePorts()
    board = board_of(ports, refresh=timedelta(milliseconds=1))

    async with running(board):
        await ports.region_is(MAKASSAR, SiakStatus.UP)
        await until_reloaded(board, 2)

    assert board.current(MAKASSAR, ports.clock()).lets_through


async def test_the_board_stops_when_cancelled_even_as_news_of_a_gate_arrives() -> None:
    ports = FakePorts()

    def start() -> tuple[Coroutine[Any, Any, None], Callable[[], None]]:
        board = board_of(ports)
        return board.run(), lambda: board.on_wake(MAKASSAR, gate_changed=True)

    await assert_stops_when_cancelled_as_woken(start)


async def test_news_of_one_gate_reads_that_region_again_and_leaves_the_rest_to_the_refresh() -> (
    None
):
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    await ports.region_is(MAROS, SiakStatus.UP)
    board = board_of(ports)
    await board.reload()

    async with running(board):
        await ports.region_is(MAKASSAR, SiakStatus.DOWN)
        await ports.region_is(MAROS, SiakStatus.DOWN)
        board.on_wake(MAKASSAR, gate_changed=True)
        await until_reloaded(board, 2)

    assert board.current(MAKASSAR, ports.clock()).status is SiakStatus.DOWN
    assert board.current(MAROS, ports.clock()).status is SiakStatus.UP  # no news of it yet


class CountingAnnouncer:
    def __init__(self, ports: FakePorts) -> None:
        self.ports = ports
        self.asked: list[list[GateSighting]] = []

    async def announce(self, sightings: Sequence[GateSighting]) -> list[GateStateChanged]:
        self.asked.append(list(sightings))
        return await self.ports.announcer.announce(sightings)


async def apply_here(ports: FakePorts, board: GateBoard, status: SiakStatus, *, seq: int) -> None:
    assert await record_status_change(
        status_change(MAKASSAR, status, seq=seq),
        store=ports.statuses,
        announcer=ports.announcer,
        policy=POLICY,
        now=ports.clock(),
        took=board.took,
    )


async def test_a_status_this_process_applies_is_on_the_board_at_once_and_not_told_again() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    announcer = CountingAnnouncer(ports)
    board = GateBoard(
        ports.statuses, ports.controls, POLICY, announcer=announcer, clock=ports.clock
    )
    await board.reload()

    await apply_here(ports, board, SiakStatus.DOWN, seq=2)

    gate = board.current(MAKASSAR, ports.clock())
    assert board.reloads == 1
    assert (gate.status, gate.lets_through) == (SiakStatus.DOWN, False)
    assert [e.gate_state for e in ports.announcer.announced] == ["recovering", "closed"]
    asked = len(announcer.asked)
    await board.reload([MAKASSAR])  # the wake-up of the change: the turn was told with it
    assert len(announcer.asked) == asked


async def test_a_reading_without_a_change_handed_over_does_not_take_the_board_back() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    board = board_of(ports)
    await board.reload()
    later = RegionStatus.from_event(status_change(MAKASSAR, SiakStatus.DOWN, seq=5))
    board.took(later, sighting_of(board.current(MAKASSAR, ports.clock()), ports.clock()))

    await board.reload()  # read before the change was committed
    assert board.current(MAKASSAR, ports.clock()).known == later
    await board.reload([MAKASSAR])
    assert board.current(MAKASSAR, ports.clock()).known == later

    newer = status_change(MAKASSAR, SiakStatus.UP, seq=6)
    assert await store_change(ports.statuses, newer)
    await board.reload()
    assert board.current(MAKASSAR, ports.clock()).known == RegionStatus.from_event(newer)


async def test_a_change_handed_over_after_a_newer_one_was_read_is_left_out() -> None:
    ports = FakePorts()
    await store_change(ports.statuses, status_change(MAKASSAR, SiakStatus.UP, seq=7))
    board = board_of(ports)
    await board.reload()
    older = RegionStatus.from_event(status_change(MAKASSAR, SiakStatus.DOWN, seq=6))

    board.took(older, sighting_of(board.current(MAKASSAR, ports.clock()), ports.clock()))

    known = board.current(MAKASSAR, ports.clock()).known
    assert known is not None and (known.status, known.seq) == (SiakStatus.UP, 7)


async def test_the_wake_up_of_a_status_change_handed_over_here_reads_nothing() -> None:
    ports = FakePorts()
    board = board_of(ports)

    async with running(board):
        board.on_wake(MAKASSAR, gate_changed=True, own_status=True)
        for _ in range(100):  # let a reload the wake-up might have caused happen
            await asyncio.sleep(0)
        assert board.reloads == 0
        board.on_wake(MAKASSAR, gate_changed=True)  # another replica's, or an operator's
        await until_reloaded(board, 1)


class ReadingHeldAfterTheSnapshot(FakeRegionStatusStore):
    """A full reading that took its snapshot before a change committed and ends after it."""

    def __init__(self, ports: FakePorts) -> None:
        super().__init__(ports.clock, ports.announcer, ports.controls)
        self.read = asyncio.Event()
        self.go = asyncio.Event()

    async def snapshot(self, region_codes: list[str] | None = None) -> StatusSnapshot:
        taken = await super().snapshot(region_codes)
        self.read.set()
        await self.go.wait()
        return taken


async def test_a_first_status_applied_here_during_a_full_reading_is_kept() -> None:
    ports = FakePorts()
    statuses = ports.statuses = ReadingHeldAfterTheSnapshot(ports)
    board = GateBoard(
        statuses, ports.controls, POLICY, announcer=ports.announcer, clock=ports.clock
    )
    reading = asyncio.create_task(board.reload())
    await statuses.read.wait()

    await apply_here(ports, board, SiakStatus.UP, seq=1)  # the region's first status
    statuses.go.set()
    await reading

    gate = board.current(MAKASSAR, ports.clock())
    assert gate.status is SiakStatus.UP and gate.lets_through
    assert [event.gate_state for event in ports.announcer.announced] == ["recovering"]
