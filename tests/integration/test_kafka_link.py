"""The gate's Kafka link against the real broker: a record is committed only once handled."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.queue_gate.adapters.kafka_link import KafkaLink, Record, Subscription
from shared.events import KafkaRecord
from shared.kafka_admin import ensure_topics
from shared.settings import KafkaSettings
from shared.topics import TopicSpec
from tests.conftest import Infrastructure
from tests.support.kafka import produce_all
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def _nothing_to_prepare() -> None:
    return None


async def test_a_record_whose_handler_fails_is_handled_again_before_the_next(
    infrastructure: Infrastructure,
) -> None:
    bootstrap = infrastructure.bootstrap_servers
    topic, group = f"test-link-{uuid.uuid4().hex[:8]}", f"test-link-{uuid.uuid4()}"
    await ensure_topics(KafkaSettings.plaintext(bootstrap), [TopicSpec(topic, partitions=1)])
    handled: list[bytes] = []

    async def fails_once(record: Record) -> None:
        handled.append(record.value)
        if handled == [b"first"]:
            raise RuntimeError("unforeseen")

    link = KafkaLink(
        KafkaSettings.plaintext(bootstrap), prepare=_nothing_to_prepare, retry_delay_s=0.05
    )
    link.subscribe(Subscription(topic, group_id=group, handle=fails_once))
    running = asyncio.create_task(link.run())
    offsets = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await offsets.start()
    try:
        await produce_all(
            bootstrap, topic, [KafkaRecord(b"k", value, []) for value in (b"first", b"second")]
        )

        async def both_committed() -> bool:
            return bool(await offsets.committed(TopicPartition(topic, 0)) == 2)

        await eventually(both_committed, what="both records committed")
    finally:
        await offsets.stop()
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert handled == [b"first", b"first", b"second"]
