"""Integration fixtures: a fresh, migrated database per test on the session's server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.queue_gate.adapters.postgres.migrator import migrate
from tests.conftest import Infrastructure

pytestmark = pytest.mark.integration


def with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


@pytest.fixture
async def database_url(infrastructure: Infrastructure) -> AsyncIterator[str]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(with_database(infrastructure.database_url, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = with_database(infrastructure.database_url, name)
        connection = await asyncpg.connect(url)
        try:
            await migrate(connection)
        finally:
            await connection.close()
        yield url
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(database_url, min_size=1, max_size=5) as created:
        yield created
