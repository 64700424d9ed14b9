"""Publishing status events to Kafka, and reading back the last one of each region."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.siak_monitor.domain.status_board import PublishedStatus
from shared import topics
from shared.events import (
    InvalidEventError,
    MonitorHeartbeat,
    StatusChanged,
    decode_event,
    encode_event,
    new_event,
)

log = logging.getLogger(__name__)
EVENT_SOURCE = "/siak-gate/siak-monitor"


class KafkaStatusPublisher:
    """Idempotent producer with `acks=all`: a publish returns once the broker has the event."""

    def __init__(self, bootstrap_servers: str) -> None:
        self.bootstrap_servers = bootstrap_servers
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = await start_producer(self.bootstrap_servers)

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def publish_status(self, change: StatusChanged) -> None:
        await self._send(
            topics.SIAK_STATUS, new_event(change, source=EVENT_SOURCE, subject=change.region_code)
        )

    async def publish_heartbeat(self, heartbeat: MonitorHeartbeat) -> None:
        await self._send(
            topics.MONITOR_HEARTBEAT,
            new_event(heartbeat, source=EVENT_SOURCE, subject=heartbeat.monitor_id),
        )

    async def _send(self, topic: str, event: object) -> None:
        assert self._producer is not None, "start() the publisher first"
        record = encode_event(event)  # type: ignore[arg-type]
        try:
            await self._producer.send_and_wait(
                topic, record.value, key=record.key, headers=record.headers
            )
        except Exception:
            # An idempotent producer can stay wedged after a broker outage; start afresh.
            await self._restart()
            raise

    async def _restart(self) -> None:
        old, self._producer = self._producer, None
        if old is not None:
            await old.stop()
        self._producer = await start_producer(self.bootstrap_servers)


async def start_producer(bootstrap_servers: str, attempts: int = 30) -> AIOKafkaProducer:
    for attempt in range(1, attempts + 1):
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            enable_idempotence=True,
            acks="all",
            request_timeout_ms=10_000,
        )
        try:
            await producer.start()
            return producer
        except Exception as error:
            await producer.stop()
            if attempt == attempts:
                raise
            log.warning("Kafka not reachable yet (%s); retrying", error)
            await asyncio.sleep(min(5.0, 0.2 * attempt))
    raise AssertionError("unreachable")


class KafkaPublishedStatusLog:
    """Reads the compacted status topic from the start to learn each region's last `seq`."""

    def __init__(self, bootstrap_servers: str) -> None:
        self.bootstrap_servers = bootstrap_servers

    async def latest_by_region(self) -> dict[str, PublishedStatus]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers, enable_auto_commit=False
        )
        await consumer.start()
        try:
            await consumer.topics()  # loads the metadata that partitions_for_topic reads
            partitions = [
                TopicPartition(topics.SIAK_STATUS, p)
                for p in consumer.partitions_for_topic(topics.SIAK_STATUS) or set()
            ]
            if not partitions:
                return {}
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            end = await consumer.end_offsets(partitions)
            latest: dict[str, PublishedStatus] = {}
            while await _behind(consumer, end):
                batches = await consumer.getmany(timeout_ms=1000)
                for records in batches.values():
                    for record in records:
                        _remember(latest, record.value)
            return latest
        finally:
            await consumer.stop()


async def _behind(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> bool:
    for partition, end_offset in end.items():
        if await consumer.position(partition) < end_offset:
            return True
    return False


def _remember(latest: dict[str, PublishedStatus], value: bytes | None) -> None:
    if value is None:
        return
    try:
        change = decode_event(value, StatusChanged).data
    except InvalidEventError as error:
        log.warning("skipping an unreadable record on %s: %s", topics.SIAK_STATUS, error.reason)
        return
    known = latest.get(change.region_code)
    if known is None or change.seq > known.seq:
        latest[change.region_code] = PublishedStatus(change.status, change.seq)
