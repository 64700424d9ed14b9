"""A region's status from real probes of the simulator, published on the real broker."""

from __future__ import annotations

import pytest

from shared import topics
from shared.events import MonitorHeartbeat, SiakStatus, StatusChanged
from shared.regions import load_registry
from tests.integration.siak_monitor.conftest import (
    Simulator,
    monitor_settings,
    running_monitor,
    topic_events,
)
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

UP, DOWN, DEGRADED = SiakStatus.UP, SiakStatus.DOWN, SiakStatus.DEGRADED


def statuses(events: list[StatusChanged], code: str) -> list[SiakStatus]:
    return [event.status for event in events if event.region_code == code]


async def test_region_goes_down_and_comes_back_with_growing_seq(
    bootstrap_servers: str, simulator: Simulator
) -> None:
    watched = ["12.01", "12.02"]
    settings = monitor_settings(bootstrap_servers, simulator, ",".join(watched))
    async with (
        topic_events(bootstrap_servers, topics.SIAK_STATUS, StatusChanged, watched) as events,
        running_monitor(settings) as monitor,
    ):
        await events.until(lambda e: statuses(e, "12.01") == [UP], what="12.01 UP")
        await simulator.set("12.01", "down")
        await events.until(lambda e: statuses(e, "12.01") == [UP, DOWN], what="12.01 DOWN")
        down = await monitor.region("12.01")
        await simulator.set("12.01", "up")
        published = await events.until(
            lambda e: statuses(e, "12.01") == [UP, DOWN, UP], what="12.01 back UP"
        )
        history = (await monitor.http.get(f"{monitor.url}/v1/regions/12.01/history")).json()

    changes = [event for event in published if event.region_code == "12.01"]
    assert [event.seq for event in changes] == [1, 2, 3]
    assert [event.previous_status for event in changes] == [None, UP, DOWN]
    assert changes[1].reason == "http_503"
    assert changes[1].evidence is not None and changes[1].evidence.http_status == 503
    assert statuses(published, "12.02") == [UP]
    assert (down["status"], down["reason"]) == ("DOWN", "http_503")
    assert down["name"] == load_registry().get("12.01").name
    assert [entry["status"] for entry in history] == ["UP", "DOWN", "UP"]


async def test_a_slow_region_is_degraded_while_others_stay_up(
    bootstrap_servers: str, simulator: Simulator
) -> None:
    watched = ["12.03", "12.04"]
    # Wide margins both ways: one answer of the healthy region slower than the threshold
    # (a busy machine's event loop) would make it DEGRADED too.
    settings = monitor_settings(
        bootstrap_servers, simulator, ",".join(watched), degraded_latency_ms=500, probe_timeout_s=3
    )
    await simulator.set("12.03", "slow", latency_ms=1000)
    async with (
        topic_events(bootstrap_servers, topics.SIAK_STATUS, StatusChanged, watched) as events,
        running_monitor(settings),
    ):
        published = await events.until(
            lambda e: statuses(e, "12.03") == [DEGRADED] and statuses(e, "12.04") == [UP],
            what="12.03 DEGRADED beside 12.04 UP",
        )
    (slow,) = [event for event in published if event.region_code == "12.03"]
    assert slow.reason == "slow_response"
    assert slow.evidence is not None and (slow.evidence.latency_ms or 0) > 500


async def test_a_hanging_region_times_out_without_holding_up_the_others(
    bootstrap_servers: str, simulator: Simulator
) -> None:
    watched = ["12.05", "12.06"]
    # Two timeouts in a row make a region DOWN: half the hanging one's latency leaves a
    # busy machine room to answer the healthy one in time.
    settings = monitor_settings(
        bootstrap_servers, simulator, ",".join(watched), probe_timeout_s=0.75
    )
    # Far beyond the timeout, yet short enough for the simulator to stop promptly.
    await simulator.set("12.05", "slow", latency_ms=1500)
    async with (
        topic_events(bootstrap_servers, topics.SIAK_STATUS, StatusChanged, watched) as events,
        running_monitor(settings) as monitor,
    ):
        await events.until(
            lambda e: statuses(e, "12.05") == [DOWN] and statuses(e, "12.06") == [UP],
            what="12.05 DOWN by timeout beside 12.06 UP",
        )
        hanging = await monitor.region("12.05")
        metrics = (await monitor.http.get(f"{monitor.url}/metrics")).text
    assert hanging["reason"] == "timeout"
    assert 'siak_monitor_probe_errors_total{kind="timeout"}' in metrics
    assert 'siak_monitor_region_status{region="12.06",status="UP"} 1.0' in metrics


async def test_a_flapping_region_needs_ever_longer_runs_of_success(
    bootstrap_servers: str, simulator: Simulator
) -> None:
    watched = ["12.07"]
    settings = monitor_settings(
        bootstrap_servers,
        simulator,
        "12.07",
        failure_threshold=1,
        success_threshold=1,
        flap_window_s=600,
        max_success_threshold=8,
    )
    async with (
        topic_events(bootstrap_servers, topics.SIAK_STATUS, StatusChanged, watched) as events,
        running_monitor(settings) as monitor,
    ):

        async def told(*expected: SiakStatus) -> None:
            await events.until(lambda e: statuses(e, "12.07") == list(expected), what=str(expected))

        await told(UP)
        needed = [(await monitor.region("12.07"))["success_run_needed"]]
        sequence = [UP]
        for _ in range(3):
            await simulator.set("12.07", "down")
            sequence.append(DOWN)
            await told(*sequence)
            needed.append((await monitor.region("12.07"))["success_run_needed"])
            await simulator.set("12.07", "up")
            sequence.append(UP)
            await told(*sequence)
    # The first outage follows a start, not a recovery: flaps are the outages after that.
    assert needed == [1, 1, 2, 4]


async def test_heartbeat_carries_every_watched_region_with_its_seq(
    bootstrap_servers: str, simulator: Simulator
) -> None:
    settings = monitor_settings(bootstrap_servers, simulator, "12.08,12.09")
    async with (
        topic_events(
            bootstrap_servers, topics.MONITOR_HEARTBEAT, MonitorHeartbeat, [settings.monitor_id]
        ) as heartbeats,
        running_monitor(settings),
    ):

        def all_up(beats: list[MonitorHeartbeat]) -> bool:
            return any(
                {(r.region_code, r.status, r.seq) for r in beat.regions}
                == {("12.08", UP, 1), ("12.09", UP, 1)}
                for beat in beats
            )

        beats = await heartbeats.until(all_up, what="a heartbeat with both regions UP")
    assert beats[0].period_seconds == settings.heartbeat_period_s


async def test_readiness_and_metrics_report_the_backlog(
    bootstrap_servers: str, simulator: Simulator
) -> None:
    settings = monitor_settings(bootstrap_servers, simulator, "12.10")
    async with running_monitor(settings) as monitor:
        await eventually(lambda: monitor.region_shows("12.10", "UP"), what="12.10 UP")
        ready = (await monitor.http.get(f"{monitor.url}/readyz")).json()
        metrics = (await monitor.http.get(f"{monitor.url}/metrics")).text
    assert (ready["status"], ready["pending_events"], ready["failing"]) == ("ready", 0, [])
    assert ready["probes"] == {"running": 1, "restarts": 0, "failing": []}
    assert set(ready["tasks"]) == {"tick", "publisher", "heartbeat", "restore"}
    assert "siak_monitor_pending_events 0.0" in metrics
    assert 'siak_monitor_events_published_total{topic="siak.status.v1"}' in metrics
    assert "siak_monitor_probe_duration_seconds_bucket" in metrics
