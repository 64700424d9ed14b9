"""/metrics answers within the scrape's time while every pooled PostgreSQL connection is busy,
with the values it last read."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from prometheus_client import REGISTRY

from services.queue_gate.adapters.postgres.connecting import PostgresClient
from services.queue_gate.adapters.postgres.migrator import migrate
from services.queue_gate.adapters.postgres.misconfiguration_flags import (
    PostgresMisconfigurationFlags,
)
from services.queue_gate.adapters.postgres.outbox import outbox_depth
from services.queue_gate.adapters.postgres.submission_store import PostgresSubmissionStore
from services.queue_gate.adapters.prometheus_metrics import record_read_at_scrape
from tests.conftest import Infrastructure
from tests.integration.queue_gate.test_migrations import empty_database

pytestmark = pytest.mark.integration
SCRAPE_TIMEOUT_S = 10.0
"""The ServiceMonitor's scrapeTimeout (deploy/k8s/monitoring/servicemonitor.yaml)."""
READS = ("backlog", "misconfigured", "outbox_depth")


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_a_scrape_answers_with_the_last_values_while_every_connection_is_busy(
    infrastructure: Infrastructure,
) -> None:
    async with empty_database(infrastructure.database_url) as url:
        connection = await asyncpg.connect(url)
        try:
            await migrate(connection)
        finally:
            await connection.close()
        pool = PostgresClient(url).pool(min_size=1, max_size=1)
        await pool
        try:
            flags = PostgresMisconfigurationFlags(pool)
            await flags.flag("73.71", 404)

            async def scrape() -> None:
                # The reads /metrics makes; the bound only stops a hang, nothing is timed.
                async with asyncio.timeout(SCRAPE_TIMEOUT_S):
                    await record_read_at_scrape(
                        PostgresSubmissionStore(pool), flags, lambda: outbox_depth(pool)
                    )

            await scrape()
            assert [sample("queue_gate_read_at_scrape_failed", read=r) for r in READS] == [0] * 3
            async with pool.acquire():  # intake at its peak holds every connection
                await scrape()
        finally:
            await pool.close()

    assert [sample("queue_gate_read_at_scrape_failed", read=r) for r in READS] == [1] * 3
    assert sample("queue_gate_siak_misconfigured", region="73.71", status="404") == 1
