"""A region whose (epoch, seq) read back is the largest there is never stops the monitor
publishing the other regions, nor answering `/readyz` and `/metrics`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.siak_monitor.domain.status_board import PublishedStatus
from services.siak_monitor.monitoring import Monitor
from services.siak_monitor.ports import PublishedState
from shared.events import SiakStatus, StatusChanged
from shared.events.status import MAX_SEQ
from tests.unit.siak_monitor.fakes import (
    FakeClock,
    FakeProber,
    FakePublisher,
    probe_all,
    ready_app,
    settings,
)

EPOCH = 1_700_000_000_000


@pytest.fixture
def app() -> FastAPI:
    return ready_app(settings(watch="73.71,73.06"), FakeClock(), restored=False)


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://monitor") as client:
        yield client


async def _restored_and_probed(app: FastAPI, exhausted: PublishedStatus) -> Monitor:
    """73.71 read back as `exhausted` and UP, now DOWN; 73.06 read back DOWN, now UP."""
    monitor: Monitor = app.state.monitor
    others = PublishedStatus(SiakStatus.DOWN, seq=5, epoch=exhausted.epoch)
    monitor.restore(PublishedState(statuses={"73.71": exhausted, "73.06": others}))
    app.state.maintenance.restore({})
    monitor.mark_restored()
    prober, clock = monitor.prober, monitor.clock
    assert isinstance(prober, FakeProber) and isinstance(clock, FakeClock)
    prober.down.add("73.71")
    await probe_all(monitor, clock, rounds=2)
    return monitor


def _published(monitor: Monitor) -> dict[str, tuple[int, int]]:
    publisher = monitor.publication.publisher
    assert isinstance(publisher, FakePublisher)
    changes: list[StatusChanged] = publisher.of_type(StatusChanged)
    return {change.region_code: (change.epoch, change.seq) for change in changes}


async def test_a_region_read_back_at_the_last_seq_is_published_in_the_next_epoch(
    app: FastAPI,
) -> None:
    monitor = await _restored_and_probed(app, PublishedStatus(SiakStatus.UP, MAX_SEQ, epoch=EPOCH))

    assert await monitor.publish_owed()

    assert _published(monitor) == {"73.71": (EPOCH + 1, 1), "73.06": (EPOCH, 6)}


async def test_a_region_read_back_at_the_last_epoch_and_seq_holds_no_other_region_back(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    last = PublishedStatus(SiakStatus.UP, MAX_SEQ, epoch=MAX_SEQ)
    monitor = await _restored_and_probed(app, last)

    delivered = await monitor.publish_owed()
    ready = await http.get("/readyz")
    metrics = await http.get("/metrics")

    assert delivered and _published(monitor) == {"73.06": (MAX_SEQ, 6)}
    body: dict[str, Any] = ready.json()
    assert (ready.status_code, body["exhausted_regions"], body["pending_events"]) == (
        200,
        ["73.71"],
        0,
    )
    assert metrics.status_code == 200
    assert "siak_monitor_exhausted_regions 1.0" in metrics.text
    assert "siak_monitor_pending_events 0.0" in metrics.text
