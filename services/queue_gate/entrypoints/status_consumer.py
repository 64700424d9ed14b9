"""Subscribes to the monitor's topics; each record is applied, or dead-lettered with the reason
why not, or waited on while the database is away: no record holds up the ones behind it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
)

from services.queue_gate.adapters.kafka_link import Link, Record, Subscription
from services.queue_gate.adapters.offset_commits import Durable
from services.queue_gate.adapters.postgres.transient import is_transient
from services.queue_gate.adapters.prometheus_metrics import DEAD_LETTERED, DEAD_LETTERS_LOST
from services.queue_gate.ports import RegionStatusStore
from services.queue_gate.status_catch_up import PartitionSpan, StatusCatchUp
from shared import topics
from shared.events import InvalidEventError, MonitorHeartbeat, StatusChanged, decode_event
from shared.regions import RegionRegistry, load_registry
from shared.supervision import Backoff

log = logging.getLogger(__name__)


ApplyStatusChange = Callable[[StatusChanged], Awaitable[bool]]
DeadLetter = Callable[[str], Awaitable[None]]
"""Parks the record being handled on `<topic>.dlt` with the reason given."""


EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(9000, 1, 1, tzinfo=UTC)
"""A status's times lie in this range: year 1 or 9999 is a valid timestamp, but shown in local
time or with a wait added it overflows, on the status page and at intake."""


class UnknownRegionRecordError(InvalidEventError):
    """A status for a region code the registry does not hold: counted and set aside."""


@dataclass(frozen=True)
class Persistence:
    """How a consumer keeps at a record it decoded but could not store."""

    tries: int = 3
    """Failures that will not pass by waiting (a value PostgreSQL refuses) before dead-lettering."""
    first_delay_s: float = 0.2
    max_delay_s: float = 10.0
    """The cap of the back-off, also while the database is away."""
    is_transient: Callable[[BaseException], bool] = is_transient
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def store(self, action: Callable[[], Awaitable[object]]) -> str | None:
        """Run `action` until it succeeds (None), or until it failed `tries` times for a reason
        waiting will not cure (that reason). While the database is away it waits, with capped
        back-off, however long that takes: the record is not skipped."""
        failures = 0
        delay = self.first_delay_s
        while True:
            try:
                await action()
            except Exception as error:
                reason = f"not stored: {type(error).__name__}: {error}"[:300]
                if not self.is_transient(error):
                    failures += 1
                    if failures >= self.tries:
                        return reason
                log.warning("%s; trying again in %.1f s", reason, delay)
                await self.sleep(delay)
                delay = min(delay * 2, self.max_delay_s)
            else:
                return None


def read_status_change(body: bytes, registry: RegionRegistry) -> StatusChanged:
    """The change a record carries; raises InvalidEventError (with the reason) for a record
    to set aside: unreadable, inconsistent, with times out of range, or about a region the
    registry lacks."""
    event = decode_event(body, StatusChanged)
    if event.subject != event.data.region_code:
        raise InvalidEventError("subject: does not match data.region_code")
    for name, moment in (
        ("since", event.data.since),
        ("expected_return_at", event.data.expected_return_at),
    ):
        if moment is not None and not EARLIEST_TIME <= moment <= LATEST_TIME:
            raise InvalidEventError(
                f"data.{name}: must lie between {EARLIEST_TIME.year} and {LATEST_TIME.year}"
            )
    if event.data.region_code not in registry:
        raise UnknownRegionRecordError(
            f"data.region_code: {event.data.region_code} is not in the region registry"
        )
    return event.data


async def consume_status_record(
    body: bytes,
    *,
    apply_change: ApplyStatusChange,
    dead_letter: DeadLetter,
    persistence: Persistence,
    registry: RegionRegistry,
) -> None:
    try:
        change = read_status_change(body, registry)
    except InvalidEventError as error:
        kind = "unknown_region" if isinstance(error, UnknownRegionRecordError) else "undecodable"
        await _set_aside(dead_letter, topics.SIAK_STATUS, error.reason, kind)
        return
    failure = await persistence.store(lambda: apply_change(change))
    if failure is not None:
        await _set_aside(dead_letter, topics.SIAK_STATUS, failure, "unstorable")


async def _set_aside(dead_letter: DeadLetter, topic: str, reason: str, kind: str) -> None:
    DEAD_LETTERED.labels(topic, kind).inc()
    await dead_letter(reason)


class StatusAssignments(ConsumerRebalanceListener):  # type: ignore[misc]
    """Tells `catch_up` which records each assignment of the status topic has to read: from
    the group's committed offset (or the earliest kept) to the end the partition has now.

    Kafka may not answer at an assignment (a broker restarting, the coordinator moving):
    `retries` then reads the offsets (and later the positions) again, until it does or the
    partitions are revoked."""

    def __init__(self, retries: CatchUpRetries, consumer: Any) -> None:
        self.retries = retries
        self.consumer = consumer
        """The consumer listened to, as the link shows it (`HandledPositions`)."""

    async def on_partitions_revoked(self, _revoked: set[TopicPartition]) -> None:
        self.retries.revoked()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        partitions = list(assigned)
        catch_up = self.retries.catch_up
        try:
            spans = await read_spans(self.consumer, partitions)
        except Exception as error:
            self.retries.retrying("reading offsets", error)
            self.retries.follow(Assignment(self.consumer, partitions))
            return
        catch_up.assigned(spans)
        if not catch_up.caught_up:
            self.retries.follow(Assignment(self.consumer, partitions, offsets_read=True))


@dataclass
class Assignment:
    """A consumer's partitions of the status topic that `CatchUpRetries` follows."""

    consumer: Any
    partitions: list[TopicPartition]
    offsets_read: bool = False
    """Whether `StatusCatchUp.assigned` was told where each partition's reading ends."""


class CatchUpRetries:
    """Reads again, with capped back-off, what Kafka did not answer at the latest assignment
    of the status topic (offsets, then positions) until the consumer is caught up: with a
    stable group no other assignment comes, so giving up would hold dispatch for good;
    meanwhile `catch_up` says why (in /readyz).

    One long-lived task (`run`, the gate's supervised task "status catch-up") does it, not a
    task per assignment: a retry ended by an error nobody foresaw is restarted, counted and,
    failing on, named in /readyz. The assignment followed is kept here, so a restarted run
    takes it up where the failed one left it."""

    def __init__(
        self,
        catch_up: StatusCatchUp,
        *,
        watch_interval_s: float = 0.2,
        max_delay_s: float = 5.0,
    ) -> None:
        self.catch_up = catch_up
        self.backoff = Backoff(initial_s=watch_interval_s, max_s=max_delay_s)
        """The wait before each read: `watch_interval_s`, doubled after each failure in a row
        up to `max_delay_s`."""
        self._following: Assignment | None = None
        self._given = asyncio.Event()

    def follow(self, assignment: Assignment) -> None:
        """Keep at `assignment` until caught up, in place of any earlier one."""
        self._following = assignment
        self._given.set()

    def revoked(self) -> None:
        """The consumer's partitions were taken away (a rebalance, or it stopped)."""
        self._following = None
        self.catch_up.revoked()

    def retrying(self, what: str, error: Exception) -> None:
        reason = f"{what}: {type(error).__name__}"
        log.warning("status consumer %s; trying again", reason)
        self.catch_up.retrying(reason)

    async def run(self) -> None:
        """Follow each assignment given until it is caught up or taken away; until cancelled."""
        while True:
            self._given.clear()
            assignment = self._following
            if assignment is None:
                await self._given.wait()
                continue
            await self._keep_at(assignment)
            if self._following is assignment:
                self._following = None

    async def _keep_at(self, assignment: Assignment) -> None:
        failures = 0
        while not (assignment.offsets_read and self.catch_up.caught_up):
            await asyncio.sleep(self.backoff.after(failures + 1))
            if self._following is not assignment:
                return
            try:
                await self._read(assignment)
            except Exception as error:
                # Kept at until revoked: past a last record's transaction marker no record
                # comes to say the partition was read to its end (see `reached`).
                what = "reading positions" if assignment.offsets_read else "reading offsets"
                self.retrying(what, error)
                failures += 1
            else:
                failures = 0

    async def _read(self, assignment: Assignment) -> None:
        """Read the offsets, or where the consumer stands in each partition behind, telling
        `catch_up` unless the assignment was taken away meanwhile."""
        if not assignment.offsets_read:
            spans = await read_spans(assignment.consumer, assignment.partitions)
            if self._following is assignment:
                assignment.offsets_read = True
                self.catch_up.assigned(spans)
            return
        behind = self.catch_up.behind()
        for tp in assignment.partitions:
            if tp.partition in behind:
                position = await assignment.consumer.position(tp)
                if self._following is not assignment:
                    return
                self.catch_up.reached(tp.partition, position)
        self.catch_up.retrying(None)


async def read_spans(consumer: Any, partitions: list[TopicPartition]) -> dict[int, PartitionSpan]:
    """Where the reading of each of `partitions` starts, and the end it has now."""
    if not partitions:
        return {}
    ends = await consumer.end_offsets(partitions)
    earliest = await consumer.beginning_offsets(partitions)
    spans = {}
    for tp in partitions:
        committed = await consumer.committed(tp)
        start = max(committed or 0, earliest[tp])
        spans[tp.partition] = PartitionSpan(start=start, end=ends[tp])
    return spans


def subscribe_to_status(
    link: Link,
    *,
    group_id: str,
    apply_change: ApplyStatusChange,
    retries: CatchUpRetries,
    durable: Durable,
    persistence: Persistence | None = None,
    registry: RegionRegistry | None = None,
) -> None:
    """Apply each status record in turn, telling `retries.catch_up` how far the reading got
    (`retries.run` must run meanwhile, to read again what Kafka did not answer). A
    change is committed without waiting for its flush: `durable` says when it is flushed,
    and no offset is committed before (`WalFlushBarrier`)."""
    keeping_at = persistence or Persistence()
    regions = registry or load_registry()
    catch_up = retries.catch_up

    async def on_status_changed(record: Record) -> None:
        await consume_status_record(
            record.value,
            apply_change=apply_change,
            dead_letter=lambda reason: dead_letter(link, record, reason=reason),
            persistence=keeping_at,
            registry=regions,
        )
        catch_up.processed(record.partition, record.offset)

    link.subscribe(
        Subscription(
            topics.SIAK_STATUS,
            group_id=group_id,
            handle=on_status_changed,
            listener=lambda consumer: StatusAssignments(retries, consumer),
            durable=durable,
        )
    )


def subscribe_to_heartbeats(
    link: Link,
    *,
    group_id: str,
    store: RegionStatusStore,
    persistence: Persistence | None = None,
) -> None:
    """The monitor's heartbeats keep regions' statuses fresh; their silence makes them stale."""
    keeping_at = persistence or Persistence()

    async def on_heartbeat(record: Record) -> None:
        await consume_heartbeat_record(
            record.value,
            store=store,
            dead_letter=lambda reason: dead_letter(link, record, reason=reason),
            persistence=keeping_at,
            offset=record.offset,
            record_time=record_time(record),
        )

    link.subscribe(
        Subscription(
            topics.MONITOR_HEARTBEAT,
            group_id=group_id,
            handle=on_heartbeat,
            auto_offset_reset="latest",
        )
    )


def record_time(record: Record) -> datetime | None:
    """The record's timestamp, if it is one the gate can reckon with (else the heartbeat's
    own stamp is used: a broken timestamp must not hold up the partition)."""
    if record.timestamp_ms is None:
        return None
    try:
        moment = datetime.fromtimestamp(record.timestamp_ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment if EARLIEST_TIME < moment <= LATEST_TIME else None


async def consume_heartbeat_record(
    body: bytes,
    *,
    store: RegionStatusStore,
    dead_letter: DeadLetter,
    persistence: Persistence,
    offset: int | None = None,
    record_time: datetime | None = None,
) -> None:
    """Take the heartbeat in; `offset`, its place on the topic, tells it from a replay when
    the monitor's clock was set back (heartbeats are keyed by monitor: one partition each),
    and `record_time` when it was sent (see `RegionStatusStore.record_heartbeat`)."""
    try:
        heartbeat = decode_event(body, MonitorHeartbeat).data
    except InvalidEventError as error:
        await _set_aside(dead_letter, topics.MONITOR_HEARTBEAT, error.reason, "undecodable")
        return
    failure = await persistence.store(
        lambda: store.record_heartbeat(heartbeat, offset=offset, record_time=record_time)
    )
    if failure is not None:
        await _set_aside(dead_letter, topics.MONITOR_HEARTBEAT, failure, "unstorable")


DEAD_LETTER_VALUE_LIMIT = 64 * 1024
"""A record's value is copied to `.dlt` whole up to this size (any event the gate reads is far
smaller); a larger one is cut, and `x-original-size` says so: a copy of a value near the broker's
limit, with the headers added, would never fit, and the record would hold its partition."""
DEAD_LETTER_KEY_LIMIT = 1024
DEAD_LETTER_REASON_LIMIT = 1000
REFUSED_FOR_GOOD = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    TopicAuthorizationFailedError,
    ClusterAuthorizationFailedError,
    InvalidTopicError,
)
"""Refusals of the copy that waiting will not cure (anything else, Kafka away, is tried again)."""


async def dead_letter(link: Link, record: Record, *, reason: str) -> None:
    """Park a record on `<topic>.dlt` with the reason, so the consumer goes on; if the topic
    refuses the copy for good, the record is counted as lost instead of holding its partition."""
    log.warning("dead-lettering a record of %s: %s", record.topic, reason)
    value = record.value[:DEAD_LETTER_VALUE_LIMIT]
    headers = [
        (topics.DEAD_LETTER_REASON_HEADER, reason[:DEAD_LETTER_REASON_LIMIT].encode()),
        ("x-original-partition", str(record.partition).encode()),
        ("x-original-offset", str(record.offset).encode()),
    ]
    if len(value) < len(record.value):
        headers.append(("x-original-size", str(len(record.value)).encode()))
    key = record.key[:DEAD_LETTER_KEY_LIMIT] if record.key is not None else None
    try:
        delivery = await link.publish(topics.dead_letter_topic(record.topic), key, value, headers)
        await delivery
    except REFUSED_FOR_GOOD as error:
        DEAD_LETTERS_LOST.labels(record.topic).inc()
        log.error(
            "a record of %s (partition %d, offset %d) could not be dead-lettered, skipped: %s",
            record.topic,
            record.partition,
            record.offset,
            type(error).__name__,
        )
