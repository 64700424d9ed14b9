"""Two monitor processes on the real broker: when the active one hangs (SIGSTOP) or dies
(kill -9), the other publishes within two heartbeat periods, `seq` goes on, and nothing the
woken one sends afterwards reaches read_committed readers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.local.python_service import REPO_ROOT
from shared import topics
from shared.events import MonitorHeartbeat, SiakStatus, StatusChanged
from tests.conftest import free_port
from tests.integration.siak_monitor.conftest import ADMIN_TOKEN, Simulator, topic_events
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

CODE = "16.01"
HEARTBEAT_PERIOD_S = 8.0
"""The ownership session times out after 6 s, as the default 10 s does for a 10 s period."""
TAKE_OVER_WITHIN_S = 2 * HEARTBEAT_PERIOD_S
UP, DOWN = SiakStatus.UP, SiakStatus.DOWN


class MonitorProcess:
    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.siak_monitor"],
                cwd=REPO_ROOT,
                env={**env, "MONITOR_MONITOR_ID": name, "MONITOR_PORT": str(self.port)},
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    async def standing(self, http: httpx.AsyncClient) -> object:
        try:
            return (await http.get(f"{self.url}/readyz")).json().get("standing")
        except httpx.HTTPError:
            return None

    def signal(self, number: signal.Signals) -> None:
        os.kill(self.process.pid, number)

    def end(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def replicas(bootstrap_servers: str, simulator: Simulator, tmp_path: Path) -> Iterator[Any]:
    group = f"test-replicas-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
        "MONITOR_WATCH": CODE,
        "MONITOR_PROBE_URL_TEMPLATE": simulator.health_url(),
        "MONITOR_ADMIN_TOKEN": ADMIN_TOKEN,
        "MONITOR_OWNERSHIP_GROUP": group,
        "MONITOR_OWNERSHIP_SESSION_TIMEOUT_MS": "6000",
        "MONITOR_HEARTBEAT_PERIOD_S": str(HEARTBEAT_PERIOD_S),
        "MONITOR_PROBE_INTERVAL_S": "0.2",
        "MONITOR_PROBE_JITTER_S": "0.02",
        "MONITOR_PROBE_TIMEOUT_S": "1",
        "MONITOR_FAILURE_THRESHOLD": "2",
        "MONITOR_SUCCESS_THRESHOLD": "2",
        "MONITOR_PUBLISH_REQUEST_TIMEOUT_MS": "3000",
        "MONITOR_PUBLISH_RETRY_MAX_S": "0.5",
    }
    started: list[MonitorProcess] = []

    def start(name: str) -> MonitorProcess:
        replica = MonitorProcess(name, env, tmp_path / f"{name}.log")
        started.append(replica)
        return replica

    try:
        yield start
    finally:
        for replica in started:
            replica.end()


async def test_the_standby_takes_over_from_a_hung_then_a_killed_active_replica(
    bootstrap_servers: str, simulator: Simulator, replicas: Any
) -> None:
    first = replicas("replica-1")
    async with (
        httpx.AsyncClient(timeout=2) as http,
        topic_events(bootstrap_servers, topics.SIAK_STATUS, StatusChanged, [CODE]) as statuses,
        topic_events(
            bootstrap_servers, topics.MONITOR_HEARTBEAT, MonitorHeartbeat, ["replica-1"]
        ) as first_heartbeats,
    ):

        async def standing(replica: MonitorProcess, expected: str) -> bool:
            return await replica.standing(http) == expected

        await eventually(lambda: standing(first, "active"), within=60, what="replica-1 active")
        await statuses.until(lambda e: seqs(e) == [(UP, 1)], what="UP from replica-1")
        second = replicas("replica-2")
        await eventually(lambda: standing(second, "standby"), within=60, what="replica-2 standby")

        first.signal(signal.SIGSTOP)
        hung_at = datetime.now(UTC)
        await simulator.set(CODE, "down")
        await statuses.until(
            lambda e: seqs(e) == [(UP, 1), (DOWN, 2)],
            within=TAKE_OVER_WITHIN_S,
            what="DOWN from replica-2 within two heartbeat periods",
        )
        # replica-1 wakes up still sure it owns the region, and sees it DOWN too.
        first.signal(signal.SIGCONT)
        await eventually(lambda: standing(first, "standby"), within=30, what="replica-1 steps down")
        await simulator.set(CODE, "up")
        await statuses.until(lambda e: len(seqs(e)) == 3, what="UP from replica-2")

        killed_at = datetime.now(UTC)
        second.signal(signal.SIGKILL)
        await simulator.set(CODE, "down")
        await statuses.until(
            lambda e: len(seqs(e)) == 4,
            within=TAKE_OVER_WITHIN_S,
            what="DOWN from replica-1 within two heartbeat periods",
        )
        await eventually(lambda: standing(first, "active"), what="replica-1 active")
        heard = await first_heartbeats.until(
            lambda hs: any(h.emitted_at > killed_at and h.regions for h in hs),
            what="replica-1's heartbeats listing the region again",
        )
        published = await statuses.read()

    # Strictly increasing, and replica-1's DOWN after it woke (a second seq 2) fenced.
    assert seqs(published) == [(UP, 1), (DOWN, 2), (UP, 3), (DOWN, 4)]
    # Nor is any heartbeat it sent between waking and taking over again.
    assert [h for h in heard if hung_at < h.emitted_at < killed_at] == []


def seqs(events: list[StatusChanged]) -> list[tuple[SiakStatus, int]]:
    return [(event.status, event.seq) for event in events if event.region_code == CODE]
