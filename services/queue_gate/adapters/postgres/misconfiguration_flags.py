"""Regions whose replay SIAK's "misconfigured" answers hold, as every replica reads them."""

from __future__ import annotations

import asyncpg

# `since` is when SIAK first answered with this status: the same answer again changes nothing.
_FLAG = """
INSERT INTO siak_misconfiguration AS flag (region_code, status) VALUES ($1, $2)
ON CONFLICT (region_code) DO UPDATE SET status = EXCLUDED.status, since = now()
 WHERE flag.status <> EXCLUDED.status
"""

# One statement, so a flag written while its region's line holds the head (the dispatcher
# puts it back in line before flagging) is never taken for one over an empty line.
_CLEAR_WHERE_NOTHING_WAITS = """
DELETE FROM siak_misconfiguration AS flag
 WHERE NOT EXISTS (SELECT 1 FROM region_backlog AS b
                    WHERE b.region_code = flag.region_code AND b.waiting > 0)
RETURNING flag.region_code
"""


class PostgresMisconfigurationFlags:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def flag(self, region_code: str, status: int) -> None:
        await self.pool.execute(_FLAG, region_code, status)

    async def clear(self, region_code: str) -> None:
        await self.pool.execute(
            "DELETE FROM siak_misconfiguration WHERE region_code = $1", region_code
        )

    async def flagged(self) -> dict[str, int]:
        rows = await self.pool.fetch("SELECT region_code, status FROM siak_misconfiguration")
        return {row["region_code"]: row["status"] for row in rows}

    async def clear_where_nothing_waits(self) -> list[str]:
        rows = await self.pool.fetch(_CLEAR_WHERE_NOTHING_WAITS)
        return sorted(row["region_code"] for row in rows)
