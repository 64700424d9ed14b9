"""The local stack's PostgreSQL starts again right after it was killed -9."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import pytest

from tests.support.own_postgres import kill_hard, own_postgres, start_again
from tests.support.polling import eventually

pytestmark = pytest.mark.integration

_BUSY = "SELECT count(*) FROM generate_series(1, 10000000000)"


async def test_started_right_after_a_kill_9_it_waits_for_the_old_processes_and_runs() -> None:
    async with own_postgres() as server:
        # A backend busy with a query does not notice its postmaster's death until the
        # query ends (here by its own timeout, 3 s on): the old server lingers meanwhile.
        busy = await asyncpg.connect(server.url)
        await busy.execute("SET statement_timeout = '3s'")
        query = asyncio.create_task(busy.fetchval(_BUSY))
        watcher = await asyncpg.connect(server.url)

        async def running() -> bool:
            active = await watcher.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE query = $1 AND state = 'active'",
                _BUSY,
            )
            return bool(active)

        await eventually(running, within=10, what="the busy query running")
        await watcher.close()
        kill_hard(server)

        await start_again(server)

        connection = await asyncpg.connect(server.url)
        try:
            assert await connection.fetchval("SELECT 1") == 1
        finally:
            await connection.close()
            with contextlib.suppress(Exception):
                await query
            busy.terminate()
