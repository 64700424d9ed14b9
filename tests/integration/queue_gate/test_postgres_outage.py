"""PostgreSQL killed -9 under a running gate: once it is back, so is everything the gate does."""

from __future__ import annotations

import json

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
    Gate,
    StatusFeed,
    gate_settings,
    nik,
    take_regions,
)
from tests.support.kafka import TopicReader
from tests.support.own_postgres import kill_hard, own_postgres, start_again
from tests.support.polling import eventually
from tests.support.servers import serving
from tests.support.status_consumers import status_group

pytestmark = pytest.mark.integration


async def test_after_postgresql_is_killed_and_back_gate_events_and_wake_ups_flow_again(
    infrastructure: Infrastructure, siak: SimulatedSiak, siak_url: str
) -> None:
    [region] = take_regions(1)
    bootstrap = infrastructure.bootstrap_servers
    await ensure_topics(KafkaSettings.plaintext(bootstrap), topics.GATE_TOPICS)
    feed = StatusFeed(bootstrap)
    async with own_postgres() as server:
        # No sweep: only a wake-up heard over LISTEN can start the region's dispatcher.
        settings = gate_settings(
            infrastructure,
            server.url,
            siak_url,
            sweep_interval_s=3600,
            task_backoff_max_s=1,
            consumer_group=await status_group(infrastructure.bootstrap_servers, "gate"),
        )
        async with (
            serving(create_app(settings)) as url,
            httpx.AsyncClient(timeout=10) as http,
            TopicReader(bootstrap, topics.GATE_EVENTS) as reader,
        ):
            gate = Gate(url, http, siak, feed, server.url, siak_url)

            async def siak_is(status: SiakStatus) -> bool:
                view = (await http.get(f"{url}/v1/regions/{region}")).json()
                return bool(view["siak_status"] == status.value)

            await feed.set(region, SiakStatus.UP)
            await eventually(lambda: siak_is(SiakStatus.UP), what="the region UP")

            kill_hard(server)
            await start_again(server)

            await feed.set(region, SiakStatus.DOWN, reason="http_503")

            async def closed_published() -> bool:
                events = [
                    json.loads(r.value) for r in await reader.poll() if r.key == region.encode()
                ]
                return any(e["data"].get("gate_state") == "closed" for e in events)

            await eventually(closed_published, within=60, what="the gate's closing on Kafka")

            async def listening_again() -> bool:
                wakeups = (await http.get(f"{url}/readyz")).json()["tasks"]["wakeups"]
                return bool(wakeups["restarts"] >= 1 and wakeups["running"])

            await eventually(listening_again, within=30, what="LISTEN re-established")
            await feed.set(region, SiakStatus.UP)
            await eventually(lambda: siak_is(SiakStatus.UP), what="the region UP again")
            accepted = await gate.submit(region, nik(801))
            assert accepted.status_code == 202, accepted.text

            async def delivered() -> bool:
                return len(siak.received(region)) == 1

            await eventually(delivered, within=30, what="the submission delivered")
            ready = await http.get(f"{url}/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["postgresql"] == "reachable"
