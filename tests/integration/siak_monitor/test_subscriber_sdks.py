"""What the monitor publishes on the real broker, read with the JavaScript and Java SDKs.

(The Python SDK reads every record these integration tests read: see `Events`.)
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from shared import topics
from shared.events import (
    MaintenanceNotice,
    MaintenancePlanned,
    MonitorHeartbeat,
    SiakStatus,
    StatusChanged,
)
from tests.integration.siak_monitor.conftest import (
    Events,
    Simulator,
    monitor_settings,
    running_monitor,
    topic_events,
)
from tests.integration.siak_monitor.test_maintenance import window_from_now
from tests.support.event_samples import write_records
from tests.support.sdk_suites import java_sdk_reads, javascript_sdk_reads

pytestmark = pytest.mark.integration


async def test_javascript_and_java_subscribers_read_what_the_monitor_published(
    bootstrap_servers: str, simulator: Simulator, tmp_path: Path
) -> None:
    watched = ["17.01", "17.02"]
    settings = monitor_settings(bootstrap_servers, simulator, ",".join(watched))
    async with (
        topic_events(bootstrap_servers, topics.SIAK_STATUS, StatusChanged, watched) as status,
        topic_events(
            bootstrap_servers, topics.MONITOR_HEARTBEAT, MonitorHeartbeat, [settings.monitor_id]
        ) as heartbeats,
        topic_events(
            bootstrap_servers, topics.SIAK_MAINTENANCE, MaintenanceNotice, watched
        ) as notices,
        running_monitor(settings) as monitor,
    ):
        await simulator.set("17.02", "down")
        created = await monitor.admin(
            "POST", "/v1/maintenance", window_from_now(3600, 7200, "17.01")
        )
        async with topic_events(
            bootstrap_servers,
            topics.SIAK_MAINTENANCE_PLANS,
            MaintenancePlanned,
            [created.json()["id"]],
        ) as plans:
            await status.until(
                lambda e: (
                    {(c.region_code, c.status) for c in e} >= {("17.02", SiakStatus.DOWN)}
                    and {c.region_code for c in e} == set(watched)
                ),
                what="both regions' status, 17.02 DOWN",
            )
            await heartbeats.until(lambda e: len(e) >= 1, what="a heartbeat")
            await notices.until(lambda e: len(e) >= 1, what="the window announced")
            await plans.until(lambda e: len(e) >= 1, what="the plan record")
            published: tuple[Events[Any], ...] = (status, heartbeats, notices, plans)

    records = write_records(
        tmp_path,
        [
            (events.topic, record.key, record.headers, record.value)
            for events in published
            for record in events.records
        ],
    )
    await asyncio.to_thread(javascript_sdk_reads, records)
    await asyncio.to_thread(java_sdk_reads, records)
