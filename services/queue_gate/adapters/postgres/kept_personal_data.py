"""How long the oldest finished submission has kept its personal data, for the retention gauge."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from services.queue_gate.adapters.postgres.submission_store import (
    HOLDS_PERSONAL_DATA_ONCE_FINISHED,
)

# Through the purge's own partial index (submission_purgeable): its first entry. The age is on
# the database's clock, the one that stamped `updated_at` (decision 28).
_OLDEST_AGE = f"""
SELECT now() - min(updated_at) FROM submission WHERE {HOLDS_PERSONAL_DATA_ONCE_FINISHED}
"""


class PostgresKeptPersonalData:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def oldest_finished_age(self) -> timedelta | None:
        age: timedelta | None = await self.pool.fetchval(_OLDEST_AGE)
        return age
