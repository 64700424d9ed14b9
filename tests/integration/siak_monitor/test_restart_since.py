"""After a restart, the monitor's API and the status topic agree on when a status began."""

from __future__ import annotations

from datetime import datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared import topics
from shared.events import SiakStatus, StatusChanged
from tests.integration.siak_monitor.conftest import (
    Simulator,
    monitor_settings,
    running_monitor,
    topic_events,
)
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def test_a_region_still_up_after_a_restart_is_up_since_the_time_published(
    bootstrap_servers: str, simulator: Simulator
) -> None:
    settings = monitor_settings(bootstrap_servers, simulator, "19.01")
    async with topic_events(
        bootstrap_servers, topics.SIAK_STATUS, StatusChanged, ["19.01"]
    ) as events:
        async with running_monitor(settings):
            (up,) = await events.until(lambda e: len(e) == 1, what="UP published")
        async with running_monitor(settings) as restarted:
            region = await eventually(
                lambda: restarted.region_shows("19.01", "UP"), what="UP after the restart"
            )

            async def settled() -> str | None:
                # Seen UP, it owes what it would ever say of it: once nothing is owed, what
                # it published (counted by its own metrics) is all it will publish.
                owed = (await restarted.http.get(f"{restarted.url}/readyz")).json()
                metrics = (await restarted.http.get(f"{restarted.url}/metrics")).text
                return metrics if owed["pending_events"] == 0 else None

            metrics = await eventually(settled, what="nothing owed after the restart")
        published = await events.read()

    assert up.status == SiakStatus.UP
    assert published == [up]  # nothing new to say, so the topic's record stands
    assert statuses_published(metrics) == 0  # nor will it: it owed nothing
    assert datetime.fromisoformat(region["since"]) == up.since


def statuses_published(metrics: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "siak_monitor_events_published_total"
        and sample.labels.get("topic") == topics.SIAK_STATUS
    )
