"""The gate board: every region's gate from memory, as fresh as the last reload."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from services.queue_gate.domain.region_gate import IntakeMode, Override, RegionControl
from services.queue_gate.gate_board import GateBoard
from services.queue_gate.handlers.region_gate import GatePolicy, StoredGates
from shared.events import SiakStatus
from tests.support.background import in_background
from tests.support.polling import eventually
from tests.unit.queue_gate.fakes import FakePorts, assert_stops_when_cancelled_as_woken

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
