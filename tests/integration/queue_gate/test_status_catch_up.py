"""A gate (re)started behind its status topic sends nothing on a status the topic supersedes."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from services.queue_gate.bootstrap import create_app
from services.siak_sim.state import SimulatedSiak
from shared import topics
from shared.events import SiakStatus
from shared.kafka_admin import ensure_topics
from shared.settings import KafkaSettings
from tests.conftest import Infrastructure
from tests.integration.queue_gate.conftest import (
    API_KEY,
    StatusFeed,
    gate_settings,
    nik,
    submission_body,
    take_regions,
)
from tests.support.kafka import produce_all
from tests.support.polling import eventually
from tests.support.servers import serving
from tests.support.status_consumers import status_group, status_record

pytestmark = pytest.mark.integration

BACKLOG = 300
"""Records between the UP and the DOWN after it: without the hold, the gate's status is UP
for as long as reading them takes, far longer than a dispatcher needs to send."""


async def stored_status(database_url: str, region: str) -> tuple[int, str] | None:
    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow(
            "SELECT seq, status FROM region_status WHERE region_code = $1", region
        )
    finally:
        await connection.close()
    return None if row is None else (row["seq"], row["status"])


async def test_a_restarted_gate_sends_nothing_while_reading_up_to_the_regions_latest_status(
    infrastructure: Infrastructure, database_url: str, siak: SimulatedSiak, siak_url: str
) -> None:
    [region] = take_regions(1)
    bootstrap = infrastructure.bootstrap_servers
    await ensure_topics(KafkaSettings.plaintext(bootstrap), topics.GATE_TOPICS)
    feed = StatusFeed(bootstrap)
    group = await status_group(bootstrap, "gate")  # one group, both runs
    settings = gate_settings(infrastructure, database_url, siak_url, consumer_group=group)
    down = await feed.set(region, SiakStatus.DOWN)
    async with serving(create_app(settings)) as url, httpx.AsyncClient(timeout=10) as http:

        async def down_stored() -> bool:
            return await stored_status(database_url, region) == (down, "DOWN")

        await eventually(down_stored, what="the first gate stored the region DOWN")
        response = await http.post(
            f"{url}/v1/submissions",
            json=submission_body(region, nik(301)),
            headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "catch-up-1"},
        )
        assert response.status_code == 202, response.text

    # While no gate runs, the region comes up and goes down again, behind older news.
    await feed.set(region, SiakStatus.UP)
    backlog = [status_record(region, SiakStatus.DOWN, down)] * BACKLOG
    await produce_all(bootstrap, topics.SIAK_STATUS, backlog)
    latest = await feed.set(region, SiakStatus.DOWN)

    async with serving(create_app(settings)) as url, httpx.AsyncClient(timeout=10) as http:

        async def latest_stored() -> bool:
            return await stored_status(database_url, region) == (latest, "DOWN")

        await eventually(latest_stored, within=60, what="the restarted gate read the topic")

        async def caught_up() -> bool:
            detail = (await http.get(f"{url}/readyz")).json()["status_consumer"]
            return bool(detail == {"state": "caught up", "dispatch": "free"})

        await eventually(caught_up, what="/readyz saying the status consumer caught up")
        assert siak.received(region) == []

        await feed.set(region, SiakStatus.UP)  # news, not history: the hold is over

        async def delivered() -> bool:
            return len(siak.received(region)) == 1

        await eventually(delivered, within=30, what="the submission sent once the region is up")
