"""Waiting until what was committed asynchronously is on disk: one synchronous commit after it."""

from __future__ import annotations

import logging

import asyncpg

from services.queue_gate.adapters.postgres.transient import TRANSIENT_TYPES, is_transient

log = logging.getLogger(__name__)

# A transaction that writes WAL and commits synchronously flushes the WAL up to its commit
# record, and with it every record before: the commit records of all transactions committed
# before it began (WAL is one sequence). A commit that writes nothing would not flush.
FLUSH_WAL = "UPDATE wal_flush_mark SET flushed_at = now()"


class WalFlushBarrier:
    """`flushed()`: every transaction committed before the call is durable once it returns
    True (store_status_change commits without waiting for its flush)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def flushed(self) -> bool:
        """False when the database could not be asked (then nothing is known to be durable)."""
        try:
            # The server's synchronous_commit (on): a server set to off makes no commit durable.
            await self.pool.execute(FLUSH_WAL)
        except TRANSIENT_TYPES as error:
            if not is_transient(error):
                raise
            log.warning("could not flush the status changes' WAL: %s", type(error).__name__)
            return False
        return True
