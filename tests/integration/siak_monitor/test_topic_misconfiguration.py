"""A monitor started on a plans topic that deletes instead of compacting: it publishes
nothing and names the topic in /readyz until the topic is put right."""

from __future__ import annotations

import pytest

from shared import topics
from tests.integration.siak_monitor.conftest import Simulator, monitor_settings, running_monitor
from tests.support.kafka import reconfigure
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

EXPECTED = (
    f"cannot start: topic {topics.SIAK_MAINTENANCE_PLANS} has cleanup.policy=delete; "
    "it needs cleanup.policy=compact"
)


async def test_the_monitor_names_the_unfit_topic_and_goes_on_once_it_is_put_right(
    bootstrap_servers: str, simulator: Simulator
) -> None:
    plans = topics.topic(topics.SIAK_MAINTENANCE_PLANS)
    settings = monitor_settings(bootstrap_servers, simulator, "16.71")
    await reconfigure(bootstrap_servers, plans, {"cleanup.policy": "delete"})
    try:
        async with running_monitor(settings, wait_ready=False) as monitor:

            async def refused_naming_the_topic() -> bool:
                answer = await monitor.http.get(f"{monitor.url}/readyz")
                return answer.status_code == 503 and answer.json()["status"] == EXPECTED

            await eventually(refused_naming_the_topic, within=30, what="/readyz naming the topic")
            await reconfigure(bootstrap_servers, plans)

            async def ready() -> bool:
                return (await monitor.http.get(f"{monitor.url}/readyz")).status_code == 200

            await eventually(ready, within=30, what="the monitor ready once the topic is right")
    finally:
        await reconfigure(bootstrap_servers, plans)
