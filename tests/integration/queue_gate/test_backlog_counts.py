"""Backlog counts that drifted from their lines are found and repaired, and counted."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from importlib import resources
from urllib.parse import urlsplit

import asyncpg
import pytest
from prometheus_client import REGISTRY

from services.queue_gate.adapters.postgres.backlog_counts import PostgresBacklogCounts
from services.queue_gate.adapters.postgres.migrator import MIGRATIONS_PACKAGE
from services.queue_gate.adapters.postgres.submission_store import PostgresSubmissionStore
from services.queue_gate.backlog_reconciliation import reconcile_backlogs
from services.queue_gate.bootstrap import _nothing_to_reset
from tests.integration.queue_gate.conftest import take_regions
from tests.integration.queue_gate.test_submission_store import counted_backlog, new
from tests.support.polling import eventually
from tests.support.tcp_proxy import HeldReplies

pytestmark = pytest.mark.integration


def repairs_counted(region: str) -> float:
    sample = REGISTRY.get_sample_value(
        "queue_gate_backlog_drift_repaired_total", {"region": region}
    )
    return sample or 0.0


async def recorded_backlog(pool: asyncpg.Pool, region: str) -> int:
    recorded: int | None = await pool.fetchval(
        "SELECT waiting FROM region_backlog WHERE region_code = $1", region
    )
    return recorded or 0


async def drifted_regions(pool: asyncpg.Pool) -> list[str]:
    """Three regions with a line of 3, their counts set wrong: too low, too high, missing."""
    low, high, missing = regions = take_regions(3)
    store = PostgresSubmissionStore(pool)
    for region in regions:
        for n in range(3):
            await store.add(new(region, n), backlog_cap=100)
    await pool.execute("UPDATE region_backlog SET waiting = 0 WHERE region_code = $1", low)
    await pool.execute("UPDATE region_backlog SET waiting = 7 WHERE region_code = $1", high)
    await pool.execute("DELETE FROM region_backlog WHERE region_code = $1", missing)
    return regions


async def test_drifted_counts_are_repaired_and_each_repair_counted(pool: asyncpg.Pool) -> None:
    low, high, missing = await drifted_regions(pool)
    before = {region: repairs_counted(region) for region in (low, high, missing)}

    repaired = await reconcile_backlogs(PostgresBacklogCounts(pool))

    assert {low: 3, high: -4, missing: 3}.items() <= repaired.items()
    for region in (low, high, missing):
        assert await recorded_backlog(pool, region) == await counted_backlog(pool, region) == 3
        assert repairs_counted(region) == before[region] + 1
    assert await PostgresBacklogCounts(pool).repair_drift() == {}


async def test_two_processes_repairing_at_once_correct_each_drift_once(pool: asyncpg.Pool) -> None:
    # Every gate process (GATE_WORKERS, replicas) reconciles as it starts, so at once.
    regions = await drifted_regions(pool)

    await asyncio.gather(*(PostgresBacklogCounts(pool).repair_drift() for _ in range(2)))

    for region in regions:
        assert await recorded_backlog(pool, region) == await counted_backlog(pool, region) == 3


async def test_a_repair_cancelled_at_any_round_trip_leaves_the_next_repair_free_to_run(
    pool: asyncpg.Pool, database_url: str
) -> None:
    # Cancelled (a stop, a command timeout) while a reply is on its way: whatever it holds on
    # the server must not outlive it, or no process would ever repair again.
    address = urlsplit(database_url)
    assert address.hostname is not None and address.port is not None
    stalls = HeldReplies(address.hostname, address.port)
    async with stalls.serving() as port:
        userinfo = address.netloc.rpartition("@")[0]
        stalled_url = address._replace(netloc=f"{userinfo}@127.0.0.1:{port}").geturl()
        # As the gate's pool: a connection goes back to it with no reset query.
        async with asyncpg.create_pool(
            stalled_url, min_size=1, max_size=1, reset=_nothing_to_reset
        ) as stalled_pool:
            for round_trip in itertools.count(1):
                regions = await drifted_regions(pool)
                stalls.arm(after=round_trip)
                repair = asyncio.create_task(PostgresBacklogCounts(stalled_pool).repair_drift())
                held = asyncio.create_task(stalls.holding.wait())
                await asyncio.wait([repair, held], return_when=asyncio.FIRST_COMPLETED)
                held.cancel()
                if repair.done():
                    stalls.release()
                    assert repair.result()  # every round trip was stalled and cancelled once
                    break
                repair.cancel()
                stalls.release()
                with contextlib.suppress(asyncio.CancelledError):
                    await repair

                async def repaired_elsewhere(regions: list[str] = regions) -> bool:
                    await PostgresBacklogCounts(pool).repair_drift()
                    for region in regions:
                        if await recorded_backlog(pool, region) != 3:
                            return False
                    return True

                await eventually(
                    repaired_elsewhere,
                    within=10,
                    what=f"another process repairing after a cancel at round trip {round_trip}",
                )
    assert round_trip > 3


async def test_migration_0006_counts_every_line_again(pool: asyncpg.Pool) -> None:
    regions = await drifted_regions(pool)
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(_migration_0006())

    for region in regions:
        assert await recorded_backlog(pool, region) == 3
    assert await PostgresBacklogCounts(pool).repair_drift() == {}


async def test_migration_0006_counts_only_once_writers_in_flight_have_committed(
    pool: asyncpg.Pool, database_url: str
) -> None:
    [region] = take_regions(1)
    store = PostgresSubmissionStore(pool)
    for n in range(2):
        await store.add(new(region, n), backlog_cap=100)
    writer = await asyncpg.connect(database_url)
    migrating = await asyncpg.connect(database_url)
    try:
        writing = writer.transaction()
        await writing.start()
        await writer.execute(
            "UPDATE submission SET state = 'cancelled' WHERE ticket_id = $1", f"tkt_{region}_0"
        )
        recount = asyncio.create_task(_apply_0006(migrating))

        async def recount_waits() -> bool:
            waiting: int = await pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'",
                migrating.get_server_pid(),
            )
            return waiting == 1

        await eventually(recount_waits, within=10, what="the recount waiting for the writer")
        await writing.commit()
        await recount
    finally:
        await writer.close()
        await migrating.close()

    assert await recorded_backlog(pool, region) == await counted_backlog(pool, region) == 1


async def _apply_0006(connection: asyncpg.Connection) -> None:
    async with connection.transaction():
        await connection.execute(_migration_0006())


def _migration_0006() -> str:
    return (
        resources.files(MIGRATIONS_PACKAGE).joinpath("0006_recount_region_backlog.sql").read_text()
    )
