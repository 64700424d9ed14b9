"""The transactional outbox: events stored with their change, then relayed to Kafka in order."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from services.queue_gate.adapters.postgres.connecting import Connect
from shared import topics
from shared.events import CloudEvent, KafkaRecord, encode_event, new_event
from shared.events.envelope import EventData

EVENT_SOURCE = "/siak-gate/queue-gate"
_RELAY_LOCK = 0x5141_4F42

Publish = Callable[[str, bytes, bytes, list[tuple[str, bytes]]], Awaitable[Awaitable[Any]]]
"""Hands a record (topic, key, value, headers) to the producer, which sends records in the
order they were handed over; what it returns completes once the broker has acknowledged."""


def gate_record(data: EventData, *, key: str) -> KafkaRecord:
    """`data` as the gate publishes it: a CloudEvent keyed by `key`."""
    event: CloudEvent[Any] = new_event(data, source=EVENT_SOURCE, subject=key)
    return encode_event(event)


async def write_events(
    connection: asyncpg.Connection[Any] | Any, events: list[tuple[EventData, str]]
) -> None:
    """Store several gate events, in the order given, inside the caller's transaction."""
    if not events:
        return
    records = [gate_record(data, key=key) for data, key in events]
    await connection.execute(
        "INSERT INTO outbox (topic, key, value) "
        "SELECT $1, key, value FROM unnest($2::bytea[], $3::bytea[]) WITH ORDINALITY "
        "AS given(key, value, n) ORDER BY n",
        topics.GATE_EVENTS,
        [record.key for record in records],
        [record.value for record in records],
    )


class OutboxRelay:
    """Publishes stored events oldest first; only one replica relays at a time.

    Any error ends `run()` (a lost connection, a broker that does not acknowledge): its
    supervisor starts it again on a new connection, and nothing is lost, since a row leaves
    the outbox only once the broker has acknowledged it.
    """

    def __init__(
        self,
        connect: Connect,
        publish: Publish,
        *,
        batch: int = 500,
        idle_interval_s: float = 0.5,
        on_depth: Callable[[int], None] = lambda _depth: None,
    ) -> None:
        self.connect = connect
        self.publish = publish
        self.batch = batch
        self.idle_interval_s = idle_interval_s
        self.on_depth = on_depth
        """Told how many events wait, before each batch is handed to Kafka."""

    async def run(self) -> None:
        while True:
            connection = await self.connect()
            try:
                if await connection.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK):
                    while True:
                        if await self.relay_batch(connection) == 0:
                            await asyncio.sleep(self.idle_interval_s)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.close(), timeout=5)
            # Another replica relays; try again in a while, in case it is gone.
            await asyncio.sleep(self.idle_interval_s * 4)

    async def relay_batch(self, connection: asyncpg.Connection[Any] | Any) -> int:
        rows = await connection.fetch(
            "SELECT id, topic, key, value FROM outbox ORDER BY id LIMIT $1", self.batch
        )
        # A short batch is the whole outbox; only a full one needs counting. Reported before
        # publishing, so a broker that is away still lets the depth be seen growing.
        full = len(rows) == self.batch
        self.on_depth(
            await connection.fetchval("SELECT count(*) FROM outbox") if full else len(rows)
        )
        # Handed over one by one, in order, then acknowledged together.
        acknowledgements = [
            await self.publish(
                row["topic"],
                row["key"],
                row["value"],
                [("content-type", b"application/cloudevents+json")],
            )
            for row in rows
        ]
        # Shielded: cancelling the relay must not cancel the producer's own futures.
        await asyncio.shield(asyncio.gather(*acknowledgements))
        if rows:
            # Exactly the rows sent: one with a lower id may have committed since the read.
            await connection.execute(
                "DELETE FROM outbox WHERE id = ANY($1::bigint[])", [row["id"] for row in rows]
            )
        return len(rows)
