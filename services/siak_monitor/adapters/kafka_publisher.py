"""Publishing the monitor's events to Kafka in transactions under the shard's stable id."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import ProducerFenced

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
    """One ownership term's publisher: every batch is one Kafka transaction under the
    shard's `transactional_id`; per event it returns what became of it and never raises.

    `claim()` starts the producer, which fences any earlier producer of the same id: from
    then on a replica that lost the shard cannot commit anything. The producer is never
    replaced within a term: a fresh producer would claim the shard again, and a replica cut
    off from the group (SIGSTOP, a network partition) would fence the rightful owner and
    publish from stale state. So once the producer is fenced or broken, `spent` is set and
    the term has to end; the next term claims anew, under a new assignment.
    """

    def __init__(
        self,
        kafka: KafkaSettings,
        *,
        transactional_id: str,
        request_timeout_ms: int = 10_000,
        transaction_timeout_ms: int = 20_000,
    ) -> None:
        self.kafka = kafka
        self.transactional_id = transactional_id
        self.request_timeout_ms = request_timeout_ms
        self.transaction_timeout_ms = transaction_timeout_ms
        self.spent = asyncio.Event()
        """Set once this publisher can publish nothing more (fenced, or its producer broke)."""
        self.tenure: int | None = None
        """Once claimed: the claim's place among all claims of the shard (later is greater)."""
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def claim(self) -> None:
        """Start the producer, fencing the shard's earlier holder, and commit a record of the
        claim; raises if the broker cannot be reached (try again) and once spent."""
        async with self._lock:
            if self.spent.is_set():
                raise ProducerFenced()
            if self._producer is not None:
                return
            producer = AIOKafkaProducer(
                **client_options(self.kafka),
                transactional_id=self.transactional_id,
                transaction_timeout_ms=self.transaction_timeout_ms,
                request_timeout_ms=self.request_timeout_ms,
            )
            try:
                await producer.start()
                # The claim's own record: its offset orders this tenure after every earlier
                # one, which the replicas' assignor uses to leave the shard with its owner.
                async with asyncio.timeout(2 * self.request_timeout_ms / 1000):
                    async with producer.transaction():
                        sent = await producer.send_and_wait(
                            topics.MONITOR_OWNERSHIP, b"", key=self.transactional_id.encode()
                        )
            except BaseException:
                await _stop_quietly(producer)
                raise
            self._producer = producer
            self.tenure = sent.offset

    async def publish(self, events: Sequence[OutgoingEvent]) -> list[Delivery]:
        # One batch at a time keeps the order of batches the order on the wire.
        async with self._lock:
            producer = self._producer
            if producer is None or self.spent.is_set():
                return [Delivery.NOT_SENT] * len(events)
            try:
                # Records handed over while the broker is gone would sit in the producer.
                await producer.client.fetch_all_metadata()
            except Exception as error:
                log.warning("Kafka is not reachable (%s)", error)
                return [Delivery.NOT_SENT] * len(events)
            return await self._in_transaction(producer, events)

    async def stop(self) -> None:
        async with self._lock:
            producer, self._producer = self._producer, None
            self.spent.set()
        if producer is not None:
            await _stop_quietly(producer)

    async def _in_transaction(
        self, producer: AIOKafkaProducer, events: Sequence[OutgoingEvent]
    ) -> list[Delivery]:
        committing = False
        try:
            async with asyncio.timeout(2 * self.request_timeout_ms / 1000):
                await producer.begin_transaction()
                acknowledgements = []
                for event in events:
                    topic, record = monitor_record(event)
                    acknowledgements.append(
                        await producer.send(
                            topic, record.value, key=record.key, headers=record.headers
                        )
                    )
                await asyncio.gather(*acknowledgements)
                committing = True
                await producer.commit_transaction()
        except ProducerFenced:
            # The broker aborted what this transaction held: nothing of it is visible.
            log.warning("fenced: another replica holds %s now", self.transactional_id)
            self.spent.set()
            return [Delivery.NOT_SENT] * len(events)
        except Exception as error:
            log.warning("Kafka did not take %d events (%s)", len(events), type(error).__name__)
            if committing or not await _aborted(producer):
                # Whether the commit went through is unknown, or the producer is stuck.
                self.spent.set()
                return [Delivery.UNCERTAIN if committing else Delivery.NOT_SENT] * len(events)
            return [Delivery.NOT_SENT] * len(events)
        return [Delivery.DELIVERED] * len(events)


async def _aborted(producer: AIOKafkaProducer) -> bool:
    """Whether the open transaction could be aborted (so the producer can go on)."""
    try:
        async with asyncio.timeout(5):
            await producer.abort_transaction()
    except Exception as error:
        log.warning("aborting a Kafka transaction failed (%s)", type(error).__name__)
        return False
    return True


async def _stop_quietly(producer: AIOKafkaProducer) -> None:
    try:
        await producer.stop()
    except Exception as error:
        log.warning("stopping a Kafka producer: %s", type(error).__name__)
