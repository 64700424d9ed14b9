"""Region status kept in PostgreSQL; a change is applied only when its `seq` is newer."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.queue_gate.adapters.postgres.outbox import write_event
from services.queue_gate.adapters.postgres.wakeups import send_wake
from services.queue_gate.domain.region_status import RegionStatus
from services.queue_gate.ports import StatusSnapshot
from shared.events import SiakStatus, StatusChanged
from shared.events.gate import GateStateChanged

_APPLY = """
INSERT INTO region_status (region_code, status, seq, since, reason, expected_return_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (region_code) DO UPDATE
   SET status = EXCLUDED.status, seq = EXCLUDED.seq, since = EXCLUDED.since,
       reason = EXCLUDED.reason, expected_return_at = EXCLUDED.expected_return_at,
       applied_at = now()
 WHERE region_status.seq < EXCLUDED.seq
"""
_COLUMNS = "region_code, status, seq, since, reason, expected_return_at"
_LAST_HEARD = """
SELECT GREATEST(
    (SELECT applied_at FROM region_status WHERE region_code = $1),
    (SELECT max(received_at) FROM monitor_heartbeat))
"""
_HEARTBEAT = """
INSERT INTO monitor_heartbeat (monitor_id, emitted_at) VALUES ($1, $2)
ON CONFLICT (monitor_id) DO UPDATE
   SET emitted_at = EXCLUDED.emitted_at, received_at = now()
 WHERE monitor_heartbeat.emitted_at <= EXCLUDED.emitted_at
"""


class PostgresRegionStatusStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def get(self, region_code: str) -> RegionStatus | None:
        row = await self.pool.fetchrow(
            f"SELECT {_COLUMNS} FROM region_status WHERE region_code = $1", region_code
        )
        return _to_status(row) if row else None

    async def all(self) -> list[RegionStatus]:
        rows = await self.pool.fetch(f"SELECT {_COLUMNS} FROM region_status ORDER BY region_code")
        return [_to_status(row) for row in rows]

    async def apply(
        self, change: StatusChanged, *, announce: GateStateChanged | None = None
    ) -> bool:
        async with self.pool.acquire() as connection, connection.transaction():
            result = await connection.execute(
                _APPLY,
                change.region_code,
                change.status.value,
                change.seq,
                change.since,
                change.reason,
                change.expected_return_at,
            )
            applied = result == "INSERT 0 1"
            if applied:
                await send_wake(connection, change.region_code, gate_changed=True)
                if announce is not None:
                    await write_event(connection, announce, key=change.region_code)
        return applied

    async def last_heard_at(self, region_code: str) -> datetime | None:
        heard: datetime | None = await self.pool.fetchval(_LAST_HEARD, region_code)
        return heard

    async def record_heartbeat(self, monitor_id: str, emitted_at: datetime) -> None:
        await self.pool.execute(_HEARTBEAT, monitor_id, emitted_at)

    async def snapshot(self, region_codes: list[str] | None = None) -> StatusSnapshot:
        async with self.pool.acquire() as connection, connection.transaction(readonly=True):
            rows = await connection.fetch(
                f"SELECT {_COLUMNS}, applied_at FROM region_status "
                "WHERE $1::text[] IS NULL OR region_code = ANY($1::text[])",
                region_codes,
            )
            heartbeat = await connection.fetchval("SELECT max(received_at) FROM monitor_heartbeat")
        return StatusSnapshot(
            statuses={row["region_code"]: _to_status(row) for row in rows},
            applied_at={row["region_code"]: row["applied_at"] for row in rows},
            last_heartbeat_at=heartbeat,
        )


def _to_status(row: asyncpg.Record) -> RegionStatus:
    return RegionStatus(
        region_code=row["region_code"],
        status=SiakStatus(row["status"]),
        seq=row["seq"],
        since=row["since"],
        reason=row["reason"],
        expected_return_at=row["expected_return_at"],
    )


class PostgresGateAnnouncer:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def announce(self, event: GateStateChanged) -> None:
        async with self.pool.acquire() as connection:
            await write_event(connection, event, key=event.region_code)
