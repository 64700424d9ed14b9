"""The gate's Kafka client (aiokafka), started under supervision: intake never waits for Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from services.queue_gate.adapters.offset_commits import CommitOnRevoke, Durable, OffsetCommits
from shared.kafka_client import client_options
from shared.settings import KafkaSettings
from shared.topics import TopicMisconfiguredError

log = logging.getLogger(__name__)

POLL_TIMEOUT_MS = 1000
"""How long a consumer waits for records before asking again (nothing happens in between)."""
STOP_FLUSH_TIMEOUT_S = 5.0
SESSION_TIMEOUT_MS = 10_000
"""How long the group waits for a silent member (aiokafka's default): a gate killed -9 holds
its partitions this long, and a new one waits for it to join the group."""
FETCH_MAX_WAIT_MS = 100
"""How long the broker holds a fetch open for new records. A partition whose fetched records
are not taken within aiokafka's 100 ms prefetch back-off is left out of the next long poll,
and its next record waits until that poll ends: 500 ms by default (decision 22)."""


@dataclass(frozen=True)
class Record:
    """A record read from a topic, and where it was read."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]
    timestamp_ms: int | None = None
    """The record's timestamp on its topic (ms since the epoch), as the topic keeps it."""


Handle = Callable[[Record], Awaitable[None]]
"""Handles one record; raising sends the consumer back to that record (nothing is skipped)."""


@dataclass(frozen=True)
class Subscription:
    topic: str
    group_id: str
    handle: Handle
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    listener: Callable[[Any], ConsumerRebalanceListener] | None = None
    """Made with the consumer (a `HandledPositions`), which it may ask for offsets when
    partitions are assigned."""
    durable: Durable | None = None
    """Awaited before each offset commit, where `handle` commits without waiting for the
    flush (see `OffsetCommits`)."""


class Link(Protocol):
    """What the gate's consumers and composition root use of Kafka (a `KafkaLink`, or a fake)."""

    misconfiguration: str | None
    """Why a topic the gate uses is unfit for it, while it is (see `KafkaLink`)."""

    @property
    def started(self) -> bool: ...

    def subscribe(self, subscription: Subscription) -> None: ...

    async def run(self) -> None: ...

    async def wait_started(self) -> None: ...

    async def publish(
        self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]
    ) -> Awaitable[Any]: ...

    async def reachable(self, *, timeout_s: float) -> bool: ...


class KafkaLink:
    """Starts the producer and a consumer per subscription, and keeps them until cancelled.

    A start that fails (Kafka down) raises, and the supervisor tries again with back-off;
    meanwhile intake works (it needs only PostgreSQL) and gate events wait in the outbox.
    Once started, aiokafka reconnects by itself. A topic that exists with a cleanup policy
    unfit for it is no outage: `misconfiguration` says which until it is put right.
    """

    def __init__(
        self,
        kafka: KafkaSettings,
        *,
        prepare: Callable[[], Awaitable[None]],
        retry_delay_s: float = 1.0,
        session_timeout_ms: int = SESSION_TIMEOUT_MS,
    ) -> None:
        self.kafka = kafka
        self.session_timeout_ms = session_timeout_ms
        self._prepare = prepare
        self.misconfiguration: str | None = None
        self.retry_delay_s = retry_delay_s
        self._subscriptions: list[Subscription] = []
        self._producer: AIOKafkaProducer | None = None
        self._started = asyncio.Event()

    @property
    def started(self) -> bool:
        return self._started.is_set()

    def subscribe(self, subscription: Subscription) -> None:
        """Consume `subscription` from the next start on."""
        self._subscriptions.append(subscription)

    async def run(self) -> None:
        consumers: list[tuple[AIOKafkaConsumer, OffsetCommits]] = []
        try:
            try:
                await self._prepare()
            except TopicMisconfiguredError as error:
                self.misconfiguration = str(error)
                log.error("not consuming nor publishing until put right: %s", error)
                raise
            self.misconfiguration = None
            self._producer = AIOKafkaProducer(**client_options(self.kafka), enable_idempotence=True)
            await self._producer.start()
            for subscription in self._subscriptions:
                consumers.append(await self._start_consumer(subscription))
            self._started.set()
            await self._consume_all(consumers)
        finally:
            self._started.clear()
            for _, commits in consumers:
                # What was handled is committed before the consumers go: a restart reads on
                # from there (a crash instead reads those records again, harmlessly).
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(STOP_FLUSH_TIMEOUT_S):
                        await commits.flush()
            for client in [*(consumer for consumer, _ in consumers), self._producer]:
                with contextlib.suppress(Exception):
                    if client is not None:
                        await client.stop()

    async def wait_started(self) -> None:
        await self._started.wait()

    async def publish(
        self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]
    ) -> Awaitable[Any]:
        """Hands a record to the producer once started; what it returns completes once the
        broker has acknowledged the record (see `Publish`)."""
        await self._started.wait()
        assert self._producer is not None
        delivery: Awaitable[Any] = await self._producer.send(topic, value, key=key, headers=headers)
        return delivery

    async def reachable(self, *, timeout_s: float) -> bool:
        if not self.started or self._producer is None:
            return False
        try:
            async with asyncio.timeout(timeout_s):
                await self._producer.client.fetch_all_metadata()
        except (KafkaError, TimeoutError):
            return False
        return True

    async def _start_consumer(
        self, subscription: Subscription
    ) -> tuple[AIOKafkaConsumer, OffsetCommits]:
        consumer = AIOKafkaConsumer(
            **client_options(self.kafka),
            group_id=subscription.group_id,
            auto_offset_reset=subscription.auto_offset_reset,
            enable_auto_commit=False,
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            session_timeout_ms=self.session_timeout_ms,
            # aiokafka's 3 s, or a third of a shorter session, as Kafka advises.
            heartbeat_interval_ms=min(3000, self.session_timeout_ms // 3),
            # Records of an aborted transaction (a fenced producer's) are never handled.
            isolation_level="read_committed",
        )
        commits = OffsetCommits(
            consumer.commit, durable=subscription.durable, retry_delay_s=self.retry_delay_s
        )
        handled = HandledPositions(consumer, commits)
        inner = subscription.listener(handled) if subscription.listener else None
        consumer.subscribe([subscription.topic], listener=CommitOnRevoke(commits, inner))
        await consumer.start()
        return consumer, commits

    async def _consume_all(self, consumers: list[tuple[AIOKafkaConsumer, OffsetCommits]]) -> None:
        """Until cancelled, or until one consumer fails (then all stop, and the supervisor
        starts the link again)."""
        tasks = []
        for (consumer, commits), subscription in zip(consumers, self._subscriptions, strict=True):
            tasks.append(asyncio.create_task(commits.run()))
            tasks.append(
                asyncio.create_task(
                    consume(consumer, subscription.handle, commits, self.retry_delay_s)
                )
            )
        try:
            if tasks:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
                for task in done:
                    task.result()
            await asyncio.Event().wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


class HandledPositions:
    """The consumer as a rebalance listener sees it: its position in a partition stands at
    the first record taken but not handled yet, if any (`getmany` moves the consumer's own
    past a whole batch, and past a transaction's marker, before the records are handled)."""

    def __init__(self, consumer: AIOKafkaConsumer, commits: OffsetCommits) -> None:
        self.consumer = consumer
        self.commits = commits

    async def position(self, partition: TopicPartition) -> int:
        in_hand = self.commits.in_hand(partition)
        if in_hand is not None:
            return in_hand
        position: int = await self.consumer.position(partition)
        return position

    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        ends: dict[TopicPartition, int] = await self.consumer.end_offsets(partitions)
        return ends

    async def beginning_offsets(
        self, partitions: list[TopicPartition]
    ) -> dict[TopicPartition, int]:
        earliest: dict[TopicPartition, int] = await self.consumer.beginning_offsets(partitions)
        return earliest

    async def committed(self, partition: TopicPartition) -> int | None:
        offset: int | None = await self.consumer.committed(partition)
        return offset


class RecordSource(Protocol):
    """What `consume` uses of an `AIOKafkaConsumer`."""

    async def getmany(self, *, timeout_ms: int) -> dict[TopicPartition, list[Any]]: ...

    def seek(self, partition: TopicPartition, offset: int) -> None: ...


async def consume(
    source: RecordSource, handle: Handle, commits: OffsetCommits, retry_delay_s: float
) -> None:
    """Hand each record to `handle` in turn, and to `commits` once handled; a record whose
    handling fails is read again (after `retry_delay_s`) before any after it in its partition."""
    while True:
        # Taking a partition's whole fetched batch sends the next fetch before the records
        # are handled (`getone` asks for more only when called again, after the handling).
        batches = await source.getmany(timeout_ms=POLL_TIMEOUT_MS)
        for partition, messages in batches.items():
            commits.taken(partition, messages[0].offset)
        for partition, messages in batches.items():
            try:
                for message in messages:
                    if commits.in_hand(partition) is None:
                        break  # revoked: the partition's new owner reads on from its commit
                    if not await _handled(handle, message):
                        if commits.in_hand(partition) is not None:
                            source.seek(partition, message.offset)
                            await asyncio.sleep(retry_delay_s)
                        # else revoked meanwhile: no longer ours to seek (aiokafka refuses
                        # once it is assigned elsewhere), and its new owner reads it again.
                        break
                    commits.handled(partition, message.offset)
            finally:
                commits.put_down(partition)


async def _handled(handle: Handle, message: Any) -> bool:
    record = Record(
        message.topic,
        message.partition,
        message.offset,
        message.key,
        message.value or b"",
        list(message.headers),
        message.timestamp,
    )
    try:
        await handle(record)
    except Exception as error:
        # It is read again: an offset passes a record only once it is handled. Its type
        # only: the message may quote the record.
        log.error("handling a record of %s failed: %s", message.topic, type(error).__name__)
        return False
    return True
