"""Follow every region's SIAK status on `siak.status.v1`: a reference subscriber in Python."""

# Run: python follow_status.py 127.0.0.1:9092
# Needs: pip install aiokafka "cloudevents>=2.2"

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from aiokafka import AIOKafkaConsumer
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event

TOPIC = "siak.status.v1"
STATUS_CHANGED = "id.siakgate.siak.status.changed.v1"


class LatestStatuses:
    """Each region's status, changed only by a record newer than the one held."""

    def __init__(self) -> None:
        self.held: dict[str, tuple[int, int]] = {}

    def apply(self, data: dict[str, Any]) -> bool:
        # (epoch, seq) orders a region's changes: a redelivered or older record is not newer,
        # and a new epoch (the monitor started counting again) wins whatever its seq.
        order = (data.get("epoch", 0), data["seq"])
        region = data["region_code"]
        if region in self.held and order <= self.held[region]:
            return False
        self.held[region] = order
        return True


async def follow(bootstrap_servers: str) -> None:
    # No consumer group: the compacted topic holds every region's latest status, so a
    # follower reads it from the beginning on every start and commits nothing.
    # read_committed: a monitor that lost its shard (fenced) has its records aborted; skip them.
    consumer = AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=bootstrap_servers,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    statuses = LatestStatuses()
    await consumer.start()
    try:
        async for record in consumer:
            if record.value is None:  # a tombstone: nothing to apply
                continue
            message = KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
            try:
                event = from_kafka_event(message)
                data = event.get_data()
                if event.get_type() != STATUS_CHANGED or not isinstance(data, dict):
                    continue
                applied = statuses.apply(data)
            except Exception as error:  # one bad record must not stop the follower
                where = f"{record.topic}/{record.partition}@{record.offset}"
                print(f"skipping {where}: {type(error).__name__}", file=sys.stderr)
                continue
            if applied:
                epoch, seq = data.get("epoch", 0), data["seq"]
                print(
                    f"{data['region_code']} {data['status']} (epoch {epoch}, seq {seq})", flush=True
                )
    finally:
        await consumer.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("bootstrap_servers")
    asyncio.run(follow(parser.parse_args().bootstrap_servers))
