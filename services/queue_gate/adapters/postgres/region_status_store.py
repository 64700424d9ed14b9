"""Region status kept in PostgreSQL; a change is applied only when its (epoch, seq) is newer."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.queue_gate.adapters.postgres.outbox import gate_record, write_events
from services.queue_gate.adapters.postgres.wakeups import WAKE_CHANNEL, status_wake
from services.queue_gate.adapters.prometheus_metrics import DATABASE_CLOCK_GAP
from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.gate_news import GateSighting, gate_news
from services.queue_gate.domain.region_gate import Override
from services.queue_gate.domain.region_status import RegionStatus
from services.queue_gate.ports import StatusSnapshot
from shared import topics
from shared.clock import utc_now
from shared.events import MonitorHeartbeat, SiakStatus, StatusChanged
from shared.events.gate import GateStateChanged

# One round trip: the function (migration 0012) stores the change if its (epoch, seq) is
# newer and, only then, sends the wake-up, reads the region's override and writes the gate's
# news under it, in one transaction.
_APPLY = """
SELECT store_status_change($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
"""
_COLUMNS = "region_code, status, seq, since, reason, expected_return_at, epoch"
_LAST_HEARD = """
SELECT GREATEST(
    (SELECT applied_at FROM region_status WHERE region_code = $1),
    (SELECT heard_at FROM region_heartbeat WHERE region_code = $1)) AS heard, now() AS read_at
"""
# Regions are heard of when the heartbeat was sent (its record's time, else its own stamp),
# not when it is read: a backlog of old heartbeats must not make regions fresh. A time ahead
# of ours counts as now: else the monitor's next heartbeats, stamped after its
# clock was set back, would look older and be ignored until that future came. Where both
# places on the topic are known, a later place is news too (the monitor's clock was set back
# below ours), and the latest time is kept (an earlier place stamped later is news as well:
# the topic was recreated).
_HEARTBEAT = """
WITH taken AS (
    INSERT INTO monitor_heartbeat AS known (monitor_id, emitted_at, record_offset)
    VALUES ($1, LEAST($2, now()), $4)
    ON CONFLICT (monitor_id) DO UPDATE
       SET emitted_at = GREATEST(known.emitted_at, EXCLUDED.emitted_at),
           record_offset = EXCLUDED.record_offset, received_at = now()
     WHERE CASE WHEN known.record_offset IS NULL OR EXCLUDED.record_offset IS NULL
                THEN known.emitted_at <= EXCLUDED.emitted_at
                ELSE known.emitted_at < EXCLUDED.emitted_at
                  OR known.record_offset < EXCLUDED.record_offset END
    RETURNING monitor_id
)
INSERT INTO region_heartbeat (region_code, monitor_id, heard_at)
SELECT listed.code, taken.monitor_id, LEAST(COALESCE($5, $2), now())
  FROM taken, unnest($3::text[]) AS listed(code)
ON CONFLICT (region_code) DO UPDATE
   SET monitor_id = EXCLUDED.monitor_id, heard_at = EXCLUDED.heard_at
 WHERE region_heartbeat.heard_at <= EXCLUDED.heard_at
"""


class PostgresRegionStatusStore:
    """PostgreSQL stamps when regions were heard of (its now()); the times this store gives
    are on `clock`, the gate's, which judges them stale or not: each is moved by how far the
    gate's clock stands from the database's at the read. Else a gate host ahead of the
    database by more than `stale_after` would find every region stale (and one behind would
    keep a silent monitor's regions fresh longer)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        origin: str | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.pool = pool
        self.origin = origin
        """This process, named in the wake-up of each change it applies (see wakeups.py)."""
        self.clock = clock
        self.clock_gap: timedelta | None = None
        """The gate's clock's lead on the database's at the latest read that measured it
        (None before): shown in /readyz and as a gauge."""

    def _skew(self, database_now: datetime | None) -> timedelta:
        """How far the gate's clock stands ahead of the database's, in whole seconds: below
        that it is the read's round trip, and the same time read twice must read the same."""
        if database_now is None:
            return timedelta(0)
        gap = timedelta(seconds=round((self.clock() - database_now).total_seconds()))
        self.clock_gap = gap
        DATABASE_CLOCK_GAP.set(gap.total_seconds())
        return gap

    async def get(self, region_code: str) -> RegionStatus | None:
        row = await self.pool.fetchrow(
            f"SELECT {_COLUMNS} FROM region_status WHERE region_code = $1", region_code
        )
        return _to_status(row) if row else None

    async def all(self) -> list[RegionStatus]:
        rows = await self.pool.fetch(f"SELECT {_COLUMNS} FROM region_status ORDER BY region_code")
        return [_to_status(row) for row in rows]

    async def apply_controlled(
        self, change: StatusChanged, *, announce: Mapping[Override, GateSighting]
    ) -> Override | None:
        news = [
            (override, told, event)
            for override, sighting in announce.items()
            for told, event in _news_by_told(sighting)
        ]
        records = [gate_record(event, key=event.region_code) for _, _, event in news]
        controlled: str | None = await self.pool.fetchval(
            _APPLY,
            change.region_code,
            change.status.value,
            change.seq,
            change.since,
            change.reason,
            change.expected_return_at,
            change.epoch,
            WAKE_CHANNEL,
            status_wake(change.region_code, self.origin),
            topics.GATE_EVENTS,
            [override.value for override, _, _ in news],
            [told.value for _, told, _ in news],
            [event.gate_state for _, _, event in news],
            [record.key for record in records],
            [record.value for record in records],
        )
        return None if controlled is None else Override(controlled)

    async def last_heard_at(self, region_code: str) -> datetime | None:
        row = await self.pool.fetchrow(_LAST_HEARD, region_code)
        assert row is not None  # a SELECT of two values, without FROM
        heard: datetime | None = row["heard"]
        skew = self._skew(row["read_at"])  # measured even so: /readyz shows the gap
        return None if heard is None else heard + skew

    async def record_heartbeat(
        self,
        heartbeat: MonitorHeartbeat,
        *,
        offset: int | None = None,
        record_time: datetime | None = None,
    ) -> None:
        listed = [region.region_code for region in heartbeat.regions]
        await self.pool.execute(
            _HEARTBEAT, heartbeat.monitor_id, heartbeat.emitted_at, listed, offset, record_time
        )

    async def snapshot(self, region_codes: list[str] | None = None) -> StatusSnapshot:
        async with self.pool.acquire() as connection, connection.transaction(readonly=True):
            # now() is the transaction's: one reading of the database's clock for both.
            rows = await connection.fetch(
                f"SELECT {_COLUMNS}, applied_at, now() AS read_at FROM region_status "
                "WHERE $1::text[] IS NULL OR region_code = ANY($1::text[])",
                region_codes,
            )
            heard = await connection.fetch(
                "SELECT region_code, heard_at, now() AS read_at FROM region_heartbeat "
                "WHERE $1::text[] IS NULL OR region_code = ANY($1::text[])",
                region_codes,
            )
        skew = self._skew(rows[0]["read_at"] if rows else heard[0]["read_at"] if heard else None)
        return StatusSnapshot(
            statuses={row["region_code"]: _to_status(row) for row in rows},
            applied_at={row["region_code"]: row["applied_at"] + skew for row in rows},
            heartbeat_at={row["region_code"]: row["heard_at"] + skew for row in heard},
        )


def _news_by_told(sighting: GateSighting) -> list[tuple[GateState, GateStateChanged]]:
    """The news of `sighting` for each state subscribers may have been told (never told is
    told CLOSED): the database picks the one that matches, under the region's lock."""
    return [(told, event) for told in GateState if (event := gate_news(told, sighting))]


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

    async def announce(self, sightings: Sequence[GateSighting]) -> list[GateStateChanged]:
        if not sightings:
            return []
        async with self.pool.acquire() as connection, connection.transaction():
            return await tell_on(connection, sightings)


# Rows taken in region-code order, so replicas telling of the same regions never deadlock.
_HOLD = """
INSERT INTO gate_told (region_code) SELECT code FROM unnest($1::text[]) AS code ORDER BY code
ON CONFLICT (region_code) DO NOTHING
"""
_TOLD = """
SELECT region_code, gate_state FROM gate_told
 WHERE region_code = ANY($1::text[]) ORDER BY region_code FOR UPDATE
"""
_TELL = """
UPDATE gate_told SET gate_state = given.state, told_at = now()
  FROM unnest($1::text[], $2::text[]) AS given(code, state)
 WHERE region_code = given.code
"""


async def tell_on(
    connection: asyncpg.Connection[Any] | Any, sightings: Sequence[GateSighting]
) -> list[GateStateChanged]:
    """Inside the caller's transaction: tell subscribers (through the outbox) of each sighted
    gate that differs from what they were told, holding the region's row until commit; the
    events written."""
    codes = sorted({sighting.region_code for sighting in sightings})
    await connection.execute(_HOLD, codes)
    told: dict[str, GateState | None] = {
        row["region_code"]: GateState(row["gate_state"]) if row["gate_state"] else None
        for row in await connection.fetch(_TOLD, codes)
    }
    news = []
    for sighting in sightings:
        event = gate_news(told[sighting.region_code], sighting)
        if event is not None:
            news.append(event)
            told[sighting.region_code] = GateState(event.gate_state)
    if news:
        await write_events(connection, [(event, event.region_code) for event in news])
        latest = {event.region_code: event.gate_state for event in news}
        changed = sorted(latest)
        await connection.execute(_TELL, changed, [latest[code] for code in changed])
    return news
