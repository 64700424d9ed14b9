"""A fresh, migrated database of a test's own on the test session's PostgreSQL server."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg

from services.queue_gate.adapters.postgres.migrator import migrate


def with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


@contextlib.asynccontextmanager
async def fresh_database(server_url: str, *, template: str | None = None) -> AsyncIterator[str]:
    """The URL of a new database with the gate's migrations applied; dropped on the way out.

    With `template` (the name of a database this made), the new one is a copy of it: cheaper
    than migrating again for every test, and the same schema."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        url = with_database(server_url, name)
        if template is None:
            await admin.execute(f'CREATE DATABASE "{name}"')
            connection = await asyncpg.connect(url)
            try:
                await migrate(connection)
            finally:
                await connection.close()
        else:
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        yield url
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()
