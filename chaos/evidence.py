"""Gathering what the checker reads: SIAK's log, the topics, the logs, answers and readiness."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from chaos.load import require_loopback
from chaos.records import Heartbeat, Received, StatusPoint, Text
from chaos.timeline import in_sequence
from shared import topics

READ_TOPICS = (
    topics.SIAK_STATUS,
    topics.MONITOR_HEARTBEAT,
    topics.SIAK_MAINTENANCE,
    topics.SIAK_CENTRAL_STATUS,
    topics.GATE_EVENTS,
    topics.dead_letter_topic(topics.SIAK_STATUS),
    topics.dead_letter_topic(topics.MONITOR_HEARTBEAT),
)


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    at: float
    value: bytes


async def siak_received(http: httpx.AsyncClient, sim_url: str) -> list[Received]:
    answer = await http.get(f"{require_loopback(sim_url)}/_control/received")
    answer.raise_for_status()
    return [
        Received(i["key"], i["region"], datetime.fromisoformat(i["received_at"]).timestamp())
        for i in answer.json()["items"]
    ]


async def read_topics(bootstrap_servers: str, names: Sequence[str] = READ_TOPICS) -> list[Record]:
    """Every record now in `names`, from the beginning (missing topics are skipped)."""
    # What subscribers see: the monitor publishes in transactions (decision 15).
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        existing = await consumer.topics()
        # The consumer knows partitions only of topics it reads; the contract spells them out.
        counts = {spec.name: spec.partitions for spec in topics.TOPICS}
        partitions = [
            TopicPartition(name, p)
            for name in names
            if name in existing
            for p in range(counts.get(name, 1))
        ]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        records: list[Record] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batches = await consumer.getmany(timeout_ms=1000)
            records += [
                Record(r.topic, r.partition, r.offset, r.timestamp / 1000, r.value or b"")
                for batch in batches.values()
                for r in batch
            ]
        return records
    finally:
        await consumer.stop()


def status_timeline(records: Iterable[Record]) -> tuple[list[StatusPoint], list[Heartbeat]]:
    """The statuses and heartbeats told on the topics, at the times they were written."""
    points: list[StatusPoint] = []
    heartbeats: list[Heartbeat] = []
    for record in records:
        data = _data(record.value)
        if data is None:
            continue
        if record.topic == topics.SIAK_STATUS and "region_code" in data and "status" in data:
            seq = data.get("seq")
            points.append(
                StatusPoint(
                    str(data["region_code"]),
                    record.at,
                    str(data["status"]),
                    seq if isinstance(seq, int) else 0,
                )
            )
        elif record.topic == topics.MONITOR_HEARTBEAT and isinstance(data.get("regions"), list):
            regions = frozenset(
                str(r["region_code"])
                for r in data["regions"]
                if isinstance(r, dict) and "region_code" in r
            )
            heartbeats.append(Heartbeat(record.at, regions))
    return in_sequence(points), heartbeats


def _data(value: bytes) -> dict[str, Any] | None:
    try:
        event = json.loads(value)
    except ValueError:
        return None
    data = event.get("data") if isinstance(event, dict) else None
    return data if isinstance(data, dict) else None


def event_texts(records: Iterable[Record], since: float) -> list[Text]:
    return [
        Text(f"{r.topic}@{r.partition}:{r.offset}", r.value.decode(errors="replace"))
        for r in records
        if r.at >= since
    ]


def log_offsets(log_dir: Path) -> dict[Path, int]:
    """Where each log ends now: a scenario reads only what was written after."""
    return {path: path.stat().st_size for path in log_dir.glob("*.log")}


def log_texts(log_dir: Path, since: dict[Path, int]) -> list[Text]:
    texts: list[Text] = []
    for path in sorted(log_dir.glob("*.log")):
        with path.open("rb") as log:
            log.seek(since.get(path, 0))
            for n, line in enumerate(log.read().decode(errors="replace").splitlines(), 1):
                texts.append(Text(f"{path.name}+{n}", line))
    return texts


async def public_answers(
    http: httpx.AsyncClient, gate_url: str, tickets: Iterable[str]
) -> list[Text]:
    """What anyone can read without credentials: the status page, regions, each ticket."""
    base = require_loopback(gate_url)
    paths = ["/", "/?lang=en", "/v1/regions", *(f"/v1/submissions/{t}" for t in tickets)]
    return [Text(f"GET {path}", (await http.get(base + path)).text) for path in paths]


async def parked(http: httpx.AsyncClient, gate_url: str, tickets: Iterable[str]) -> set[str]:
    """The tickets the gate shows as parked: SIAK refused them, an operator decides."""
    base = require_loopback(gate_url)
    found: set[str] = set()
    for ticket in tickets:
        answer = await http.get(f"{base}/v1/submissions/{ticket}")
        if answer.status_code == 200 and answer.json().get("state") == "parked":
            found.add(ticket)
    return found


async def readiness(http: httpx.AsyncClient, urls: dict[str, str]) -> dict[str, Any]:
    """Each service's `/readyz` body, whatever its status code."""
    bodies: dict[str, Any] = {}
    for service, url in urls.items():
        try:
            bodies[service] = (await http.get(f"{require_loopback(url)}/readyz")).json()
        except (httpx.HTTPError, ValueError) as error:
            bodies[service] = {"unreadable": type(error).__name__}
    return bodies


async def outbox_rows(database_url: str) -> int:
    connection = await asyncpg.connect(database_url, timeout=10)
    try:
        return int(await connection.fetchval("SELECT count(*) FROM outbox"))
    finally:
        await connection.close()


async def metric_total(
    http: httpx.AsyncClient, service_url: str, name: str, **labels: str
) -> float:
    """The sum of a service's `name` samples whose labels include `labels` (0 if none)."""
    answer = await http.get(f"{require_loopback(service_url)}/metrics")
    answer.raise_for_status()
    return sum(
        sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )
