"""queue_gate's status subscriber against the real broker and database."""

# Regions of province 11 (Aceh): the end-to-end system watches province 73 on the same broker.

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.queue_gate.adapters.kafka_link import KafkaLink
from services.queue_gate.adapters.postgres.region_status_store import PostgresRegionStatusStore
from services.queue_gate.entrypoints.status_consumer import subscribe_to_heartbeats
from shared import topics
from shared.events import (
    KafkaRecord,
    MonitorHeartbeat,
    RegionSnapshot,
    SiakStatus,
    StatusChanged,
    encode_event,
    new_event,
)
from shared.kafka_admin import ensure_topics
from shared.settings import KafkaSettings
from tests.conftest import Infrastructure
from tests.support.kafka import TopicReader, produce
from tests.support.killed_status_consumer import SHORT_SESSION_MS
from tests.support.polling import eventually
from tests.support.status_consumers import status_consumer, status_group, status_record
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration


async def stored_seq(pool: asyncpg.Pool, region: str) -> int | None:
    seq: int | None = await pool.fetchval(
        "SELECT seq FROM region_status WHERE region_code = $1", region
    )
    return seq


async def test_stores_each_region_status_change(
    infrastructure: Infrastructure, pool: asyncpg.Pool
) -> None:
    store = PostgresRegionStatusStore(pool)
    bootstrap = infrastructure.bootstrap_servers
    async with status_consumer(bootstrap, store):
        await produce(bootstrap, topics.SIAK_STATUS, status_record("11.06", SiakStatus.DOWN, 1))
        await eventually(lambda: stored_seq(pool, "11.06"), what="status stored")
        await produce(bootstrap, topics.SIAK_STATUS, status_record("11.06", SiakStatus.UP, 2))

        async def is_up() -> bool:
            known = await store.get("11.06")
            return known is not None and known.status == SiakStatus.UP

        await eventually(is_up, what="region back up")
    known = await store.get("11.06")
    assert known is not None and known.seq == 2


async def test_duplicate_and_stale_status_changes_change_nothing(
    infrastructure: Infrastructure, pool: asyncpg.Pool
) -> None:
    store = PostgresRegionStatusStore(pool)
    bootstrap = infrastructure.bootstrap_servers
    async with status_consumer(bootstrap, store):
        partition = await produce(
            bootstrap, topics.SIAK_STATUS, status_record("11.07", SiakStatus.DOWN, 5)
        )
        for record in (
            status_record("11.07", SiakStatus.UP, 3),  # stale: older than what was applied
            status_record("11.07", SiakStatus.UP, 5),  # duplicate seq
            # In the same partition, behind the others: once it is stored, they were consumed.
            status_record("11.08", SiakStatus.UP, 1),
        ):
            await produce(bootstrap, topics.SIAK_STATUS, record, partition=partition)
        await eventually(lambda: stored_seq(pool, "11.08"), what="marker consumed")
    known = await store.get("11.07")
    assert known is not None
    assert (known.status, known.seq) == (SiakStatus.DOWN, 5)


async def test_malformed_record_goes_to_dead_letter_topic_and_consumer_goes_on(
    infrastructure: Infrastructure, pool: asyncpg.Pool
) -> None:
    store = PostgresRegionStatusStore(pool)
    bootstrap = infrastructure.bootstrap_servers
    marker = uuid.uuid4().hex.encode()
    garbage = KafkaRecord(
        key=b"11.09", value=b'{"not": "an event", "m": "' + marker + b'"}', headers=[]
    )
    wrong_spec = status_record("11.09", SiakStatus.DOWN, 1)
    wrong_spec_value = wrong_spec.value.replace(b'"specversion":"1.0"', b'"specversion":"0.3"')

    # Other gates on the same broker may dead-letter these records too: look for ours by value.
    async def dead_letters(dlt: TopicReader) -> dict[bytes, bytes] | None:
        reasons = {
            r.value: r.headers[topics.DEAD_LETTER_REASON_HEADER]
            for r in await dlt.poll()
            if r.value in (garbage.value, wrong_spec_value)
        }
        return reasons if len(reasons) == 2 else None

    async with (
        TopicReader(bootstrap, topics.dead_letter_topic(topics.SIAK_STATUS)) as dlt,
        status_consumer(bootstrap, store),
    ):
        await produce(bootstrap, topics.SIAK_STATUS, garbage)
        await produce(
            bootstrap,
            topics.SIAK_STATUS,
            KafkaRecord(wrong_spec.key, wrong_spec_value, wrong_spec.headers),
        )
        await produce(bootstrap, topics.SIAK_STATUS, status_record("11.10", SiakStatus.UP, 1))
        await eventually(lambda: stored_seq(pool, "11.10"), what="valid event after garbage")
        reasons = await eventually(lambda: dead_letters(dlt), what="both dead-lettered")
    assert await store.get("11.09") is None
    assert reasons[garbage.value].startswith(b"source:")
    assert reasons[wrong_spec_value].startswith(b"specversion:")


async def test_records_that_cannot_be_stored_are_dead_lettered_and_those_behind_them_applied(
    infrastructure: Infrastructure, pool: asyncpg.Pool
) -> None:
    store = PostgresRegionStatusStore(pool)
    bootstrap = infrastructure.bootstrap_servers
    await ensure_topics(KafkaSettings.plaintext(bootstrap), topics.GATE_TOPICS)
    marker = uuid.uuid4().hex
    nul_reason = status_record("11.11", SiakStatus.DOWN, 1)
    nul_reason_value = nul_reason.value.replace(
        b'"reason":null', b'"reason":"%s\\u0000"' % marker.encode()
    )
    # A valid timestamp (an aware time in year 1) the gate could not store nor reckon with:
    # set aside on reading, before PostgreSQL is tried.
    year_one = status_record("11.12", SiakStatus.DOWN, 1)
    year_one_value = re.sub(
        rb'"since":"[^"]+"',
        b'"since":"0001-01-01T00:00:00+07:00","m":"%s"' % marker.encode(),
        year_one.value,
    )
    poisons = (nul_reason_value, year_one_value)

    async def dead_letters(dlt: TopicReader) -> dict[bytes, bytes] | None:
        reasons = {
            r.value: r.headers[topics.DEAD_LETTER_REASON_HEADER]
            for r in await dlt.poll()
            if r.value in poisons
        }
        return reasons if len(reasons) == len(poisons) else None

    async with (
        TopicReader(bootstrap, topics.dead_letter_topic(topics.SIAK_STATUS)) as dlt,
        status_consumer(bootstrap, store),
    ):
        partition = await produce(
            bootstrap, topics.SIAK_STATUS, KafkaRecord(b"11.11", nul_reason_value, [])
        )
        for record in (
            KafkaRecord(b"11.12", year_one_value, []),
            status_record("11.13", SiakStatus.UP, 1),
        ):
            await produce(bootstrap, topics.SIAK_STATUS, record, partition=partition)
        await eventually(lambda: stored_seq(pool, "11.13"), what="the record behind applied")
        reasons = await eventually(lambda: dead_letters(dlt), what="both dead-lettered")
    assert await store.get("11.11") is None and await store.get("11.12") is None
    assert reasons[nul_reason_value].startswith(b"data.reason:")
    assert reasons[year_one_value].startswith(b"data.since: must lie between 1970 and 9000")


NEAR_THE_LIMIT = 1_048_470
"""A value the broker takes (default max.message.bytes 1048588) with ~100 bytes to spare: too
large to copy to `.dlt` whole once the gate's headers are added."""


async def test_a_record_too_large_to_dead_letter_whole_is_set_aside_cut_and_those_behind_applied(
    infrastructure: Infrastructure, pool: asyncpg.Pool
) -> None:
    store = PostgresRegionStatusStore(pool)
    bootstrap = infrastructure.bootstrap_servers
    await ensure_topics(KafkaSettings.plaintext(bootstrap), topics.GATE_TOPICS)
    marker = uuid.uuid4().hex.encode()
    garbage = marker + b"x" * (NEAR_THE_LIMIT - len(marker))

    async def cut_copy(dlt: TopicReader) -> dict[str, bytes] | None:
        copies = [r for r in await dlt.poll() if r.value.startswith(marker)]
        return copies[0].headers if copies else None

    async with (
        TopicReader(bootstrap, topics.dead_letter_topic(topics.SIAK_STATUS)) as dlt,
        status_consumer(bootstrap, store),
    ):
        partition = await produce(bootstrap, topics.SIAK_STATUS, KafkaRecord(b"11.73", garbage, []))
        await produce(
            bootstrap,
            topics.SIAK_STATUS,
            status_record("11.73", SiakStatus.DOWN, 1),
            partition=partition,
        )
        await eventually(lambda: stored_seq(pool, "11.73"), what="the status behind applied")
        headers = await eventually(lambda: cut_copy(dlt), what="the cut copy dead-lettered")
    assert headers["x-original-size"] == str(NEAR_THE_LIMIT).encode()
    assert headers[topics.DEAD_LETTER_REASON_HEADER]  # why it was set aside


async def test_while_the_database_is_away_the_consumer_waits_with_back_off_and_skips_nothing(
    infrastructure: Infrastructure, database_url: str, pool: asyncpg.Pool
) -> None:
    bootstrap = infrastructure.bootstrap_servers
    address = urlsplit(database_url)
    assert address.hostname is not None and address.port is not None
    proxy = TcpProxy(address.hostname, address.port)
    async with (
        proxy.serving() as port,
        asyncpg.create_pool(
            address._replace(netloc=f"{address.netloc.rpartition(':')[0]}:{port}").geturl(),
            min_size=1,
            max_size=2,
        ) as proxied,
        status_consumer(bootstrap, PostgresRegionStatusStore(proxied), max_delay_s=0.64),
    ):
        proxy.go_down()
        partition = await produce(
            bootstrap, topics.SIAK_STATUS, status_record("11.14", SiakStatus.DOWN, 1)
        )
        await produce(
            bootstrap,
            topics.SIAK_STATUS,
            status_record("11.15", SiakStatus.UP, 1),
            partition=partition,
        )

        async def tried_a_dozen_times() -> bool:
            return len(proxy.refusals) >= 12

        await eventually(tried_a_dozen_times, what="a dozen tries while away")
        proxy.come_back()
        await eventually(lambda: stored_seq(pool, "11.15"), what="the record behind stored")
    # Waits of 0.01, 0.02, 0.04 ... s, capped at 0.64 s, make the first dozen tries span
    # seconds; retrying at once (as the consumer did) makes a dozen in about 0.3 s.
    assert proxy.refusals[11] - proxy.refusals[0] >= 1.0
    assert await stored_seq(pool, "11.14") == 1


async def test_applies_committed_transactions_only_and_catches_up_past_their_markers(
    infrastructure: Infrastructure, pool: asyncpg.Pool
) -> None:
    """The monitor publishes in transactions; a fenced replica's are aborted. Each commit
    or abort leaves a marker at the end of the partition, which no record is delivered for."""
    bootstrap = infrastructure.bootstrap_servers
    group = await status_group(bootstrap)  # before the records it is to read
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id=str(uuid.uuid4()))
    await producer.start()
    try:
        async with producer.transaction():
            await send(producer, status_record("11.16", SiakStatus.UP, 1))
        await producer.begin_transaction()
        await send(producer, status_record("11.16", SiakStatus.DOWN, 2))
        await producer.abort_transaction()
        async with producer.transaction():
            # Every partition now ends with a commit marker.
            for partition in range(3):
                record = status_record("11.17", SiakStatus.UP, partition + 1)
                await send(producer, record, partition=partition)
    finally:
        await producer.stop()
    store = PostgresRegionStatusStore(pool)
    async with status_consumer(bootstrap, store, group_id=group) as catch_up:

        async def caught_up() -> bool:
            return catch_up.caught_up

        await eventually(caught_up, what="caught up past the markers")
    assert await stored_seq(pool, "11.17") == 3
    assert await stored_seq(pool, "11.16") == 1


async def send(
    producer: AIOKafkaProducer, record: KafkaRecord, partition: int | None = None
) -> None:
    await producer.send_and_wait(
        topics.SIAK_STATUS,
        record.value,
        key=record.key,
        headers=record.headers,
        partition=partition,
    )


HISTORY = """
CREATE TABLE status_history (id bigserial PRIMARY KEY, region_code text, seq bigint);
CREATE FUNCTION keep_status_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO status_history (region_code, seq) VALUES (NEW.region_code, NEW.seq);
    RETURN NULL;
END $$;
CREATE TRIGGER keep_status_history AFTER INSERT OR UPDATE ON region_status
    FOR EACH ROW EXECUTE FUNCTION keep_status_history();
"""
"""Each change that took effect, in the order it did (a change ignored updates no row)."""


async def test_a_gate_killed_between_storing_a_change_and_committing_its_offset_reads_it_again(
    infrastructure: Infrastructure, database_url: str, pool: asyncpg.Pool
) -> None:
    bootstrap = infrastructure.bootstrap_servers
    await pool.execute(HISTORY)
    region, group = "11.18", await status_group(bootstrap)
    statuses = [SiakStatus.DOWN, SiakStatus.UP, SiakStatus.DOWN, SiakStatus.UP, SiakStatus.DOWN]
    records = [status_record(region, status, seq) for seq, status in enumerate(statuses, 1)]
    places = [await sent_to(bootstrap, record) for record in records[:3]]

    killed = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.killed_status_consumer",
        *(bootstrap, database_url, group, region, "3"),
    )
    assert await asyncio.wait_for(killed.wait(), timeout=60) == -signal.SIGKILL
    assert await stored_seq(pool, region) == 3  # stored, then killed before the offset commit
    partition, third = places[2]
    assert (await committed_offset(bootstrap, group, partition) or 0) <= third
    for record in records[3:]:
        await sent_to(bootstrap, record)

    handled: list[tuple[int, bool]] = []

    async def note(change: StatusChanged, applied: bool) -> None:
        if change.region_code == region:
            handled.append((change.seq, applied))

    store = PostgresRegionStatusStore(pool)
    async with status_consumer(
        bootstrap, store, group_id=group, on_applied=note, session_timeout_ms=SHORT_SESSION_MS
    ):
        await eventually(lambda: stored_seq(pool, region), what="the restarted gate went on")

        async def last_stored() -> bool:
            return await stored_seq(pool, region) == 5

        await eventually(last_stored, within=60, what="the changes sent after the crash")
    assert (3, False) in handled  # read again, and ignored: its work was already done
    assert [seq for seq, applied in handled if applied] == [4, 5]
    history = await pool.fetch(
        "SELECT seq FROM status_history WHERE region_code = $1 ORDER BY id", region
    )
    assert [row["seq"] for row in history] == [1, 2, 3, 4, 5]  # none lost, none twice, in order


async def sent_to(bootstrap: str, record: KafkaRecord) -> tuple[int, int]:
    """Send `record`; the partition and offset it landed at."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        landed = await producer.send_and_wait(
            topics.SIAK_STATUS, record.value, key=record.key, headers=record.headers
        )
    finally:
        await producer.stop()
    return landed.partition, landed.offset


async def committed_offset(bootstrap: str, group: str, partition: int) -> int | None:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await reader.start()
    try:
        offset: int | None = await reader.committed(TopicPartition(topics.SIAK_STATUS, partition))
    finally:
        await reader.stop()
    return offset


async def test_a_heartbeat_is_heard_when_the_broker_appended_it_not_when_its_writer_says(
    infrastructure: Infrastructure, pool: asyncpg.Pool
) -> None:
    """The heartbeat topic keeps the broker's append time: a monitor whose clock was set back
    an hour (its stamp and its producer's record time an hour old) is still heard now."""
    bootstrap = infrastructure.bootstrap_servers
    store = PostgresRegionStatusStore(pool)
    region = "11.72"
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    beat = MonitorHeartbeat(
        monitor_id=f"monitor-{uuid.uuid4().hex}",
        emitted_at=an_hour_ago,
        period_seconds=10,
        regions=[RegionSnapshot(region_code=region, status=SiakStatus.UP, seq=1)],
    )
    record = encode_event(new_event(beat, source="/tests", subject="monitor"))
    await ensure_topics(KafkaSettings.plaintext(bootstrap), topics.GATE_TOPICS)
    link = KafkaLink(KafkaSettings.plaintext(bootstrap), prepare=_nothing_to_prepare)
    subscribe_to_heartbeats(link, group_id=f"test-gate-{uuid.uuid4()}", store=store)
    running = asyncio.create_task(link.run())
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:

        async def heard_lately() -> bool:
            # The consumer starts at the end of the topic: send until one is read.
            await producer.send_and_wait(
                topics.MONITOR_HEARTBEAT,
                record.value,
                key=record.key,
                headers=record.headers,
                timestamp_ms=int(an_hour_ago.timestamp() * 1000),
            )
            heard = await store.last_heard_at(region)
            return heard is not None and heard > datetime.now(UTC) - timedelta(minutes=1)

        await eventually(heard_lately, interval=0.5, what="heard at the broker's append time")
    finally:
        await producer.stop()
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


async def _nothing_to_prepare() -> None:
    return None
