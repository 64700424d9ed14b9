"""Dispatch leases as PostgreSQL session advisory locks: released the moment a replica dies."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from services.queue_gate.adapters.postgres.connecting import Connect


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
    def __init__(self, connect: Connect) -> None:
        self.connect = connect

    async def try_hold(self, region_code: str) -> AdvisoryLease | None:
        connection = await self.connect()
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
