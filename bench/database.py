"""The bench's direct work in PostgreSQL: emptying, seeding with COPY, counting, statistics."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from bench.payloads import ROW_COLUMNS, RowFactory

_WAITING = "('queued', 'deferred', 'dispatching')"
SEED_CHUNK = 20_000


async def connect(database_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(database_url, timeout=30, command_timeout=600)


async def empty_submissions(connection: asyncpg.Connection) -> None:
    """Forget every submission and pending event, and let the planner see the empty table."""
    await connection.execute("TRUNCATE submission, outbox")
    await connection.execute("VACUUM ANALYZE submission")


async def seed_deferred(
    connection: asyncpg.Connection,
    rows: RowFactory,
    regions: Sequence[str],
    count: int,
    *,
    key_prefix: str,
    keep_order: bool = True,
) -> dict[str, list[str]]:
    """`count` deferred rows dealt round-robin over `regions`; each region's tickets in order
    (unless `keep_order` is False: a backlog nobody replays)."""
    order: dict[str, list[str]] = {region: [] for region in regions}
    chunk: list[tuple[object, ...]] = []
    for row in rows.rows(regions, count, key_prefix=key_prefix):
        if keep_order:
            order[str(row[1])].append(str(row[0]))
        chunk.append(row)
        if len(chunk) == SEED_CHUNK:
            await connection.copy_records_to_table("submission", records=chunk, columns=ROW_COLUMNS)
            chunk = []
    if chunk:
        await connection.copy_records_to_table("submission", records=chunk, columns=ROW_COLUMNS)
    await connection.execute("ANALYZE submission")
    return order


async def settle(connection: asyncpg.Connection) -> None:
    """Vacuumed, analysed and checkpointed: what the seeding wrote is behind the table, as
    autovacuum and checkpoints leave a backlog that built up over hours of an outage."""
    await connection.execute("VACUUM ANALYZE submission")
    # On a database server of the caller's the bench may not checkpoint: its own will come.
    with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
        await connection.execute("CHECKPOINT")


async def last_seq(connection: asyncpg.Connection) -> int:
    seq: int = await connection.fetchval("SELECT coalesce(max(seq), 0) FROM submission")
    return seq


async def clear_after(connection: asyncpg.Connection, seq: int) -> None:
    """Every submission after `seq` forgotten (a measurement's own rows), the rest settled."""
    await connection.execute("DELETE FROM submission WHERE seq > $1", seq)
    await settle(connection)


async def waiting_in(connection: asyncpg.Connection, regions: Sequence[str]) -> int:
    count: int = await connection.fetchval(
        f"SELECT count(*) FROM submission WHERE state IN {_WAITING} AND region_code = ANY($1)",
        list(regions),
    )
    return count


async def states_in(connection: asyncpg.Connection, regions: Sequence[str]) -> dict[str, int]:
    rows = await connection.fetch(
        "SELECT state, count(*) AS n FROM submission WHERE region_code = ANY($1) GROUP BY state",
        list(regions),
    )
    return {row["state"]: row["n"] for row in rows}


async def status_seq(connection: asyncpg.Connection, region: str) -> int | None:
    seq: int | None = await connection.fetchval(
        "SELECT seq FROM region_status WHERE region_code = $1", region
    )
    return seq


@dataclass(frozen=True)
class DatabaseActivity:
    """Counters of pg_stat_database: transactions, sessions opened, rows written."""

    commits: int
    sessions: int
    inserted: int
    updated: int

    def minus(self, earlier: DatabaseActivity) -> DatabaseActivity:
        return DatabaseActivity(
            self.commits - earlier.commits,
            self.sessions - earlier.sessions,
            self.inserted - earlier.inserted,
            self.updated - earlier.updated,
        )


async def activity(connection: asyncpg.Connection) -> DatabaseActivity:
    # Statistics are cached per transaction; clear them so two reads can differ.
    await connection.execute("SELECT pg_stat_clear_snapshot()")
    row = await connection.fetchrow(
        "SELECT xact_commit, sessions, tup_inserted, tup_updated FROM pg_stat_database "
        "WHERE datname = current_database()"
    )
    assert row is not None
    return DatabaseActivity(
        row["xact_commit"], row["sessions"], row["tup_inserted"], row["tup_updated"]
    )


async def server_version(connection: asyncpg.Connection) -> str:
    version: str = await connection.fetchval("SHOW server_version")
    return version
