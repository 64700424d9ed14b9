"""Integration fixtures: a fresh, migrated database per test on the session's server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.conftest import Infrastructure
from tests.support.databases import fresh_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
async def migrated_template(infrastructure: Infrastructure) -> AsyncIterator[str]:
    """A migrated database, migrated once per session, that each test's database copies.
    Nothing connects to it after (PostgreSQL copies a database only while no one is on it)."""
    async with fresh_database(infrastructure.database_url) as url:
        yield url.rpartition("/")[2]


@pytest.fixture
async def database_url(
    infrastructure: Infrastructure, migrated_template: str
) -> AsyncIterator[str]:
    async with fresh_database(infrastructure.database_url, template=migrated_template) as url:
        yield url


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(database_url, min_size=1, max_size=5) as created:
        yield created
