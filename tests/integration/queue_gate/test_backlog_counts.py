"""Backlog counts that drifted from their lines are found and repaired, and counted."""

from __future__ import annotations

import asyncio
from importlib import resources

import asyncpg
import pytest
from prometheus_client import REGISTRY

from services.queue_gate.adapters.postgres.backlog_counts import PostgresBacklogCounts
from services.queue_gate.adapters.postgres.migrator import MIGRATIONS_PACKAGE
from services.queue_gate.adapters.postgres.submission_store import PostgresSubmissionStore
from services.queue_gate.backlog_reconciliation import reconcile_backlogs
from tests.integration.queue_gate.conftest import take_regions
from tests.integration.queue_gate.test_submission_store import counted_backlog, new
from tests.support.polling import eventually

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
