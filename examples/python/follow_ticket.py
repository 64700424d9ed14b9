"""Follow one ticket's story on `queue-gate.events.v1`: a reference subscriber in Python."""

# Run: python follow_ticket.py 127.0.0.1:9092 <ticket id>
# Needs: pip install aiokafka "cloudevents>=2.2"

from __future__ import annotations

import argparse
import asyncio
import sys

from aiokafka import AIOKafkaConsumer
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event

TOPIC = "queue-gate.events.v1"
SUBMISSION_CHANGED = "id.siakgate.gate.submission.changed.v1"


async def follow(bootstrap_servers: str, ticket_id: str) -> None:
    # No consumer group: the story is read from the topic's beginning (kept 30 days).
    consumer = AIOKafkaConsumer(
        TOPIC, bootstrap_servers=bootstrap_servers, auto_offset_reset="earliest"
    )
    told: set[str] = set()
    await consumer.start()
    try:
        async for record in consumer:
            message = KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
            try:
                event = from_kafka_event(message)
            except Exception as error:  # one bad record must not stop the follower
                where = f"{record.topic}/{record.partition}@{record.offset}"
                print(f"skipping {where}: {type(error).__name__}", file=sys.stderr)
                continue
            data = event.get_data()
            if event.get_type() != SUBMISSION_CHANGED or not isinstance(data, dict):
                continue
            # The gate publishes at least once: a record sent again has the same event id.
            if data.get("ticket_id") != ticket_id or event.get_id() in told:
                continue
            told.add(event.get_id())
            reason = f" ({data['parked_reason']})" if data.get("parked_reason") else ""
            print(f"{data.get('at')} {data.get('state')}{reason}", flush=True)
    finally:
        await consumer.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("bootstrap_servers")
    parser.add_argument("ticket_id")
    arguments = parser.parse_args()
    asyncio.run(follow(arguments.bootstrap_servers, arguments.ticket_id))
