"""Subscribes to `siak.status.v1`; an offset is committed only once its change is stored."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.queue_gate.ports import RegionStatusStore
from shared import topics
from shared.events import InvalidEventError, MonitorHeartbeat, StatusChanged, decode_event

log = logging.getLogger(__name__)


ApplyStatusChange = Callable[[StatusChanged], Awaitable[bool]]


def subscribe_to_status(
    broker: KafkaBroker, *, group_id: str, apply_change: ApplyStatusChange
) -> None:
    # NACK_ON_ERROR: a failure (database down) seeks back to the record, so nothing is skipped.
    @broker.subscriber(
        topics.SIAK_STATUS,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_status_changed(message: KafkaMessage) -> None:
        try:
            event = decode_event(message.body, StatusChanged)
            if event.subject != event.data.region_code:
                raise InvalidEventError("subject: does not match data.region_code")
        except InvalidEventError as error:
            await dead_letter(broker, message, reason=error.reason)
            return
        await apply_change(event.data)


def subscribe_to_heartbeats(
    broker: KafkaBroker, *, group_id: str, store: RegionStatusStore
) -> None:
    """The monitor's heartbeats keep regions' statuses fresh; their silence makes them stale."""

    @broker.subscriber(
        topics.MONITOR_HEARTBEAT,
        group_id=group_id,
        auto_offset_reset="latest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_heartbeat(message: KafkaMessage) -> None:
        try:
            heartbeat = decode_event(message.body, MonitorHeartbeat).data
        except InvalidEventError as error:
            await dead_letter(broker, message, reason=error.reason)
            return
        await store.record_heartbeat(heartbeat.monitor_id, heartbeat.emitted_at)


async def dead_letter(broker: KafkaBroker, message: KafkaMessage, *, reason: str) -> None:
    """Park an unreadable record on `<topic>.dlt` with the reason, so the consumer goes on."""
    record = message.raw_message
    assert not isinstance(record, tuple), "batch subscribers are not dead-lettered here"
    topic = record.topic
    log.warning("dead-lettering a record of %s: %s", topic, reason)
    await broker.publish(
        message.body,
        topic=topics.dead_letter_topic(topic),
        key=record.key,
        headers={
            topics.DEAD_LETTER_REASON_HEADER: reason,
            "x-original-partition": str(record.partition),
            "x-original-offset": str(record.offset),
        },
    )
