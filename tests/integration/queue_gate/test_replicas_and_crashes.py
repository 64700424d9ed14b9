"""Several gate replicas, and a gate that died mid-delivery: order kept, nothing twice."""

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
    Gate,
    StatusFeed,
    acceptance_order,
    gate_settings,
    nik,
    submission_body,
    take_regions,
)
from tests.support.polling import eventually
from tests.support.servers import serving
from tests.support.status_consumers import status_group

pytestmark = pytest.mark.integration


async def test_two_replicas_deliver_each_region_once_and_in_order(
    infrastructure: Infrastructure, database_url: str, siak: SimulatedSiak, siak_url: str
) -> None:
    regions = take_regions(3)
    await ensure_topics(
        KafkaSettings.plaintext(infrastructure.bootstrap_servers), topics.GATE_TOPICS
    )
    group = await status_group(infrastructure.bootstrap_servers, "gate-replicas")
    feed = StatusFeed(infrastructure.bootstrap_servers)
    for region in regions:
        await feed.set(region, SiakStatus.DOWN)
    first = create_app(gate_settings(infrastructure, database_url, siak_url, consumer_group=group))
    second = create_app(gate_settings(infrastructure, database_url, siak_url, consumer_group=group))
    async with (
        serving(first) as url_a,
        serving(second) as url_b,
        httpx.AsyncClient(timeout=10) as http,
    ):
        for i in range(60):
            url = (url_a, url_b)[i % 2]  # intake on every replica
            response = await http.post(
                f"{url}/v1/submissions",
                json=submission_body(regions[i % 3], nik(100 + i)),
                headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": f"r-{i}"},
            )
            assert response.status_code == 202, response.text
        for region in regions:
            await feed.set(region, SiakStatus.UP)
        expected = {region: await acceptance_order(database_url, region) for region in regions}

        async def all_delivered() -> bool:
            return all(len(siak.received(r)) == len(expected[r]) for r in regions)

        await eventually(all_delivered, within=60, what="both replicas' intake delivered")
    for region in regions:
        assert [item.key for item in siak.received(region)] == expected[region]
        assert siak.duplicates(region) == 0


async def test_submission_sent_before_a_crash_is_sent_again_without_a_second_effect(
    gate: Gate,
) -> None:
    [region] = take_regions(1)
    await gate.status.set(region, SiakStatus.DOWN)
    ticket = (await gate.submit(region, nik(201))).json()["ticket_id"]
    later = (await gate.submit(region, nik(202))).json()["ticket_id"]
    # As if a gate had sent the first to SIAK and died before recording SIAK's answer.
    async with httpx.AsyncClient() as http:
        first_send = await http.post(
            f"{gate.siak_url}/regions/{region}/submissions",
            json={"replayed": False},
            headers={"Idempotency-Key": ticket},
        )
    assert first_send.status_code == 201
    connection = await asyncpg.connect(gate.database_url)
    try:
        await connection.execute(
            "UPDATE submission SET state = 'dispatching', attempts = 1 WHERE ticket_id = $1",
            ticket,
        )
    finally:
        await connection.close()
    await gate.status.set(region, SiakStatus.UP)

    async def both_delivered() -> bool:
        states = [(await gate.ticket(t))["state"] for t in (ticket, later)]
        return states == ["delivered", "delivered"]

    await eventually(both_delivered, what="the interrupted delivery completed")
    assert gate.received_keys(region) == [ticket, later]
    assert gate.siak.duplicates(region) == 1  # the resend was recognised, not recorded again
    assert await acceptance_order(gate.database_url, region) == [ticket, later]
