"""Reading back what earlier runs of the monitor published, from the compacted topics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.siak_monitor.domain.status_board import PublishedStatus
from services.siak_monitor.ports import PublishedState
from shared import topics
from shared.events import (
    CentralStatusChanged,
    InvalidEventError,
    MaintenancePlanned,
    StatusChanged,
    decode_event,
)
from shared.kafka_admin import ensure_topics
from shared.kafka_client import client_options
from shared.settings import KafkaSettings

log = logging.getLogger(__name__)
READ_BACK = (topics.SIAK_STATUS, topics.SIAK_CENTRAL_STATUS, topics.SIAK_MAINTENANCE_PLANS)


class KafkaPublishedLog:
    """Creates the monitor's topics when missing, then reads the compacted ones to their end."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self.kafka = kafka

    async def read(self) -> PublishedState:
        await ensure_topics(self.kafka, topics.MONITOR_TOPICS, attempts=1)
        state = PublishedState()
        async for topic, value in self._records():
            _remember(state, topic, value)
        return state

    async def _records(self) -> AsyncIterator[tuple[str, bytes]]:
        partitions = await self._partitions()
        if not partitions:
            return
        # Committed records only: a fenced replica's aborted ones never happened.
        consumer = AIOKafkaConsumer(
            **client_options(self.kafka),
            enable_auto_commit=False,
            isolation_level="read_committed",
        )
        await consumer.start()
        try:
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            end = await consumer.end_offsets(partitions)
            while await _behind(consumer, end):
                batches = await consumer.getmany(timeout_ms=1000)
                for partition, records in batches.items():
                    for record in records:
                        if record.value is not None:
                            yield partition.topic, record.value
        finally:
            await consumer.stop()

    async def _partitions(self) -> list[TopicPartition]:
        # The consumer's own `topics()` fetches metadata without keeping it, so
        # `partitions_for_topic` would still know nothing: ask the admin client instead.
        admin = AIOKafkaAdminClient(**client_options(self.kafka))
        await admin.start()
        try:
            described = await admin.describe_topics(list(READ_BACK))
        finally:
            await admin.close()
        return [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in described
            if topic["error_code"] == 0
            for partition in topic["partitions"]
        ]


async def _behind(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> bool:
    for partition, end_offset in end.items():
        if await consumer.position(partition) < end_offset:
            return True
    return False


def _remember(state: PublishedState, topic: str, value: bytes) -> None:
    try:
        if topic == topics.SIAK_STATUS:
            change = decode_event(value, StatusChanged).data
            _keep_latest(state.statuses, change.region_code, PublishedStatus.of(change))
        elif topic == topics.SIAK_CENTRAL_STATUS:
            central = decode_event(value, CentralStatusChanged).data
            _keep_latest(state.central, central.target, PublishedStatus.of(central))
        else:
            plan = decode_event(value, MaintenancePlanned).data
            known = state.plans.get(plan.maintenance_id)
            if known is None or plan.revision >= known.revision:
                state.plans[plan.maintenance_id] = plan
    except InvalidEventError as error:
        log.warning("skipping an unreadable record on %s: %s", topic, error.reason)


def _keep_latest(latest: dict[str, PublishedStatus], key: str, status: PublishedStatus) -> None:
    known = latest.get(key)
    if known is None or status.order > known.order:
        latest[key] = status
