"""The status consumer: each record applied, set aside with its reason, or waited on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from aiokafka.errors import MessageSizeTooLargeError, TopicAuthorizationFailedError
from prometheus_client import REGISTRY

from services.queue_gate.adapters.kafka_link import Record
from services.queue_gate.domain.region_gate import IntakeMode
from services.queue_gate.entrypoints.status_consumer import (
    Persistence,
    consume_heartbeat_record,
    consume_status_record,
    dead_letter,
    record_time,
)
from services.queue_gate.handlers.region_gate import GatePolicy
from services.queue_gate.handlers.status_updates import record_status_change
from shared import topics
from shared.events import (
    MonitorHeartbeat,
    ProbeEvidence,
    RegionSnapshot,
    SiakStatus,
    StatusChanged,
    encode_event,
    new_event,
)
from shared.regions import load_registry
from tests.support.status_store import store_change
from tests.unit.queue_gate.fake_gate import API_KEY, FakeKafka, running_gate
from tests.unit.queue_gate.fakes import START, FakePorts, status_change

POLICY = GatePolicy(
    stale_after=timedelta(minutes=1), degraded_is_open=True, default_intake_mode=IntakeMode.DEFER
)


class Consumer:
    """The consumer's handling of one record at a time, over the fakes."""

    def __init__(self, ports: FakePorts, persistence: Persistence | None = None) -> None:
        self.ports = ports
        self.persistence = persistence or Persistence(sleep=self._no_wait)
        self.dead_letters: list[str] = []
        self.waits: list[float] = []

    async def _no_wait(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def _apply(self, change: StatusChanged) -> bool:
        return await record_status_change(
            change,
            store=self.ports.statuses,
            announcer=self.ports.announcer,
            policy=POLICY,
            now=self.ports.clock(),
        )

    async def dead_letter(self, reason: str) -> None:
        self.dead_letters.append(reason)

    async def take(
        self, body: bytes, *, apply_change: Callable[[StatusChanged], Awaitable[bool]] | None = None
    ) -> None:
        await consume_status_record(
            body,
            apply_change=apply_change or self._apply,
            dead_letter=self.dead_letter,
            persistence=self.persistence,
            registry=load_registry(),
        )


def record_of(change: StatusChanged) -> bytes:
    return encode_event(new_event(change, source="/tests", subject=change.region_code)).value


def dead_lettered(kind: str) -> float:
    sample = REGISTRY.get_sample_value(
        "queue_gate_dead_lettered_total", {"topic": "siak.status.v1", "kind": kind}
    )
    return sample or 0.0


async def test_a_status_for_a_region_the_registry_lacks_is_set_aside_and_counted() -> None:
    ports = FakePorts()
    consumer = Consumer(ports)
    counted = dead_lettered("unknown_region")

    await consumer.take(record_of(status_change("99.99", SiakStatus.UP, seq=1)))
    await consumer.take(record_of(status_change("73.71", SiakStatus.UP, seq=1)))

    assert await ports.statuses.get("99.99") is None
    assert await ports.statuses.get("73.71") is not None
    [reason] = consumer.dead_letters
    assert reason.startswith("data.region_code: 99.99")
    assert dead_lettered("unknown_region") == counted + 1


def with_field(change: StatusChanged, **fields: object) -> bytes:
    """`change`'s record with fields the model itself would refuse to build."""
    event = json.loads(record_of(change))
    event["data"].update(fields)
    return json.dumps(event).encode()


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"reason": "http\u0000503"}, "data.reason"),
        ({"reason": "line\nbreak"}, "data.reason"),
        ({"seq": 2**63}, "data.seq"),
    ],
)
async def test_what_cannot_be_stored_is_set_aside_at_once_when_it_can_be_seen(
    fields: dict[str, object], named: str
) -> None:
    ports = FakePorts()
    consumer = Consumer(ports)

    await consumer.take(with_field(status_change("73.71", SiakStatus.DOWN, seq=1), **fields))

    [reason] = consumer.dead_letters
    assert reason.startswith(named)
    assert consumer.waits == []
    assert await ports.statuses.get("73.71") is None


class FailingStore:
    """Fails the first `times` applies with `error`, then applies."""

    def __init__(self, ports: FakePorts, error: Exception, *, times: int) -> None:
        self.ports = ports
        self.error = error
        self.left = times
        self.tries = 0

    async def apply(self, change: StatusChanged) -> bool:
        self.tries += 1
        if self.left:
            self.left -= 1
            raise self.error
        return await store_change(self.ports.statuses, change)


async def test_a_record_that_keeps_failing_is_set_aside_after_a_few_tries_with_back_off() -> None:
    ports = FakePorts()
    consumer = Consumer(ports)
    store = FailingStore(ports, ValueError("refused by the database"), times=100)

    await consumer.take(
        record_of(status_change("73.71", SiakStatus.DOWN, seq=1)), apply_change=store.apply
    )

    assert store.tries == consumer.persistence.tries == 3
    assert consumer.waits == [0.2, 0.4]
    [reason] = consumer.dead_letters
    assert reason == "not stored: ValueError: refused by the database"


async def test_while_the_database_is_away_the_record_is_waited_on_with_capped_back_off() -> None:
    ports = FakePorts()
    consumer = Consumer(ports)
    store = FailingStore(ports, ConnectionRefusedError("database down"), times=10)

    await consumer.take(
        record_of(status_change("73.71", SiakStatus.DOWN, seq=1)), apply_change=store.apply
    )

    assert consumer.dead_letters == []
    assert store.tries == 11
    assert consumer.waits == [0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 10.0, 10.0, 10.0, 10.0]
    known = await ports.statuses.get("73.71")
    assert known is not None and known.status is SiakStatus.DOWN


def heartbeat_of(monitor_id: str, *regions: str) -> bytes:
    beat = MonitorHeartbeat.model_construct(
        monitor_id=monitor_id,
        emitted_at=START,
        period_seconds=10.0,
        regions=[RegionSnapshot(region_code=r, status=SiakStatus.UP, seq=1) for r in regions],
    )
    return encode_event(new_event(beat, source="/tests", subject="monitor")).value


async def test_a_heartbeat_keeps_its_regions_fresh_and_an_unreadable_one_is_set_aside() -> None:
    ports = FakePorts()
    consumer = Consumer(ports)

    for body in (heartbeat_of("monitor\u00001", "73.71"), heartbeat_of("monitor-1", "73.71")):
        await consume_heartbeat_record(
            body,
            store=ports.statuses,
            dead_letter=consumer.dead_letter,
            persistence=consumer.persistence,
        )

    [reason] = consumer.dead_letters
    assert reason.startswith("data.monitor_id:")
    assert await ports.statuses.last_heard_at("73.71") == START


FAR_BEHIND = timezone(timedelta(hours=-23, minutes=-59))
FAR_AHEAD = timezone(timedelta(hours=23, minutes=59))


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"since": datetime.max.replace(tzinfo=FAR_BEHIND)}, "data.since"),
        ({"since": datetime.min.replace(tzinfo=FAR_AHEAD)}, "data.since"),
        (
            {"expected_return_at": datetime.max.replace(tzinfo=FAR_BEHIND)},
            "data.expected_return_at",
        ),
    ],
)
async def test_a_time_the_gate_cannot_reckon_with_is_set_aside(
    fields: dict[str, object], named: str
) -> None:
    """Year 1 or 9999 is a valid timestamp, but showing it in local time or adding a wait to
    it overflows: such a status would break the status page and intake for its region."""
    ports = FakePorts()
    consumer = Consumer(ports)

    await consumer.take(record_of(status_change("73.71", SiakStatus.MAINTENANCE, seq=1, **fields)))

    assert await ports.statuses.get("73.71") is None
    [reason] = consumer.dead_letters
    assert reason.startswith(f"{named}: must lie between 1970 and 9000"), reason


@pytest.mark.parametrize(
    "moment", [datetime(1970, 1, 1, tzinfo=FAR_BEHIND), datetime(9000, 1, 1, tzinfo=FAR_AHEAD)]
)
async def test_a_status_at_the_edges_of_the_range_is_shown_and_gates_intake(
    moment: datetime,
) -> None:
    ports = FakePorts()
    await Consumer(ports).take(
        record_of(
            status_change(
                "73.71",
                SiakStatus.MAINTENANCE,
                seq=1,
                since=moment,
                expected_return_at=moment,
                evidence=ProbeEvidence(checked_at=moment, ok=False),
            )
        )
    )
    assert await ports.statuses.get("73.71") is not None

    async with running_gate(ports=ports) as gate:
        pages = [await gate.http.get(path) for path in ("/", "/?lang=en", "/v1/regions/73.71")]
        accepted = await gate.http.post(
            "/v1/submissions",
            json={
                "region_code": "73.71",
                "service_type": "kia",
                "applicant": {"nik": "7371011203150002", "name": "Andi"},
                "details": {},
            },
            headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "edge"},
        )

    assert [page.status_code for page in pages] == [200, 200, 200]
    assert accepted.status_code == 202, accepted.text


BROKER_LIMIT = 1_048_588
"""The broker's default max.message.bytes (one record's batch): a producer may write a record
just under it, which the gate cannot copy to `.dlt` whole with its headers added."""


class LimitedKafka(FakeKafka):
    """The fake link, refusing records as a broker does: over its size limit, or on a topic
    the gate may not write to."""

    def __init__(self, *, forbidden: str | None = None) -> None:
        super().__init__()
        self.forbidden = forbidden

    async def publish(
        self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]
    ) -> Awaitable[Any]:
        if topic == self.forbidden:
            raise TopicAuthorizationFailedError()
        size = len(key or b"") + len(value) + sum(len(n) + len(v) for n, v in headers)
        if size > BROKER_LIMIT - 100:  # the batch's own framing
            raise MessageSizeTooLargeError()
        self.published.append((topic, key, value, headers))
        delivered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        delivered.set_result(None)
        return delivered


GARBAGE = Record(topics.SIAK_STATUS, 0, 41, b"73.71", b"x" * 1_048_470, [])
"""Accepted by the broker and by the producer's own size check, ~100 bytes to spare."""


async def test_a_record_too_large_to_copy_whole_is_dead_lettered_cut_and_says_so() -> None:
    kafka = LimitedKafka()

    await dead_letter(kafka, GARBAGE, reason="undecodable: " + "why " * 10_000)

    [(topic, key, value, headers)] = kafka.published
    named = dict(headers)
    assert (topic, key) == ("siak.status.v1.dlt", b"73.71")
    assert value == GARBAGE.value[: len(value)] and len(value) < len(GARBAGE.value)
    assert named["x-original-size"] == b"1048470"
    assert named["x-original-offset"] == b"41"
    assert named[topics.DEAD_LETTER_REASON_HEADER].startswith(b"undecodable: why")
    assert len(named[topics.DEAD_LETTER_REASON_HEADER]) <= 1000


def lost_dead_letters() -> float:
    sample = REGISTRY.get_sample_value(
        "queue_gate_dead_letters_lost_total", {"topic": "siak.status.v1"}
    )
    return sample or 0.0


async def test_a_dead_letter_topic_refusing_the_copy_for_good_does_not_hold_the_partition() -> None:
    kafka = LimitedKafka(forbidden="siak.status.v1.dlt")
    small = Record(topics.SIAK_STATUS, 0, 42, b"73.71", b"not json", [])
    lost = lost_dead_letters()

    await dead_letter(kafka, small, reason="undecodable")  # returns: the consumer goes on

    assert kafka.published == []
    assert lost_dead_letters() == lost + 1


@pytest.mark.parametrize(
    ("timestamp_ms", "read"),
    [
        (1_700_000_000_000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        (None, None),
        (-1, None),  # no timestamp kept
        (10**18, None),  # beyond what a datetime holds
        (300_000_000_000_000, None),  # beyond what the gate reckons with
    ],
)
def test_a_heartbeats_record_time_is_read_when_the_gate_can_reckon_with_it(
    timestamp_ms: int | None, read: datetime | None
) -> None:
    record = Record(topics.MONITOR_HEARTBEAT, 0, 1, b"monitor", b"{}", [], timestamp_ms)

    assert record_time(record) == read
