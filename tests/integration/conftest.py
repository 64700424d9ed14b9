"""Integration fixtures: a fresh, migrated database per test on the session's server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.conftest import Infrastructure
from tests.support.databases import fresh_database

pytestmark = pytest.mark.integration


@pytest.fixture
async def database_url(infrastructure: Infrastructure) -> AsyncIterator[str]:
    async with fresh_database(infrastructure.database_url) as url:
        yield url


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(database_url, min_size=1, max_size=5) as created:
        yield created
