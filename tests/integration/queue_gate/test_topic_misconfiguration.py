"""A gate started on a status topic that deletes instead of compacting: unready, saying why,
until the topic is put right."""

from __future__ import annotations

import httpx
import pytest

from services.queue_gate.bootstrap import create_app
from shared import topics
from shared.kafka_admin import ensure_topics
from shared.settings import KafkaSettings
from tests.conftest import Infrastructure
from tests.integration.queue_gate.conftest import gate_settings
from tests.support.kafka import reconfigure
from tests.support.polling import eventually
from tests.support.servers import serving

pytestmark = pytest.mark.integration

EXPECTED = f"topic {topics.SIAK_STATUS} has cleanup.policy=delete; it needs cleanup.policy=compact"


async def test_the_gate_stays_unready_naming_the_topic_until_it_is_put_right(
    infrastructure: Infrastructure, database_url: str
) -> None:
    bootstrap = infrastructure.bootstrap_servers
    status = topics.topic(topics.SIAK_STATUS)
    await ensure_topics(KafkaSettings.plaintext(bootstrap), topics.GATE_TOPICS)
    settings = gate_settings(
        infrastructure,
        database_url,
        "http://127.0.0.1:9",
        kafka_start_grace_s=0.5,
        task_backoff_max_s=0.5,
    )
    await reconfigure(bootstrap, status, {"cleanup.policy": "delete"})
    try:
        async with (
            serving(create_app(settings)) as url,
            httpx.AsyncClient(base_url=url, timeout=10) as http,
        ):

            async def refused_naming_the_topic() -> bool:
                answer = await http.get("/readyz")
                return answer.status_code == 503 and answer.json().get("topics") == EXPECTED

            await eventually(refused_naming_the_topic, within=30, what="/readyz naming the topic")
            refused = (await http.get("/readyz")).json()
            await reconfigure(bootstrap, status)

            async def ready() -> bool:
                return (await http.get("/readyz")).status_code == 200

            await eventually(ready, within=30, what="the gate ready once the topic is right")
            healed = (await http.get("/readyz")).json()
    finally:
        await reconfigure(bootstrap, status)

    assert refused["status"] == "failing"
    assert refused["kafka"] == "unavailable"  # neither consuming nor publishing
    assert "topics" not in healed
