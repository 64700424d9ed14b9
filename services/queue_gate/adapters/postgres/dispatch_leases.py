"""Dispatch leases as PostgreSQL session advisory locks: released the moment a replica dies."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg


class AdvisoryLease:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    def is_held(self) -> bool:
        return not self._connection.is_closed()

    async def release(self) -> None:
        # Closing the session releases its advisory locks.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._connection.close(), timeout=5)


class AdvisoryDispatchLeases:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    async def try_hold(self, region_code: str) -> AdvisoryLease | None:
        connection = await asyncpg.connect(self.database_url)
        try:
            held = await connection.fetchval(
                "SELECT pg_try_advisory_lock(hashtext('dispatch:' || $1))", region_code
            )
        except BaseException:
            await connection.close()
            raise
        if not held:
            await connection.close()
            return None
        return AdvisoryLease(connection)
