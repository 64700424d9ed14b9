"""A three-node cluster (rf 3, min.insync 2) losing a partition's leader mid-flow loses nothing."""

# The status path (monitor -> siak.status.v1 -> gate) runs in `make test`; the gate-event path
# (outbox relay -> queue-gate.events.v1) is marked `kafka_cluster`: `make test-kafka-cluster`
# runs both on one cluster, whose start is the larger part of the time.

from __future__ import annotations

import asyncio
import functools
import json
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.partitioner import murmur2

from deploy.local import processes
from deploy.local.component import Paths
from deploy.local.kafka_broker import KafkaBroker, NodePorts
from deploy.local.python_service import REPO_ROOT
from services.queue_gate.bootstrap import create_app as create_gate
from services.siak_sim.app import create_app as create_simulator
from shared import topics
from shared.events import SiakStatus
from shared.kafka_admin import ensure_topics
from shared.settings import KafkaSettings
from tests.conftest import Infrastructure, free_port
from tests.integration.queue_gate.conftest import (
    API_KEY,
    StatusFeed,
    acceptance_order,
    gate_settings,
    nik,
    submission_body,
)
from tests.integration.siak_monitor.conftest import Simulator, monitor_settings, running_monitor
from tests.support.kafka import TopicReader
from tests.support.polling import eventually
from tests.support.servers import serving

pytestmark = pytest.mark.integration


# Failover follows broker.session.timeout.ms (9 s by default, ~11 s measured); lowered here so
# a leader's death is noticed in ~4 s. Production clusters keep their defaults.
FAST_FAILOVER = {"broker.session.timeout.ms": "3000", "broker.heartbeat.interval.ms": "500"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    brokers = KafkaBroker(
        Paths(tmp_path_factory.mktemp("cluster")),
        port=free_port(),
        controller_port=free_port(),
        cache_dir=REPO_ROOT / ".cache",
        more_nodes=[NodePorts(free_port(), free_port()) for _ in range(2)],
        overrides=FAST_FAILOVER,
    )
    try:
        brokers.ensure_running()
        asyncio.run(ensure_topics(replicated(brokers), topics.GATE_TOPICS))
        yield brokers
    finally:
        # Thrown away with its directory: killed, not waited on for a controlled shutdown of
        # each node (6 s; `make down` and the other tests stop brokers the graceful way).
        for node in brokers.nodes:
            pid = processes.read_pid(node.pid_file)
            if pid is not None:
                processes.stop(pid, marker=node.marker, stop_signal=signal.SIGKILL)


def replicated(cluster: KafkaBroker) -> KafkaSettings:
    return KafkaSettings.model_validate(
        {"KAFKA_BOOTSTRAP_SERVERS": cluster.bootstrap_servers, "KAFKA_TOPIC_REPLICATION_FACTOR": 3}
    )


@dataclass(frozen=True)
class Placement:
    partition: int
    leader: int
    replicas: int
    min_insync: int


async def placement(cluster: KafkaBroker, topic: str, key: str) -> Placement | None:
    """Where `key`'s records go (aiokafka's default partitioner, which both services use) and
    who leads it; None until all three replicas are in sync."""
    admin = AIOKafkaAdminClient(bootstrap_servers=cluster.bootstrap_servers)
    try:
        await admin.start()
        [described] = await admin.describe_topics([topic])
        configs = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    except Exception:
        return None  # the admin client may pick a node that is still starting
    finally:
        await admin.close()
    partitions = sorted(described["partitions"], key=lambda p: p["partition"])
    partition = (murmur2(key.encode()) & 0x7FFFFFFF) % len(partitions)
    chosen = partitions[partition]
    min_insync = {name: value for name, value, *_ in configs[0].resources[0][4]}
    if len(chosen["isr"]) < 3:
        return None
    return Placement(
        partition,
        chosen["leader"],
        len(chosen["replicas"]),
        int(min_insync["min.insync.replicas"]),
    )


async def leader_pid(cluster: KafkaBroker, topic: str, key: str) -> int:
    """The process leading `key`'s partition, once all three replicas are in sync."""
    await asyncio.to_thread(cluster.ensure_running)  # a node an earlier test killed rejoins
    where = await eventually(
        lambda: placement(cluster, topic, key), within=60, what="partition fully replicated"
    )
    assert (where.replicas, where.min_insync) == (3, 2)
    pid = cluster.node_pid(where.leader)
    assert pid is not None
    return pid


async def kill_leader(cluster: KafkaBroker, topic: str, key: str) -> None:
    os.kill(await leader_pid(cluster, topic, key), signal.SIGKILL)


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    async with serving(create_simulator()) as url, httpx.AsyncClient(timeout=5) as http:
        yield Simulator(url, http)


async def stored_seq(database_url: str, region: str) -> int | None:
    connection = await asyncpg.connect(database_url)
    try:
        seq: int | None = await connection.fetchval(
            "SELECT seq FROM region_status WHERE region_code = $1", region
        )
    finally:
        await connection.close()
    return seq


async def test_status_changes_survive_the_status_leaders_death_in_order(
    cluster: KafkaBroker, infrastructure: Infrastructure, database_url: str, simulator: Simulator
) -> None:
    region = "17.01"
    kafka = replicated(cluster)
    monitor = monitor_settings(cluster.bootstrap_servers, simulator, region, kafka=kafka)
    gate = gate_settings(infrastructure, database_url, simulator.url, kafka=kafka)
    flips = ["down", "up", "down", "up", "down"]
    killed_at = 2
    async with (
        TopicReader(cluster.bootstrap_servers, topics.SIAK_STATUS) as reader,
        running_monitor(monitor),
        serving(create_gate(gate)),
    ):

        async def published(status: str, *, after: int) -> list[tuple[str, int]] | None:
            """The region's records (status, seq) once the newest (by seq) says `status` with
            a seq above `after`."""
            seen = [
                (data["status"], data["seq"])
                for r in await reader.poll()
                if r.key == region.encode()
                for data in [json.loads(r.value)["data"]]
            ]
            newest = max(seen, key=lambda record: record[1], default=("", 0))
            return seen if newest[0] == status and newest[1] > after else None

        seen = await eventually(
            lambda: published("UP", after=0), within=30, what="first status published"
        )
        for n, state in enumerate(flips):
            if n == killed_at:
                # Mid-flow: the change goes to a leader just killed, before the cluster has
                # noticed; it waits for the election.
                await kill_leader(cluster, topics.SIAK_STATUS, region)
            await simulator.set(region, state)
            seen = await eventually(
                functools.partial(published, state.upper(), after=max(q for _, q in seen)),
                within=60,
                what=f"change {n + 1} ({state}) published",
            )
        last_seq = max(seq for _, seq in seen)

        async def gate_applied_the_last() -> bool:
            return await stored_seq(database_url, region) == last_seq

        await eventually(gate_applied_the_last, within=30, what="the gate applied the last")
    # On the topic, in offset order: every change once, its seq one above the last.
    expected = ["UP", *[state.upper() for state in flips]]
    assert seen == [(status, seq) for seq, status in enumerate(expected, start=1)]


@pytest.mark.kafka_cluster
async def test_gate_events_survive_the_event_leaders_death_in_order(
    cluster: KafkaBroker, infrastructure: Infrastructure, database_url: str, simulator: Simulator
) -> None:
    region = "17.02"
    kafka = replicated(cluster)
    gate = gate_settings(infrastructure, database_url, simulator.url, kafka=kafka)
    feed = StatusFeed(cluster.bootstrap_servers)
    count, killed_after = 24, 8
    async with (
        TopicReader(cluster.bootstrap_servers, topics.GATE_EVENTS) as reader,
        serving(create_gate(gate)) as url,
        httpx.AsyncClient(timeout=10) as http,
    ):
        await feed.set(region, SiakStatus.DOWN, reason="http_503")

        async def closed() -> bool:
            view = (await http.get(f"{url}/v1/regions/{region}")).json()
            return bool(view["siak_status"] == "DOWN")

        await eventually(closed, what="gate closed")
        for serial in range(count):
            if serial == killed_after:
                await kill_leader(cluster, topics.GATE_EVENTS, region)
            answer = await http.post(
                f"{url}/v1/submissions",
                json=submission_body(region, nik(serial + 1, province="17")),
                headers={
                    "Authorization": f"Bearer {API_KEY}",
                    "Idempotency-Key": f"{region}-{serial}-{time.time_ns()}",
                },
            )
            assert answer.status_code == 202, answer.text

        async def deferred() -> list[str] | None:
            tickets = [
                data["ticket_id"]
                for r in await reader.poll()
                if r.key == region.encode()
                for data in [json.loads(r.value)["data"]]
                if data.get("state") == "deferred"
            ]
            return tickets if len(set(tickets)) >= count else None

        published = await eventually(deferred, within=90, what="every deferral published")
    # A batch re-sent after the failover may repeat; what counts is that none is missing and
    # each ticket first appears in the order the gate accepted them.
    first_seen = list(dict.fromkeys(published))
    assert first_seen == await acceptance_order(database_url, region)
