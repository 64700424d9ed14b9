"""The transactional outbox: events stored with their change, then relayed to Kafka in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from services.queue_gate.adapters.postgres.connecting import Connect
from services.queue_gate.adapters.postgres.wal_flush import FLUSH_WAL
from shared import topics
from shared.events import CloudEvent, KafkaRecord, encode_event, new_event
from shared.events.envelope import EventData

log = logging.getLogger(__name__)

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


async def outbox_depth(pool: asyncpg.Pool[Any] | Any) -> int:
    """How many events wait for Kafka."""
    depth: int = await pool.fetchval("SELECT count(*) FROM outbox")
    return depth


class KafkaAwayError(Exception):
    """The link did not take a batch within the relay's wait."""


class OutboxRelay:
    """Publishes stored events oldest first; only one replica relays at a time.

    It takes the relay's lock only once its Kafka link is started, and lets it go when the
    link does not take a batch within `kafka_wait_s` (stopped, or unable to start again):
    it never waits without end, and a replica whose link is up may relay meanwhile. That
    wait is no failure (`/readyz` already says Kafka is unavailable). Any other error ends
    `run()` (a lost connection, a broker that does not acknowledge): its supervisor starts
    it again on a new connection, and nothing is lost, since a row leaves the outbox only
    once the broker has acknowledged it.
    """

    def __init__(
        self,
        connect: Connect,
        publish: Publish,
        *,
        kafka_ready: Callable[[], Awaitable[None]],
        kafka_wait_s: float = 10.0,
        batch: int = 500,
        idle_interval_s: float = 0.5,
        gather_s: float = 0.1,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.connect = connect
        self.publish = publish
        self.kafka_ready = kafka_ready
        """Returns once the link is started (`Link.wait_started`)."""
        self.kafka_wait_s = kafka_wait_s
        self.batch = batch
        self.idle_interval_s = idle_interval_s
        self.gather_s = gather_s
        """The pause after a batch short of `batch`: events that come meanwhile go in the next.
        Without it, under steady intake the relay sent a few rows per cycle, each cycle a
        fetch, a Kafka request and a delete, all in the intake process (decision 26)."""
        self.sleep = sleep

    async def run(self) -> None:
        waiting = False
        while True:
            try:
                await self._wait_for_kafka()
                await self._relay_while_holding_the_lock()
            except KafkaAwayError:
                if not waiting:
                    log.info("the outbox relay waits for Kafka")
                waiting = True
            else:
                waiting = False
            # Another replica relays, or Kafka is away; try again in a while.
            await self.sleep(self.idle_interval_s * 4)

    async def _wait_for_kafka(self) -> None:
        try:
            async with asyncio.timeout(self.kafka_wait_s):
                await self.kafka_ready()
        except TimeoutError:
            raise KafkaAwayError from None

    async def _relay_while_holding_the_lock(self) -> None:
        connection = await self.connect()
        try:
            if await connection.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK):
                while True:
                    relayed = await self.relay_batch(connection)
                    if relayed == 0:
                        await self.sleep(self.idle_interval_s)
                    elif relayed < self.batch:
                        await self.sleep(self.gather_s)
        finally:
            # Closing the connection lets the lock go.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=5)

    async def relay_batch(self, connection: asyncpg.Connection[Any] | Any) -> int:
        rows = await connection.fetch(
            "SELECT id, topic, key, value FROM outbox ORDER BY id LIMIT $1", self.batch
        )
        if not rows:
            return 0
        # A gate's news is committed with its status change, without waiting for the flush
        # (decision 25): published before it is on disk, a crash would have the change applied
        # again from Kafka and its news told twice, under a new event id.
        await connection.execute(FLUSH_WAL)
        # Handed over one by one, in order, then acknowledged together.
        try:
            async with asyncio.timeout(self.kafka_wait_s) as handing_over:
                acknowledgements = [
                    await self.publish(
                        row["topic"],
                        row["key"],
                        row["value"],
                        [("content-type", b"application/cloudevents+json")],
                    )
                    for row in rows
                ]
        except TimeoutError:
            if handing_over.expired():
                raise KafkaAwayError from None
            raise
        # Shielded: cancelling the relay must not cancel the producer's own futures.
        await asyncio.shield(asyncio.gather(*acknowledgements))
        # Exactly the rows sent: one with a lower id may have committed since the read.
        await connection.execute(
            "DELETE FROM outbox WHERE id = ANY($1::bigint[])", [row["id"] for row in rows]
        )
        return len(rows)
