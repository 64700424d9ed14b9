"""Publishing the monitor's events to Kafka: idempotent producer, `acks=all`, in order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from services.siak_monitor.ports import Delivery, OutgoingEvent
from shared import topics
from shared.events import (
    CentralStatusChanged,
    KafkaRecord,
    MaintenanceNotice,
    MaintenancePlanned,
    MonitorHeartbeat,
    StatusChanged,
    encode_event,
    new_event,
)
from shared.kafka_client import client_options
from shared.settings import KafkaSettings

log = logging.getLogger(__name__)
EVENT_SOURCE = "/siak-gate/siak-monitor"


def route(event: OutgoingEvent) -> tuple[str, str]:
    """The topic an event goes to and its key."""
    match event:
        case StatusChanged():
            return topics.SIAK_STATUS, event.region_code
        case CentralStatusChanged():
            return topics.SIAK_CENTRAL_STATUS, event.target
        case MaintenanceNotice():
            return topics.SIAK_MAINTENANCE, event.region_code
        case MaintenancePlanned():
            return topics.SIAK_MAINTENANCE_PLANS, event.maintenance_id
        case MonitorHeartbeat():
            return topics.MONITOR_HEARTBEAT, event.monitor_id


def monitor_record(event: OutgoingEvent) -> tuple[str, KafkaRecord]:
    """The topic `event` goes to and the record the monitor publishes there."""
    topic, key = route(event)
    return topic, encode_event(new_event(event, source=EVENT_SOURCE, subject=key))


class KafkaEventPublisher:
    """Returns, per event, what became of it; a failure never raises.

    Records handed to a producer whose broker is gone stay inside it and arrive, stale, once
    the broker is back; so events are only handed over right after the broker has answered.
    An idempotent producer can also stay wedged after an outage (aiokafka #1017): after any
    failure the producer is set aside, to finish in the background, and a fresh one is used.
    """

    def __init__(self, kafka: KafkaSettings, *, request_timeout_ms: int = 10_000) -> None:
        self.kafka = kafka
        self.request_timeout_ms = request_timeout_ms
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()
        self._set_aside: set[asyncio.Task[None]] = set()

    async def publish(self, events: Sequence[OutgoingEvent]) -> list[Delivery]:
        # One batch at a time keeps the order of batches the order on the wire.
        async with self._lock:
            try:
                producer = await self._started_producer()
                await producer.client.fetch_all_metadata()
            except Exception as error:
                log.warning("Kafka is not reachable (%s)", error)
                self._set_producer_aside()
                return [Delivery.NOT_SENT] * len(events)
            try:
                async with asyncio.timeout(2 * self.request_timeout_ms / 1000):
                    deliveries = await _send_in_order(producer, events)
            except TimeoutError:
                log.warning("Kafka did not acknowledge %d events in time", len(events))
                deliveries = [Delivery.UNCERTAIN] * len(events)
            if any(delivery != Delivery.DELIVERED for delivery in deliveries):
                self._set_producer_aside()
            return deliveries

    async def stop(self) -> None:
        async with self._lock:
            self._set_producer_aside()
        if self._set_aside:
            await asyncio.wait(self._set_aside, timeout=self.request_timeout_ms / 1000)

    async def _started_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(
                **client_options(self.kafka),
                enable_idempotence=True,
                acks="all",
                request_timeout_ms=self.request_timeout_ms,
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    def _set_producer_aside(self) -> None:
        """Stopping flushes what the producer still holds, which may take until the broker is
        back: not something to wait for before trying again."""
        producer, self._producer = self._producer, None
        if producer is not None:
            stopping = asyncio.create_task(_stop_quietly(producer))
            self._set_aside.add(stopping)
            stopping.add_done_callback(self._set_aside.discard)


async def _stop_quietly(producer: AIOKafkaProducer) -> None:
    try:
        await producer.stop()
    except Exception as error:
        log.warning("stopping a failed Kafka producer: %s", error)


async def _send_in_order(
    producer: AIOKafkaProducer, events: Sequence[OutgoingEvent]
) -> list[Delivery]:
    """Hand every event to the producer, then wait for the broker's answers.

    Once handing one over fails, the rest are not tried: each would wait out the same
    timeout, and sending them after a gap could put them ahead of the failed one.
    """
    acknowledgements: list[asyncio.Future[object]] = []
    for event in events:
        topic, record = monitor_record(event)
        try:
            acknowledgement = await producer.send(
                topic, record.value, key=record.key, headers=record.headers
            )
        except Exception as error:
            log.warning("handing an event to Kafka failed: %s", error)
            break
        acknowledgements.append(acknowledgement)
    deliveries = []
    for acknowledgement in acknowledgements:
        try:
            await acknowledgement
        except Exception as error:
            log.warning("Kafka did not take an event: %s", error)
            deliveries.append(Delivery.UNCERTAIN)
        else:
            deliveries.append(Delivery.DELIVERED)
    return deliveries + [Delivery.NOT_SENT] * (len(events) - len(deliveries))
