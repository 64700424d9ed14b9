"""After a restart, the monitor's API says a status began when the published record says."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.siak_monitor.domain.status_board import PublishedStatus
from services.siak_monitor.ports import PublishedState
from shared.events import CentralStatusChanged, SiakStatus, StatusChanged
from tests.unit.siak_monitor.fakes import FakeClock, FakePublisher, probe_all, ready_app, settings

CONFIG: dict[str, Any] = {"watch": "73.71", "parent": {"url": "http://central.invalid/health"}}


def read_back(publisher: FakePublisher) -> PublishedState:
    """What the published log gives back: the last record of each key, as published."""
    state = PublishedState()
    for event in publisher.published:
        if isinstance(event, StatusChanged | CentralStatusChanged):
            told = PublishedStatus(
                event.status, event.seq, event.reason, event.expected_return_at, since=event.since
            )
            key = event.region_code if isinstance(event, StatusChanged) else event.target
            (state.statuses if isinstance(event, StatusChanged) else state.central)[key] = told
    return state


async def first_run(clock: FakeClock) -> tuple[PublishedState, datetime]:
    """A monitor that saw region and parent UP and published it; what it published."""
    app = ready_app(settings(**CONFIG), clock)
    monitor = app.state.monitor
    await probe_all(monitor, clock, rounds=2)
    assert await monitor.publish_owed()
    publisher = monitor.publication.publisher
    (up,) = publisher.statuses("73.71")
    assert up.status == SiakStatus.UP
    return read_back(publisher), up.since


async def api(app: FastAPI, path: str) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://monitor") as http:
        body: dict[str, Any] = (await http.get(path)).json()
        return body


@pytest.mark.parametrize("probed_before_read_back", [True, False])
async def test_a_status_unchanged_across_a_restart_keeps_the_published_since(
    probed_before_read_back: bool,
) -> None:
    clock = FakeClock()
    published, since = await first_run(clock)
    clock.advance(600)
    app = ready_app(settings(**CONFIG), clock, restored=False)
    monitor = app.state.monitor

    # Probing starts at once; reading back waits for Kafka, and may come first or later.
    if probed_before_read_back:
        await probe_all(monitor, clock, rounds=2)
    monitor.restore(published)
    app.state.maintenance.restore({})
    monitor.mark_restored()
    await probe_all(monitor, clock, rounds=2)
    assert await monitor.publish_owed()

    region, parent = await api(app, "/v1/regions/73.71"), await api(app, "/v1/parent")
    assert (region["status"], datetime.fromisoformat(region["since"])) == ("UP", since)
    assert parent["status"] == "UP"
    assert datetime.fromisoformat(parent["since"]) == published.central["central"].since
    # Nothing new to tell: the published record stands, and agrees with the API.
    assert monitor.publication.publisher.statuses() == []


async def test_a_status_changed_across_a_restart_begins_when_this_run_saw_it() -> None:
    clock = FakeClock()
    published, since = await first_run(clock)
    clock.advance(600)
    app = ready_app(settings(**CONFIG), clock, restored=False)
    monitor = app.state.monitor
    monitor.restore(published)
    app.state.maintenance.restore({})
    monitor.mark_restored()
    monitor.prober.down.add("73.71")

    await probe_all(monitor, clock, rounds=2)
    assert await monitor.publish_owed()

    region = await api(app, "/v1/regions/73.71")
    (down,) = monitor.publication.publisher.statuses("73.71")
    assert region["status"] == "DOWN" and datetime.fromisoformat(region["since"]) > since
    assert datetime.fromisoformat(region["since"]) == down.since
