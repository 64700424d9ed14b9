"""Each region's backlog count checked against its line, and repaired where they differ."""

from __future__ import annotations

import asyncpg

from services.queue_gate.adapters.postgres.submission_store import WAITING_SQL

# One statement, so one snapshot (even in read committed): a trigger changes the count in the
# transaction that changes the line, so in any snapshot they agree, unless the count has drifted.
_DRIFT = f"""
SELECT coalesce(line.region_code, b.region_code) AS region_code,
       coalesce(line.waiting, 0) - coalesce(b.waiting, 0) AS drift
  FROM (SELECT region_code, count(*) AS waiting FROM submission
         WHERE state IN {WAITING_SQL}
         GROUP BY region_code) AS line
  FULL JOIN region_backlog AS b ON b.region_code = line.region_code
 WHERE coalesce(line.waiting, 0) <> coalesce(b.waiting, 0)
"""
# A correction, not a value: writes since the snapshot added their own changes meanwhile.
# In region order, as the triggers lock them.
_REPAIR = """
INSERT INTO region_backlog AS b (region_code, waiting)
SELECT region_code, drift FROM unnest($1::text[], $2::bigint[]) AS d(region_code, drift)
 ORDER BY region_code
ON CONFLICT (region_code) DO UPDATE SET waiting = b.waiting + EXCLUDED.waiting
"""
_REPAIR_LOCK = 0x5141_4243
"""Held from the check to the correction: two processes (replicas, `GATE_WORKERS`) seeing
the same drift would each add it."""


class PostgresBacklogCounts:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def repair_drift(self) -> dict[str, int]:
        """Correct every region's count that differs from its line; the corrections made.

        The check takes no lock intake waits for; one process repairs at a time, and one
        finding another at it repairs nothing. The lock is the transaction's: it ends with
        it however the call ends (a session lock outlived a call cancelled while taking it,
        on a connection the gate's pool hands out again without a reset).
        """
        async with self.pool.acquire() as connection, connection.transaction():
            if not await connection.fetchval("SELECT pg_try_advisory_xact_lock($1)", _REPAIR_LOCK):
                return {}  # another process is repairing: after it, nothing has drifted
            # Checked after the lock is taken: a repair committed just before is seen.
            rows = await connection.fetch(_DRIFT)
            drifts = {row["region_code"]: int(row["drift"]) for row in rows}
            if drifts:
                await connection.execute(_REPAIR, list(drifts), list(drifts.values()))
        return drifts
