"""After a restart, the monitor's API and the status topic agree on when a status began."""

from __future__ import annotations

from datetime import datetime

import pytest

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
        published = await events.read()

    assert up.status == SiakStatus.UP
    assert published == [up]  # nothing new to say, so the topic's record stands
    assert datetime.fromisoformat(region["since"]) == up.since
