"""A gate's status consumer that kills itself (SIGKILL) once the change with a given seq of a
region is in the database, before its Kafka offset is committed: a crash at the worst moment.

    python -m tests.support.killed_status_consumer BOOTSTRAP DATABASE_URL GROUP REGION SEQ
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import asyncpg

from services.queue_gate.adapters.postgres.region_status_store import PostgresRegionStatusStore
from shared.events import StatusChanged
from tests.support.status_consumers import status_consumer

SHORT_SESSION_MS = 6000
"""The broker's least: the group waits this long for the killed member before the consumer
started in its place gets the partitions (10 s at the gate's default)."""


async def main(bootstrap: str, database_url: str, group: str, region: str, seq: int) -> None:
    async def die_once_stored(change: StatusChanged, applied: bool) -> None:
        if applied and (change.region_code, change.seq) == (region, seq):
            os.kill(os.getpid(), signal.SIGKILL)

    async with (
        asyncpg.create_pool(database_url, min_size=1, max_size=2) as pool,
        status_consumer(
            bootstrap,
            PostgresRegionStatusStore(pool),
            group_id=group,
            on_applied=die_once_stored,
            session_timeout_ms=SHORT_SESSION_MS,
        ),
    ):
        await asyncio.Event().wait()


if __name__ == "__main__":
    bootstrap, database_url, group, region, seq = sys.argv[1:]
    asyncio.run(main(bootstrap, database_url, group, region, int(seq)))
