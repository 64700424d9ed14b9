"""Both replicas are in the monitor's Service (a standby is ready, for the disruption budget),
so a standby refuses what only the publishing replica knows instead of answering it wrong."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI

from services.siak_monitor.replica import Standing
from tests.unit.siak_monitor.fakes import FakeClock, ready_app, settings

CONFIG = settings(watch="73.71", parent={"name": "central", "url": "http://dc/health"})
KNOWN_ONLY_TO_THE_PUBLISHER = [
    "/v1/regions",
    "/v1/regions/73.71",
    "/v1/regions/73.71/history",
    "/v1/parent",
    "/v1/maintenance",
    "/v1/maintenance/some-plan",
]


async def _client(standing: Standing) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = ready_app(CONFIG, FakeClock())
    app.state.replica = SimpleNamespace(standing=standing)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://monitor") as client:
        yield client


@pytest.fixture
async def standby() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(Standing.STANDBY):
        yield client


@pytest.fixture
async def active() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(Standing.ACTIVE):
        yield client


@pytest.mark.parametrize("path", KNOWN_ONLY_TO_THE_PUBLISHER)
async def test_a_standby_refuses_what_only_the_publishing_replica_knows(
    standby: httpx.AsyncClient, path: str
) -> None:
    answer = await standby.get(path)

    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "1"
    assert "stands by" in answer.json()["detail"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
async def test_a_standby_still_answers_for_itself(standby: httpx.AsyncClient, path: str) -> None:
    assert (await standby.get(path)).status_code == 200


async def test_the_publishing_replica_answers(active: httpx.AsyncClient) -> None:
    regions = await active.get("/v1/regions")
    plans = await active.get("/v1/maintenance")

    assert (regions.status_code, plans.status_code) == (200, 200)
    assert [region["region_code"] for region in regions.json()] == ["73.71"]
