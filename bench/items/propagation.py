"""Item 2, status propagation: from a status change produced as the monitor produces it to the
gate's commit of it (its NOTIFY on `queue_gate_wake`), against a bare Kafka ping-pong."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench import database
from bench.context import BenchContext
from bench.results import ItemResult, Measure, Table, Target
from bench.stats import percentile
from bench.status_events import started_producer, status_record
from services.queue_gate.adapters.postgres.wakeups import WAKE_CHANNEL
from shared.events import SiakStatus
from shared.kafka_admin import ensure_topics
from shared.settings import KafkaSettings
from shared.topics import TopicSpec

PING_TOPIC = "bench.pingpong.v1"
ANSWER_TIMEOUT_S = 10.0
PAUSE_S = 0.005
MAX_MISSES = 5
BASELINE = "aiokafka produce → consume"


class PropagationError(RuntimeError):
    """Too many changes were never seen arriving."""


async def measure_propagation(ctx: BenchContext) -> ItemResult:
    item = ItemResult("propagation", "2. Status propagation")
    runs = ctx.config.runs
    per_run = math.ceil(ctx.config.status_changes / runs)
    gate_runs, kafka_runs = [], []
    for _ in range(runs):
        gate_runs.append(await gate_round_trips(ctx, per_run))
        kafka_runs.append(await _kafka_round_trips(ctx, per_run))
    gate = [latency for run in gate_runs for latency in run]
    kafka = [latency for run in kafka_runs for latency in run]
    item.measures += [
        Measure(
            "publish → committed p50",
            "ms",
            percentile(gate, 0.5),
            percentile(kafka, 0.5),
            BASELINE,
            "lower",
        ),
        Measure(
            "publish → committed p99",
            "ms",
            percentile(gate, 0.99),
            percentile(kafka, 0.99),
            BASELINE,
            "lower",
            Target("ratio ≤ 2", "ratio", at_most=2.0),
        ),
    ]
    item.tables.append(_table(gate_runs, kafka_runs))
    item.notes.append(
        f"{len(gate)} changes in {runs} runs, alternating UP/DOWN on region "
        f"{ctx.regions.propagation}, one at a time; percentiles over all of them. The clock "
        "starts before the produce call and stops when the gate's NOTIFY, sent inside the "
        "transaction that stores the change, reaches a LISTENing connection; the last seq is "
        f"then checked in region_status. The baseline sends the same record to a topic of one "
        f"partition and times it until a consumer holds it. {PAUSE_S * 1000:g} ms between changes."
    )
    item.details["per_run_ms"] = {
        "gate": [_summary(run) for run in gate_runs],
        "kafka": [_summary(run) for run in kafka_runs],
    }
    return item


def _summary(run: list[float]) -> dict[str, float]:
    return {"n": len(run), "p50": percentile(run, 0.5), "p99": percentile(run, 0.99)}


def _table(gate_runs: list[list[float]], kafka_runs: list[list[float]]) -> Table:
    return Table(
        "Per run, ms",
        [
            "run",
            "changes",
            "gate p50",
            "gate p99",
            "gate max",
            "Kafka p50",
            "Kafka p99",
            "Kafka max",
        ],
        [
            [
                str(index + 1),
                str(len(gate)),
                *(f"{percentile(gate, q):.2f}" for q in (0.5, 0.99, 1.0)),
                *(f"{percentile(kafka, q):.2f}" for q in (0.5, 0.99, 1.0)),
            ]
            for index, (gate, kafka) in enumerate(zip(gate_runs, kafka_runs, strict=True))
        ],
    )


async def gate_round_trips(ctx: BenchContext, count: int) -> list[float]:
    region = ctx.regions.propagation
    arrivals: asyncio.Queue[float] = asyncio.Queue()

    def on_wake(_c: object, _pid: int, _channel: str, payload: object) -> None:
        # The payload is the region code, possibly followed by `:<cause>`.
        if str(payload).partition(":")[0] == region:
            arrivals.put_nowait(time.perf_counter())

    listener = await database.connect(ctx.access.database_url)
    await listener.add_listener(WAKE_CHANNEL, on_wake)
    try:
        latencies, last_seq = await _round_trips(
            count, arrivals, lambda status: ctx.statuses.publish(region, status)
        )
    finally:
        await listener.close()
    stored = await database.status_seq(ctx.db, region)
    if stored != last_seq:
        raise PropagationError(f"region_status holds seq {stored}, the last sent was {last_seq}")
    return latencies


async def _round_trips(
    count: int, arrivals: asyncio.Queue[float], send: Callable[[SiakStatus], Awaitable[int]]
) -> tuple[list[float], int]:
    latencies: list[float] = []
    misses = 0
    last = 0
    for index in range(count):
        while not arrivals.empty():
            arrivals.get_nowait()
        status = SiakStatus.UP if index % 2 == 0 else SiakStatus.DOWN
        sent = time.perf_counter()
        last = await send(status)
        try:
            arrived = await asyncio.wait_for(arrivals.get(), ANSWER_TIMEOUT_S)
        except TimeoutError:
            misses += 1
            if misses > MAX_MISSES:
                raise PropagationError(f"{misses} changes never arrived") from None
            continue
        latencies.append((arrived - sent) * 1000)
        await asyncio.sleep(PAUSE_S)
    return latencies, last


async def _kafka_round_trips(ctx: BenchContext, count: int) -> list[float]:
    bootstrap = ctx.access.bootstrap_servers
    await ensure_topics(KafkaSettings.plaintext(bootstrap), [TopicSpec(PING_TOPIC, partitions=1)])
    partition = TopicPartition(PING_TOPIC, 0)
    producer = await started_producer(bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    arrivals: asyncio.Queue[float] = asyncio.Queue()
    try:
        await asyncio.wait_for(consumer.start(), timeout=30)
        consumer.assign([partition])
        await consumer.seek_to_end(partition)
        await consumer.position(partition)
        reader = asyncio.create_task(_read_into(consumer, arrivals))
        try:
            latencies, _ = await _round_trips(
                count, arrivals, lambda status: _ping(producer, ctx, status)
            )
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
    finally:
        await consumer.stop()
        await producer.stop()
    return latencies


async def _read_into(consumer: AIOKafkaConsumer, arrivals: asyncio.Queue[float]) -> None:
    while True:
        await consumer.getone()
        arrivals.put_nowait(time.perf_counter())


async def _ping(producer: Any, ctx: BenchContext, status: SiakStatus) -> int:
    record = status_record(ctx.regions.propagation, status, None, seq=1)
    await asyncio.wait_for(
        producer.send_and_wait(
            PING_TOPIC, record.value, key=record.key, headers=record.headers, partition=0
        ),
        timeout=30,
    )
    return 1
