"""Submissions in PostgreSQL: committed in acceptance order per region, fetched in that order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from services.queue_gate.adapters.postgres.outbox import write_event
from services.queue_gate.adapters.postgres.wakeups import send_wake
from services.queue_gate.domain.ticket import WAITING_STATES, SubmissionState
from services.queue_gate.ports import (
    DuplicateIdempotencyKeyError,
    NewSubmission,
    StoredSubmission,
)
from shared.events.gate import SubmissionStateChanged

_WAITING = "('queued', 'deferred', 'dispatching')"
_COLUMNS = """seq, ticket_id, region_code, service_type, applicant_key, body_fingerprint, state,
    attempts, accepted_at, updated_at, delivered_at, next_attempt_at, parked_reason,
    sealed_payload"""
_NOT_HELD = """NOT EXISTS (
    SELECT 1 FROM submission p
     WHERE p.region_code = s.region_code AND p.applicant_key = s.applicant_key
       AND p.state = 'parked')"""
_INSERT = f"""
INSERT INTO submission (ticket_id, region_code, service_type, applicant_key, idempotency_key,
                        body_fingerprint, sealed_payload, state)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING {_COLUMNS}
"""
_NEXT_IN_LINE = f"""
SELECT {_COLUMNS} FROM submission s
 WHERE s.region_code = $1 AND s.state IN {_WAITING} AND {_NOT_HELD}
 ORDER BY s.seq
 LIMIT 1
"""
_AHEAD = f"""
SELECT count(*) FROM submission s
 WHERE s.region_code = $1 AND s.seq < $2 AND s.state IN {_WAITING} AND {_NOT_HELD}
"""
_HELD = """
SELECT EXISTS (SELECT 1 FROM submission
                WHERE region_code = $1 AND applicant_key = $2 AND state = 'parked')
"""
_MOVE = """
UPDATE submission
   SET state = $2,
       attempts = attempts + CASE WHEN $2 = 'dispatching' THEN 1 ELSE 0 END,
       parked_reason = CASE WHEN $2 = 'parked' THEN $4 ELSE parked_reason END,
       siak_reference = COALESCE($5, siak_reference),
       next_attempt_at = $6,
       last_error = $7,
       delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END,
       updated_at = now()
 WHERE ticket_id = $1 AND ($3::text IS NULL OR state = $3)
RETURNING region_code, service_type, parked_reason, updated_at
"""


class PostgresSubmissionStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def add(self, submission: NewSubmission) -> StoredSubmission:
        try:
            return await self._insert(submission)
        except asyncpg.UniqueViolationError as error:
            if error.constraint_name == "submission_idempotency_key_key":
                raise DuplicateIdempotencyKeyError() from None
            raise

    async def _insert(self, submission: NewSubmission) -> StoredSubmission:
        async with self.pool.acquire() as connection, connection.transaction():
            # One writer per region at a time, so `seq` order is also commit order and a
            # dispatcher never sees a later submission before an earlier one commits.
            await connection.execute(
                "SELECT pg_advisory_xact_lock(hashtext('intake:' || $1))", submission.region_code
            )
            row = await connection.fetchrow(
                _INSERT,
                submission.ticket_id,
                submission.region_code,
                submission.service_type,
                submission.applicant_key,
                submission.idempotency_key,
                submission.body_fingerprint,
                submission.sealed_payload,
                submission.state.value,
            )
            assert row is not None
            stored = _to_submission(row)
            await send_wake(connection, stored.region_code, gate_changed=False)
            await _announce(
                connection,
                stored.region_code,
                ticket_id=stored.ticket_id,
                service_type=stored.service_type,
                state=stored.state.value,
                at=stored.updated_at,
            )
        return stored

    async def by_idempotency_key(self, key: str) -> StoredSubmission | None:
        row = await self.pool.fetchrow(
            f"SELECT {_COLUMNS} FROM submission WHERE idempotency_key = $1", key
        )
        return _to_submission(row) if row else None

    async def by_ticket(self, ticket_id: str) -> StoredSubmission | None:
        row = await self.pool.fetchrow(
            f"SELECT {_COLUMNS} FROM submission WHERE ticket_id = $1", ticket_id
        )
        return _to_submission(row) if row else None

    async def waiting_ahead(self, submission: StoredSubmission) -> int | None:
        if submission.state not in WAITING_STATES:
            return None
        async with self.pool.acquire() as connection:
            if await connection.fetchval(_HELD, submission.region_code, submission.applicant_key):
                return None
            ahead: int = await connection.fetchval(_AHEAD, submission.region_code, submission.seq)
        return ahead

    async def backlog(self, region_code: str) -> int:
        count: int = await self.pool.fetchval(
            f"SELECT count(*) FROM submission WHERE region_code = $1 AND state IN {_WAITING}",
            region_code,
        )
        return count

    async def next_in_line(self, region_code: str) -> StoredSubmission | None:
        row = await self.pool.fetchrow(_NEXT_IN_LINE, region_code)
        return _to_submission(row) if row else None

    async def move(
        self,
        ticket_id: str,
        *,
        to: SubmissionState,
        expected: SubmissionState | None = None,
        parked_reason: str | None = None,
        siak_reference: str | None = None,
        next_attempt_at: datetime | None = None,
        last_error: str | None = None,
    ) -> bool:
        async with self.pool.acquire() as connection, connection.transaction():
            moved = await connection.fetchrow(
                _MOVE,
                ticket_id,
                to.value,
                expected.value if expected else None,
                parked_reason,
                siak_reference,
                next_attempt_at,
                last_error,
            )
            if moved is None:
                return False
            region = moved["region_code"]
            if to in (SubmissionState.QUEUED, SubmissionState.CANCELLED):
                await send_wake(connection, region, gate_changed=False)
            if to in _ANNOUNCED or expected is SubmissionState.PARKED:
                await _announce(
                    connection,
                    region,
                    ticket_id=ticket_id,
                    service_type=moved["service_type"],
                    state=to.value,
                    at=moved["updated_at"],
                    parked_reason=moved["parked_reason"],
                )
        return True

    async def defer_queued(self, region_code: str) -> int:
        async with self.pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(
                "UPDATE submission SET state = 'deferred', updated_at = now() "
                "WHERE region_code = $1 AND state = 'queued' "
                "RETURNING ticket_id, service_type, updated_at",
                region_code,
            )
            for row in rows:
                await _announce(
                    connection,
                    region_code,
                    ticket_id=row["ticket_id"],
                    service_type=row["service_type"],
                    state="deferred",
                    at=row["updated_at"],
                )
        return len(rows)

    async def parked(self, region_code: str | None) -> list[StoredSubmission]:
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM submission WHERE state = 'parked' "
            "AND ($1::text IS NULL OR region_code = $1) ORDER BY seq",
            region_code,
        )
        return [_to_submission(row) for row in rows]

    async def purge_personal_data(self, *, finished_before: datetime) -> int:
        # The fingerprint is a hash of the body, NIK included: it goes with the data.
        result = await self.pool.execute(
            "UPDATE submission SET sealed_payload = NULL, body_fingerprint = 'purged', "
            "purged_at = now() WHERE state IN ('delivered', 'cancelled') "
            "AND sealed_payload IS NOT NULL AND updated_at < $1",
            finished_before,
        )
        return int(result.split()[-1])

    async def regions_with_waiting(self) -> list[str]:
        rows = await self.pool.fetch(
            f"SELECT DISTINCT region_code FROM submission WHERE state IN {_WAITING}"
        )
        return [row["region_code"] for row in rows]


# Moves subscribers care about (and an operator's retry of a parked one); `dispatching` and
# the way back into line after a transient failure are the gate's own business.
_ANNOUNCED = frozenset(
    {SubmissionState.DELIVERED, SubmissionState.PARKED, SubmissionState.CANCELLED}
)


async def _announce(
    connection: asyncpg.pool.PoolConnectionProxy[asyncpg.Record],
    region_code: str,
    **fields: Any,
) -> None:
    await write_event(
        connection, SubmissionStateChanged(region_code=region_code, **fields), key=region_code
    )


def _to_submission(row: asyncpg.Record) -> StoredSubmission:
    return StoredSubmission(
        seq=row["seq"],
        ticket_id=row["ticket_id"],
        region_code=row["region_code"],
        service_type=row["service_type"],
        applicant_key=row["applicant_key"],
        body_fingerprint=row["body_fingerprint"],
        state=SubmissionState(row["state"]),
        attempts=row["attempts"],
        accepted_at=row["accepted_at"],
        updated_at=row["updated_at"],
        delivered_at=row["delivered_at"],
        next_attempt_at=row["next_attempt_at"],
        parked_reason=row["parked_reason"],
        sealed_payload=row["sealed_payload"],
    )
