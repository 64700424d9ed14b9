"""Status changes produced the way siak_monitor publishes them: CloudEvents on `siak.status.v1`,
keyed by region, from an idempotent producer with acks=all."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from shared import topics
from shared.events import KafkaRecord, SiakStatus, StatusChanged, encode_event, new_event

EVENT_SOURCE = "/siak-gate/bench"
START_ATTEMPTS = 10


class SeqSource:
    """Per-region `seq` above anything published before: microseconds since the epoch, rising."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        self._last = max(self._last + 1, time.time_ns() // 1000)
        return self._last


def status_record(
    region: str, status: SiakStatus, previous: SiakStatus | None, seq: int
) -> KafkaRecord:
    change = StatusChanged(
        region_code=region,
        status=status,
        previous_status=previous,
        since=datetime.now(UTC),
        seq=seq,
        reason=None if status is SiakStatus.UP else "http_503",
    )
    return encode_event(new_event(change, source=EVENT_SOURCE, subject=region))


async def started_producer(bootstrap_servers: str) -> Any:
    """An idempotent acks=all producer; aiokafka's start does not retry, so this does."""
    for attempt in range(1, START_ATTEMPTS + 1):
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers, enable_idempotence=True, acks="all"
        )
        try:
            await asyncio.wait_for(producer.start(), timeout=15)
        except Exception:
            await producer.stop()
            if attempt == START_ATTEMPTS:
                raise
            await asyncio.sleep(0.5 * attempt)
        else:
            return producer
    raise AssertionError("unreachable")


class StatusPublisher:
    def __init__(self, producer: Any) -> None:
        self.producer = producer
        self.seqs = SeqSource()
        self.last: dict[str, SiakStatus] = {}

    async def publish(self, region: str, status: SiakStatus) -> int:
        """Send one change and wait for the broker's acknowledgement; its `seq`."""
        seq = self.seqs.next()
        record = status_record(region, status, self.last.get(region), seq)
        await asyncio.wait_for(
            self.producer.send_and_wait(
                topics.SIAK_STATUS, record.value, key=record.key, headers=record.headers
            ),
            timeout=30,
        )
        self.last[region] = status
        return seq

    async def publish_all(self, regions: list[str], status: SiakStatus) -> None:
        for region in regions:
            await self.publish(region, status)
