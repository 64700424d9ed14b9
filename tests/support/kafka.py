"""Producing raw records to, and reading records from, the real broker in tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.events import KafkaRecord
from shared.kafka_admin import cleanup_policies
from shared.topics import TopicSpec
from tests.support.polling import eventually


@dataclass(frozen=True)
class ReadRecord:
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]


async def produce(
    bootstrap_servers: str, topic: str, record: KafkaRecord, *, partition: int | None = None
) -> int:
    """Send one record and wait for the broker; the partition it landed in."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        metadata = await producer.send_and_wait(
            topic, record.value, key=record.key, headers=record.headers, partition=partition
        )
    finally:
        await producer.stop()
    landed: int = metadata.partition
    return landed


async def produce_all(bootstrap_servers: str, topic: str, records: list[KafkaRecord]) -> None:
    """Send `records` in order, through one producer, and wait for the broker."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        for record in records:
            await producer.send(topic, record.value, key=record.key, headers=record.headers)
        await producer.flush()
    finally:
        await producer.stop()


async def start_group_at_end(bootstrap_servers: str, group_id: str, topic: str) -> None:
    """Commit `group_id`'s offsets at the current end of every partition of `topic` (which
    must exist): a consumer of that group started later reads only what is published from now
    on, not the history every earlier test left on the session's broker."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [TopicPartition(topic, found["partition"]) for found in described["partitions"]]
    if not partitions:
        raise RuntimeError(f"topic {topic} has no partitions: create it first")
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, group_id=group_id, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.commit(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


class TopicReader:
    """Reads a topic from its beginning, accumulating what it has seen."""

    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self.consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap_servers,
            group_id=f"test-reader-{uuid.uuid4()}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            # As subscribers must: the monitor publishes in transactions.
            isolation_level="read_committed",
        )
        self.records: list[ReadRecord] = []

    async def __aenter__(self) -> TopicReader:
        await self.consumer.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.consumer.stop()

    async def poll(self) -> list[ReadRecord]:
        batches = await self.consumer.getmany(timeout_ms=200)
        for records in batches.values():
            self.records.extend(
                ReadRecord(r.key, r.value, {k: v for k, v in r.headers}) for r in records
            )
        return self.records


async def reconfigure(
    bootstrap_servers: str, spec: TopicSpec, overrides: dict[str, str] | None = None
) -> None:
    """Gives `spec`'s existing topic (of one replica) its configuration, with `overrides`, and
    waits until the broker describes the new cleanup policy (it applies a change a moment
    after acknowledging it)."""
    # AlterConfigs replaces the topic's whole configuration: give all of it.
    config = spec.creation_config(1) | (overrides or {})
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, spec.name, configs=config)]
        )

        async def applied() -> bool:
            found = await cleanup_policies(admin, [spec.name])
            return found.get(spec.name) == config["cleanup.policy"]

        await eventually(applied, within=10, what=f"{spec.name} reconfigured")
    finally:
        await admin.close()
