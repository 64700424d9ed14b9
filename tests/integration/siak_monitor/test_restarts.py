"""A monitor restart continues every region's seq; a broker outage loses no final state."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deploy.local.component import Paths
from deploy.local.kafka_broker import KafkaBroker
from deploy.local.python_service import REPO_ROOT
from shared import topics
from shared.events import SiakStatus, StatusChanged
from shared.kafka_admin import ensure_topics
from shared.settings import KafkaSettings
from tests.conftest import free_port
from tests.integration.siak_monitor.conftest import (
    MonitorClient,
    Simulator,
    monitor_settings,
    running_monitor,
    topic_events,
)
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

UP, DOWN = SiakStatus.UP, SiakStatus.DOWN


def statuses(events: list[StatusChanged], code: str) -> list[tuple[SiakStatus, int]]:
    return [(event.status, event.seq) for event in events if event.region_code == code]


async def test_seq_continues_across_a_monitor_restart(
    bootstrap_servers: str, simulator: Simulator
) -> None:
    watched = ["14.01"]
    settings = monitor_settings(bootstrap_servers, simulator, "14.01")
    async with topic_events(
        bootstrap_servers, topics.SIAK_STATUS, StatusChanged, watched
    ) as events:
        async with running_monitor(settings):
            await events.until(lambda e: statuses(e, "14.01") == [(UP, 1)], what="UP")
            await simulator.set("14.01", "down")
            await events.until(lambda e: len(statuses(e, "14.01")) == 2, what="DOWN")
        async with running_monitor(settings) as restarted:
            # Still down: the restarted monitor learns it again, and has nothing new to say.
            remembered = await eventually(
                lambda: restarted.region_shows("14.01", "DOWN"), what="DOWN again"
            )
            await simulator.set("14.01", "up")
            published = await events.until(lambda e: len(statuses(e, "14.01")) == 3, what="UP")

    assert remembered["seq"] == 2
    assert statuses(published, "14.01") == [(UP, 1), (DOWN, 2), (UP, 3)]
    assert published[-1].previous_status == DOWN


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[KafkaBroker]:
    """A broker of this test's own, to stop and start; not started yet."""
    broker = KafkaBroker(
        Paths(tmp_path),
        port=free_port(),
        controller_port=free_port(),
        cache_dir=REPO_ROOT / ".cache",
    )
    try:
        yield broker
    finally:
        broker.stop()


async def test_monitor_rides_out_broker_outages_and_publishes_each_final_state_once(
    own_broker: KafkaBroker, simulator: Simulator
) -> None:
    watched = ["15.01", "15.02", "15.03"]
    bootstrap = own_broker.bootstrap_servers
    settings = monitor_settings(bootstrap, simulator, ",".join(watched))
    async with running_monitor(settings, wait_ready=False) as monitor:
        # No broker yet: the monitor starts, but cannot know whether it owns the regions.
        answer = await monitor.http.get(f"{monitor.url}/readyz")
        assert (answer.status_code, answer.json()["standing"]) == (503, "joining")
        await asyncio.to_thread(own_broker.ensure_running)
        await eventually(lambda: ready(monitor), within=60, what="ready once Kafka is there")
        await ensure_topics(KafkaSettings.plaintext(bootstrap), topics.MONITOR_TOPICS)
        async with topic_events(bootstrap, topics.SIAK_STATUS, StatusChanged, watched) as events:
            await events.until(
                lambda e: all(statuses(e, code) == [(UP, 1)] for code in watched),
                what="every region UP",
            )
            await asyncio.to_thread(own_broker.stop)
            await simulator.set("15.01", "down")
            await simulator.set("15.02", "down")
            await eventually(lambda: probed_down(monitor, "15.01"), what="15.01 DOWN")
            await eventually(lambda: probed_down(monitor, "15.02"), what="15.02 DOWN")
            await simulator.set("15.02", "up")
            await eventually(lambda: probed_up(monitor, "15.02"), what="15.02 back UP")
            backlog = await pending_events(monitor)
            await asyncio.to_thread(own_broker.ensure_running)
            published = await events.until(
                lambda e: len(statuses(e, "15.01")) == 2, within=60, what="15.01 DOWN published"
            )
            # A marker published after the backlog: once it is there, the backlog was read too.
            await simulator.set("15.03", "down")
            published = await events.until(
                lambda e: len(statuses(e, "15.03")) == 2, what="a later change"
            )

    assert backlog >= 1
    assert statuses(published, "15.01") == [(UP, 1), (DOWN, 2)]
    # 15.02 fell and recovered while Kafka was away: its final state was already told.
    assert statuses(published, "15.02") == [(UP, 1)]
    assert statuses(published, "15.03") == [(UP, 1), (DOWN, 2)]


async def probed_up(monitor: MonitorClient, code: str) -> bool:
    return str((await monitor.region(code))["status"]) == "UP"


async def probed_down(monitor: MonitorClient, code: str) -> bool:
    return str((await monitor.region(code))["status"]) == "DOWN"


async def ready(monitor: MonitorClient) -> bool:
    try:
        return (await monitor.http.get(f"{monitor.url}/readyz")).status_code == 200
    except httpx.HTTPError:
        return False


async def pending_events(monitor: MonitorClient) -> int:
    pending: int = (await monitor.http.get(f"{monitor.url}/readyz")).json()["pending_events"]
    return pending
