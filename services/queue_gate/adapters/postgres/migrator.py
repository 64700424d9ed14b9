"""Applies the numbered SQL migrations in order, each once, in one transaction under a lock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, TypeAlias

import asyncpg

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]

MIGRATIONS_PACKAGE = "services.queue_gate.adapters.postgres.migrations"
_LOCK_KEY = 0x5141_4B47  # any constant shared by every replica running migrations
_NAME = re.compile(r"^(?P<version>[0-9]{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    found = []
    for entry in resources.files(MIGRATIONS_PACKAGE).iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match["version"]), entry.name, entry.read_text()))
    return sorted(found, key=lambda migration: migration.version)


async def migrate(connection: Connection) -> list[str]:
    """Bring the schema up to date; the names of the migrations applied now.

    One transaction under a transaction-level advisory lock: whatever ends it (a failed
    migration, a cancel while a reply is on its way, the connection lost) rolls back every
    migration of this run and releases the lock with it. A session lock would stay with a
    pooled connection that goes back to the pool without a reset, and no replica would ever
    migrate again."""
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await connection.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version    integer     PRIMARY KEY,
                   name       text        NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        applied = {
            row["version"]
            for row in await connection.fetch("SELECT version FROM schema_migrations")
        }
        done = []
        for migration in available_migrations():
            if migration.version in applied:
                continue
            await connection.execute(migration.sql)
            await connection.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
            done.append(migration.name)
        return done
