"""A PostgreSQL server of a test's own, that the test may kill -9 and start again."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import uuid
from collections.abc import AsyncIterator

from deploy.local.component import Paths
from deploy.local.postgres_server import PostgresServer
from tests.conftest import TEST_STATE_DIR, free_port
from tests.support.removal import remove_in_background


@contextlib.asynccontextmanager
async def own_postgres(*, database: str = "siak_gate") -> AsyncIterator[PostgresServer]:
    """A server started under the test run's state directory (where the server's user may
    read), stopped and removed at the end of the block."""
    state_dir = TEST_STATE_DIR / f"own-postgres-{uuid.uuid4().hex[:8]}"
    state_dir.mkdir(parents=True)
    server = PostgresServer(Paths(state_dir), port=free_port(), database=database)
    try:
        await asyncio.to_thread(server.ensure_running)
        yield server
    finally:
        await asyncio.to_thread(server.stop)
        remove_in_background(state_dir)
        with contextlib.suppress(OSError):  # the run's own directory, unless others use it
            TEST_STATE_DIR.rmdir()


def kill_hard(server: PostgresServer) -> None:
    """SIGKILL to the postmaster, as an operator's `kill -9` or the OOM killer would."""
    pid = server.pid()
    assert pid is not None, "the server is not running"
    os.kill(pid, signal.SIGKILL)


async def start_again(server: PostgresServer) -> None:
    await asyncio.to_thread(server.ensure_running)
