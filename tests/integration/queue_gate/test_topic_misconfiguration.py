"""A gate started on a status topic that deletes instead of compacting: unready, saying why,
until the topic is put right."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from services.queue_gate.bootstrap import create_app
from shared import topics
from shared.kafka_admin import ensure_topics
from shared.settings import KafkaSettings
from tests.conftest import Infrastructure
from tests.integration.queue_gate.conftest import gate_settings
from tests.support.polling import eventually
from tests.support.servers import serving

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def status_topic_set_to_delete(bootstrap_servers: str) -> AsyncIterator[None]:
    """The status topic deletes old records for as long as the block runs."""
    kafka = KafkaSettings.plaintext(bootstrap_servers)
    await ensure_topics(kafka, topics.GATE_TOPICS)
    status = topics.topic(topics.SIAK_STATUS)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()

    async def configure(config: dict[str, str]) -> None:
        # AlterConfigs replaces the topic's whole configuration: give all of it.
        resource = ConfigResource(ConfigResourceType.TOPIC, status.name, configs=config)
        await admin.alter_configs([resource])

    try:
        await configure({**status.creation_config(1), "cleanup.policy": "delete"})
        yield
    finally:
        await configure(status.creation_config(1))
        await admin.close()


async def test_the_gate_stays_unready_naming_the_topic_until_it_is_put_right(
    infrastructure: Infrastructure, database_url: str
) -> None:
    settings = gate_settings(
        infrastructure,
        database_url,
        "http://127.0.0.1:9",
        kafka_start_grace_s=0.5,
        task_backoff_max_s=0.5,
    )
    expected = (
        f"topic {topics.SIAK_STATUS} has cleanup.policy=delete; it needs cleanup.policy=compact"
    )
    async with (
        status_topic_set_to_delete(infrastructure.bootstrap_servers),
        serving(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):

        async def refused_naming_the_topic() -> bool:
            answer = await http.get("/readyz")
            return answer.status_code == 503 and answer.json().get("topics") == expected

        await eventually(refused_naming_the_topic, within=30, what="/readyz naming the topic")
        body = (await http.get("/readyz")).json()
        assert body["status"] == "failing"
        assert body["kafka"] == "unavailable"  # neither consuming nor publishing

    async with serving(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as http:

        async def ready() -> bool:
            return (await http.get("/readyz")).status_code == 200

        await eventually(ready, within=30, what="the gate ready once the topic is right")
        assert "topics" not in (await http.get("/readyz")).json()
