"""What the PostgreSQL gate announcer writes to the outbox; the rest is in tests/contract."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from prometheus_client import REGISTRY

from services.queue_gate.adapters.postgres.region_control_store import (
    PostgresRegionControlStore,
)
from services.queue_gate.adapters.postgres.region_status_store import (
    PostgresGateAnnouncer,
    PostgresRegionStatusStore,
)
from services.queue_gate.adapters.postgres.wakeups import WAKE_CHANNEL, PostgresWakeups
from services.queue_gate.adapters.postgres.wal_flush import WalFlushBarrier
from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.gate_news import GateSighting
from services.queue_gate.domain.region_gate import effective_status
from shared.events import SiakStatus, StatusChanged
from shared.events.gate import GateCause
from tests.integration.queue_gate.conftest import take_regions
from tests.support.polling import eventually
from tests.support.status_store import store_change

pytestmark = pytest.mark.integration

MAKASSAR = "73.71"
STALE = timedelta(seconds=60)


def change(region: str, status: SiakStatus, *, seq: int) -> StatusChanged:
    return StatusChanged(
        region_code=region,
        status=status,
        previous_status=None,
        since=datetime.now(UTC),
        seq=seq,
    )


def sighting(seen: GateState, cause: GateCause = "siak_status") -> GateSighting:
    return GateSighting(
        region_code=MAKASSAR,
        seen=seen,
        siak_status=SiakStatus.UP if seen is not GateState.CLOSED else SiakStatus.UNKNOWN,
        cause=cause,
        reason=None,
        at=datetime.now(UTC),
    )


async def gate_events(pool: asyncpg.Pool) -> list[tuple[str, str, str]]:
    rows = await pool.fetch("SELECT value FROM outbox ORDER BY id")
    data = [json.loads(row["value"])["data"] for row in rows]
    return [(d["previous_gate_state"], d["gate_state"], d["cause"]) for d in data]


async def test_each_turn_of_a_gate_is_told_once_however_many_replicas_see_it(
    pool: asyncpg.Pool,
) -> None:
    store = PostgresRegionStatusStore(pool)
    replicas = [PostgresGateAnnouncer(pool) for _ in range(4)]
    await store_change(
        store, change(MAKASSAR, SiakStatus.UP, seq=1), announce=sighting(GateState.RECOVERING)
    )

    await asyncio.gather(*(r.announce([sighting(GateState.CLOSED, "stale")]) for r in replicas))
    await asyncio.gather(*(r.announce([sighting(GateState.RECOVERING)]) for r in replicas))
    await asyncio.gather(
        *(r.announce([sighting(GateState.OPEN, "replay_at_full_rate")]) for r in replicas)
    )

    assert await gate_events(pool) == [
        ("closed", "recovering", "siak_status"),
        ("recovering", "closed", "stale"),
        ("closed", "recovering", "siak_status"),
        ("recovering", "open", "replay_at_full_rate"),
    ]


def seen_in(region: str, seen: GateState) -> GateSighting:
    return GateSighting(
        region_code=region,
        seen=seen,
        siak_status=SiakStatus.UP if seen is not GateState.CLOSED else SiakStatus.DOWN,
        cause="siak_status",
        reason=None,
        at=datetime.now(UTC),
    )


async def test_an_applied_change_tells_the_turn_from_what_was_told_and_wakes_once(
    pool: asyncpg.Pool, database_url: str
) -> None:
    """What applying a change writes, whatever subscribers were told of its gate before; an
    ignored change (duplicate, older, of an older epoch) writes nothing and wakes no one."""
    store = PostgresRegionStatusStore(pool)
    never, recovering, opened, closed = "73.01", "73.02", "73.03", "73.04"
    announcer = PostgresGateAnnouncer(pool)
    await announcer.announce([seen_in(recovering, GateState.RECOVERING)])
    await announcer.announce([seen_in(opened, GateState.RECOVERING)])
    await announcer.announce([seen_in(opened, GateState.OPEN)])
    await announcer.announce([seen_in(closed, GateState.RECOVERING)])
    await announcer.announce([seen_in(closed, GateState.CLOSED)])
    await pool.execute("DELETE FROM outbox")
    woken: list[str] = []
    listener = await asyncpg.connect(database_url)
    await listener.add_listener(WAKE_CHANNEL, lambda *args: woken.append(str(args[3])))
    try:
        applied = [
            await store_change(
                store,
                change(never, SiakStatus.DOWN, seq=1),
                announce=seen_in(never, GateState.CLOSED),
            ),
            await store_change(
                store,
                change(recovering, SiakStatus.DOWN, seq=1),
                announce=seen_in(recovering, GateState.CLOSED),
            ),
            await store_change(
                store,
                change(opened, SiakStatus.DOWN, seq=1),
                announce=seen_in(opened, GateState.CLOSED),
            ),
            await store_change(
                store,
                change(closed, SiakStatus.UP, seq=1),
                announce=seen_in(closed, GateState.RECOVERING),
            ),
            await store_change(store, change(never, SiakStatus.UP, seq=2)),  # nothing to tell
        ]
        ignored = [
            await store_change(
                store,
                change(closed, SiakStatus.DOWN, seq=1),
                announce=seen_in(closed, GateState.CLOSED),
            ),
            await store_change(
                store,
                change(opened, SiakStatus.UP, seq=1),
                announce=seen_in(opened, GateState.RECOVERING),
            ),
        ]
        await store_change(
            store, change(never, SiakStatus.DOWN, seq=3).model_copy(update={"epoch": 1})
        )
        older_epoch = await store_change(
            store,
            change(never, SiakStatus.UP, seq=9),
            announce=seen_in(never, GateState.RECOVERING),
        )
        told = {
            row["region_code"]: row["gate_state"]
            for row in await pool.fetch("SELECT region_code, gate_state FROM gate_told")
        }
        await pool.execute("SELECT pg_notify($1, 'end')", WAKE_CHANNEL)
        await eventually(lambda: _ended(woken), within=10, interval=0.01, what="the wake-ups")
    finally:
        await listener.close()

    assert applied == [True, True, True, True, True]
    assert ignored == [False, False] and older_epoch is False
    assert await gate_events(pool) == [
        ("recovering", "closed", "siak_status"),
        ("open", "closed", "siak_status"),
        ("closed", "recovering", "siak_status"),
    ]
    assert told.get(never) is None  # never told: no news in a closing gate
    assert [told[recovering], told[opened], told[closed]] == ["closed", "closed", "recovering"]
    assert woken == [
        f"{never}:gate",
        f"{recovering}:gate",
        f"{opened}:gate",
        f"{closed}:gate",
        f"{never}:gate",
        f"{never}:gate",
        "end",
    ]
    stored = await store.get(never)
    assert stored is not None and (stored.epoch, stored.seq) == (1, 3)


async def _ended(woken: list[str]) -> bool:
    return bool(woken) and woken[-1] == "end"


async def test_a_turn_told_by_a_change_and_by_replicas_at_once_is_told_once(
    pool: asyncpg.Pool,
) -> None:
    store = PostgresRegionStatusStore(pool)
    replicas = [PostgresGateAnnouncer(pool) for _ in range(3)]

    for seq, seen in enumerate((GateState.RECOVERING, GateState.CLOSED) * 3, start=1):
        status = SiakStatus.UP if seen is GateState.RECOVERING else SiakStatus.DOWN
        await asyncio.gather(
            store_change(store, change(MAKASSAR, status, seq=seq), announce=sighting(seen)),
            *(r.announce([sighting(seen)]) for r in replicas),
        )

    assert (
        await gate_events(pool)
        == [
            ("closed", "recovering", "siak_status"),
            ("recovering", "closed", "siak_status"),
        ]
        * 3
    )


async def test_the_wake_up_of_a_status_change_names_the_process_that_applied_it(
    pool: asyncpg.Pool, database_url: str
) -> None:
    here = PostgresRegionStatusStore(pool, origin="here")
    there = PostgresRegionStatusStore(pool, origin="there")
    heard: list[tuple[str, bool, bool]] = []
    connected = asyncio.Event()

    async def on_connected() -> None:
        connected.set()

    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(database_url)

    wakeups = PostgresWakeups(connect, origin="here")
    listening = asyncio.create_task(wakeups.listen(lambda *wake: heard.append(wake), on_connected))
    try:
        await asyncio.wait_for(connected.wait(), timeout=10)
        await store_change(here, change("73.01", SiakStatus.UP, seq=1))
        await store_change(there, change("73.02", SiakStatus.UP, seq=1))
        await PostgresRegionControlStore(pool).change("73.03", {}, reason="test", actor="op")
        await store_change(here, change("73.01", SiakStatus.UP, seq=1))  # a duplicate: no wake-up

        async def all_heard() -> bool:
            return len(heard) >= 3

        await eventually(all_heard, within=10, interval=0.01, what="three wake-ups")
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)

    assert heard == [("73.01", True, True), ("73.02", True, False), ("73.03", True, False)]


async def test_a_status_change_commits_without_its_flush_and_the_barrier_flushes_it(
    pool: asyncpg.Pool,
) -> None:
    store = PostgresRegionStatusStore(pool)
    async with pool.acquire() as connection:
        # Inside a transaction of the caller's, to see what the function set for it.
        async with connection.transaction():
            await connection.fetchval(
                "SELECT store_status_change('73.04', 'UP', 1, now(), NULL, NULL, 0, 'quiet', '',"
                " 'topic', '{}', '{}', '{}', '{}', '{}')"
            )
            in_it = await connection.fetchval("SHOW synchronous_commit")
        after_it = await connection.fetchval("SHOW synchronous_commit")
    assert (in_it, after_it) == ("off", "on")  # that transaction only

    assert await store.apply_controlled(change("73.04", SiakStatus.DOWN, seq=2), announce={})
    # Past the change's commit record: it was written before this was read.
    written = await pool.fetchval("SELECT pg_current_wal_insert_lsn()")

    assert await WalFlushBarrier(pool).flushed() is True

    assert await pool.fetchval("SELECT pg_current_wal_flush_lsn()") >= written


@pytest.mark.parametrize("skew", [timedelta(seconds=65), timedelta(seconds=-65)])
async def test_freshness_is_judged_on_the_gates_clock_whatever_the_databases_says(
    pool: asyncpg.Pool, skew: timedelta
) -> None:
    """PostgreSQL stamps when a region was heard of; the gate host's clock judges whether that
    is stale. Ahead of the database by more than `stale_after`, it would find every region
    stale (every gate closed); behind, a silent monitor's regions would stay fresh longer."""

    def gate_clock() -> datetime:
        return datetime.now(UTC) + skew

    store = PostgresRegionStatusStore(pool, clock=gate_clock)
    [heard, silent] = take_regions(2)
    await store_change(store, change(heard, SiakStatus.UP, seq=1))
    await store_change(store, change(silent, SiakStatus.UP, seq=1))
    await pool.execute(
        "UPDATE region_status SET applied_at = now() - interval '61 seconds'"
        " WHERE region_code = $1",
        silent,
    )

    snapshot = await store.snapshot([heard, silent])
    now = gate_clock()

    def status(region: str, last_heard_at: datetime | None) -> SiakStatus:
        known = snapshot.statuses[region]
        return effective_status(known, last_heard_at=last_heard_at, now=now, stale_after=STALE)

    assert status(heard, snapshot.last_heard_at(heard)) is SiakStatus.UP
    assert status(heard, await store.last_heard_at(heard)) is SiakStatus.UP
    assert status(silent, snapshot.last_heard_at(silent)) is SiakStatus.UNKNOWN
    assert status(silent, await store.last_heard_at(silent)) is SiakStatus.UNKNOWN


async def test_each_read_measures_how_far_the_gates_clock_stands_from_the_databases(
    pool: asyncpg.Pool,
) -> None:
    """Shown in /readyz and as a gauge: a host minutes off is worth an operator's look."""

    def gate_clock() -> datetime:
        return datetime.now(UTC) - timedelta(seconds=125)

    store = PostgresRegionStatusStore(pool, clock=gate_clock)
    [region] = take_regions(1)
    unread = store.clock_gap

    await store.last_heard_at(region)

    assert unread is None
    assert store.clock_gap == timedelta(seconds=-125)
    assert REGISTRY.get_sample_value("queue_gate_database_clock_gap_seconds") == -125
