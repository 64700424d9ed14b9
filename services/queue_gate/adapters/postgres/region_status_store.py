"""Region status kept in PostgreSQL; a change is applied only when its (epoch, seq) is newer."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.queue_gate.adapters.postgres.outbox import gate_record, write_event
from services.queue_gate.adapters.postgres.wakeups import WAKE_CHANNEL
from services.queue_gate.domain.region_status import RegionStatus
from services.queue_gate.ports import StatusSnapshot
from shared import topics
from shared.events import MonitorHeartbeat, SiakStatus, StatusChanged
from shared.events.gate import GateStateChanged

# One statement, so one round trip and its own transaction: the change, if its seq is newer;
# then, only if it was applied, the wake-up (sent at commit) and the gate's event.
_APPLY = """
WITH applied AS (
    INSERT INTO region_status
        (region_code, status, seq, since, reason, expected_return_at, epoch)
    VALUES ($1, $2, $3, $4, $5, $6, $11)
    ON CONFLICT (region_code) DO UPDATE
       SET status = EXCLUDED.status, seq = EXCLUDED.seq, since = EXCLUDED.since,
           reason = EXCLUDED.reason, expected_return_at = EXCLUDED.expected_return_at,
           epoch = EXCLUDED.epoch, applied_at = now()
     WHERE (region_status.epoch, region_status.seq) < (EXCLUDED.epoch, EXCLUDED.seq)
    RETURNING region_code
), woken AS (
    SELECT pg_notify($7, region_code || ':gate') FROM applied
), announced AS (
    INSERT INTO outbox (topic, key, value)
    SELECT $8, $9, $10 FROM applied WHERE $10::bytea IS NOT NULL
    RETURNING id
)
SELECT (SELECT count(*) FROM applied) AS applied, (SELECT count(*) FROM woken) AS woken
"""
_COLUMNS = "region_code, status, seq, since, reason, expected_return_at, epoch"
_LAST_HEARD = """
SELECT GREATEST(
    (SELECT applied_at FROM region_status WHERE region_code = $1),
    (SELECT heard_at FROM region_heartbeat WHERE region_code = $1))
"""
# A time ahead of ours counts as now: else the monitor's next heartbeats, stamped after its
# clock was set back, would look older and be ignored until that future came.
_HEARTBEAT = """
WITH taken AS (
    INSERT INTO monitor_heartbeat (monitor_id, emitted_at) VALUES ($1, LEAST($2, now()))
    ON CONFLICT (monitor_id) DO UPDATE
       SET emitted_at = EXCLUDED.emitted_at, received_at = now()
     WHERE monitor_heartbeat.emitted_at <= EXCLUDED.emitted_at
    RETURNING monitor_id
)
INSERT INTO region_heartbeat (region_code, monitor_id, heard_at)
SELECT listed.code, taken.monitor_id, now() FROM taken, unnest($3::text[]) AS listed(code)
ON CONFLICT (region_code) DO UPDATE
   SET monitor_id = EXCLUDED.monitor_id, heard_at = EXCLUDED.heard_at
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
        record = gate_record(announce, key=change.region_code) if announce else None
        outcome = await self.pool.fetchrow(
            _APPLY,
            change.region_code,
            change.status.value,
            change.seq,
            change.since,
            change.reason,
            change.expected_return_at,
            WAKE_CHANNEL,
            topics.GATE_EVENTS,
            record.key if record else None,
            record.value if record else None,
            change.epoch,
        )
        assert outcome is not None
        return bool(outcome["applied"] == 1)

    async def last_heard_at(self, region_code: str) -> datetime | None:
        heard: datetime | None = await self.pool.fetchval(_LAST_HEARD, region_code)
        return heard

    async def record_heartbeat(self, heartbeat: MonitorHeartbeat) -> None:
        listed = [region.region_code for region in heartbeat.regions]
        await self.pool.execute(_HEARTBEAT, heartbeat.monitor_id, heartbeat.emitted_at, listed)

    async def snapshot(self, region_codes: list[str] | None = None) -> StatusSnapshot:
        async with self.pool.acquire() as connection, connection.transaction(readonly=True):
            rows = await connection.fetch(
                f"SELECT {_COLUMNS}, applied_at FROM region_status "
                "WHERE $1::text[] IS NULL OR region_code = ANY($1::text[])",
                region_codes,
            )
            heard = await connection.fetch(
                "SELECT region_code, heard_at FROM region_heartbeat "
                "WHERE $1::text[] IS NULL OR region_code = ANY($1::text[])",
                region_codes,
            )
        return StatusSnapshot(
            statuses={row["region_code"]: _to_status(row) for row in rows},
            applied_at={row["region_code"]: row["applied_at"] for row in rows},
            heartbeat_at={row["region_code"]: row["heard_at"] for row in heard},
        )


def _to_status(row: asyncpg.Record) -> RegionStatus:
    return RegionStatus(
        region_code=row["region_code"],
        status=SiakStatus(row["status"]),
        seq=row["seq"],
        since=row["since"],
        reason=row["reason"],
        expected_return_at=row["expected_return_at"],
        epoch=row["epoch"],
    )


class PostgresGateAnnouncer:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def announce(self, event: GateStateChanged) -> None:
        async with self.pool.acquire() as connection:
            await write_event(connection, event, key=event.region_code)
