"""Submissions in PostgreSQL: committed in acceptance order per region, fetched in that order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.queue_gate.adapters.postgres.group_commit import GroupCommit
from services.queue_gate.adapters.postgres.operator_store import record_audit
from services.queue_gate.adapters.postgres.outbox import gate_record, write_events
from services.queue_gate.adapters.postgres.wakeups import (
    WAKE_CHANNEL,
    send_wake,
    wake_cause,
)
from services.queue_gate.domain.ticket import WAITING_STATES, SubmissionState
from services.queue_gate.operators.ports import AuditEntry
from services.queue_gate.ports import (
    Admitted,
    BacklogFullError,
    DuplicateIdempotencyKeyError,
    NewSubmission,
    ParkedSubmission,
    StoredSubmission,
)
from shared import topics
from shared.events.gate import SubmissionStateChanged

WAITING_SQL = "(" + ", ".join(sorted(f"'{state.value}'" for state in WAITING_STATES)) + ")"
"""The domain's waiting states as an SQL list: a submission still in its line."""
_COLUMNS = """seq, ticket_id, region_code, service_type, applicant_key, body_fingerprint, state,
    attempts, accepted_at, updated_at, delivered_at, next_attempt_at, parked_reason,
    sealed_payload, client_id, data_key_id"""
_NOT_HELD = """NOT EXISTS (
    SELECT 1 FROM submission p
     WHERE p.region_code = s.region_code AND p.applicant_key = s.applicant_key
       AND p.state = 'parked')"""
# One writer per region at a time, so `seq` order is also commit order and a dispatcher never
# sees a later submission before an earlier one commits. Regions come sorted: no deadlocks.
_LOCK_REGIONS = """
SELECT count(pg_advisory_xact_lock(hashtext('intake:' || region_code)))
  FROM unnest($1::text[]) AS region_code
"""
# The batch's regions' lines and the applicants in it who wait behind a parked submission,
# in one round trip; `now()` is the transaction's, the `updated_at` its rows will get.
_LINES_AND_HELD = """
SELECT now() AS at, lines.regions, lines.waiting,
       held.regions AS held_regions, held.applicants AS held_applicants
  FROM (SELECT array_agg(region_code) AS regions, array_agg(waiting) AS waiting
          FROM region_backlog WHERE region_code = ANY($1::text[])) AS lines,
       (SELECT array_agg(region_code) AS regions, array_agg(applicant_key) AS applicants
          FROM (SELECT DISTINCT region_code, applicant_key FROM submission
                 WHERE state = 'parked' AND region_code = ANY($1::text[])
                   AND applicant_key = ANY($2::text[])) AS parked) AS held
"""
# Rows are numbered in `seq` in the order given; a key the client already took inserts nothing.
# The events of the rows inserted go into the outbox in `seq` order, and each region with a new
# row is woken, in the same statement: one round trip instead of three. Only what PostgreSQL
# gave each row comes back (`_ADMITTED`): the rest is what was sent.
_INSERT = """
INSERT INTO submission (ticket_id, region_code, service_type, applicant_key, idempotency_key,
                        body_fingerprint, sealed_payload, state, client_id, data_key_id)
SELECT ticket_id, region_code, service_type, applicant_key, idempotency_key,
       body_fingerprint, sealed_payload, state, client_id, data_key_id
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
              $7::bytea[], $8::text[], $9::text[], $10::text[])
       WITH ORDINALITY AS given(ticket_id, region_code, service_type, applicant_key,
                                idempotency_key, body_fingerprint, sealed_payload, state,
                                client_id, data_key_id, n)
 ORDER BY n
ON CONFLICT (client_id, idempotency_key) DO NOTHING
RETURNING seq, ticket_id, region_code, accepted_at, updated_at
"""
_ADMIT = f"""
WITH stored AS ({_INSERT}),
told AS (
    INSERT INTO outbox (topic, key, value)
    SELECT $11, event.key, event.value
      FROM stored JOIN unnest($1::text[], $12::bytea[], $13::bytea[])
                       AS event(ticket_id, key, value) USING (ticket_id)
     ORDER BY stored.seq
),
woken AS (
    SELECT count(pg_notify($14, region_code || $15)) AS regions
      FROM (SELECT DISTINCT region_code FROM stored ORDER BY region_code) AS changed
)
SELECT seq, ticket_id, accepted_at, updated_at FROM stored, woken
"""
_LINE = f"""
SELECT {_COLUMNS} FROM submission s
 WHERE s.region_code = $1 AND s.state IN {WAITING_SQL} AND {_NOT_HELD}
 ORDER BY s.seq
 LIMIT $2
"""
_MARK_DISPATCHING = f"""
UPDATE submission
   SET state = 'dispatching', attempts = attempts + 1, next_attempt_at = NULL,
       last_error = NULL, updated_at = now()
 WHERE ticket_id = ANY($1::text[]) AND state IN {WAITING_SQL}
"""
_MARK_DELIVERED = """
UPDATE submission AS s
   SET state = 'delivered', siak_reference = d.siak_reference, delivered_at = now(),
       updated_at = now()
  FROM unnest($1::text[], $2::text[]) AS d(ticket_id, siak_reference)
 WHERE s.ticket_id = d.ticket_id AND s.state = 'dispatching'
RETURNING s.seq, s.ticket_id, s.region_code, s.service_type, s.updated_at
"""
_RELEASE = """
UPDATE submission SET state = 'queued', attempts = attempts - 1, updated_at = now()
 WHERE ticket_id = ANY($1::text[]) AND state = 'dispatching'
"""
_DEFER_QUEUED = """
UPDATE submission SET state = 'deferred', updated_at = now()
 WHERE region_code = $1 AND state = 'queued'
RETURNING seq, region_code, ticket_id, service_type, updated_at
"""
_AHEAD = f"""
SELECT count(*) FROM submission s
 WHERE s.region_code = $1 AND s.seq < $2 AND s.state IN {WAITING_SQL} AND {_NOT_HELD}
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


@dataclass(frozen=True)
class _Admission:
    submission: NewSubmission
    backlog_cap: int


class _Lines:
    """The regions' lines as a batch finds them, and the place each new submission takes."""

    def __init__(self, regions: list[str] | None, waiting: list[int] | None) -> None:
        self.waiting = Counter[str](dict(zip(regions or [], waiting or [], strict=True)))
        self.ahead: dict[str, int] = {}

    def refusal(self, admission: _Admission) -> BacklogFullError | None:
        region = admission.submission.region_code
        if self.waiting[region] >= admission.backlog_cap:
            return BacklogFullError(region, admission.backlog_cap)
        self.ahead[admission.submission.ticket_id] = self.waiting[region]
        self.waiting[region] += 1
        return None

    def admitted(
        self, stored: StoredSubmission | None, held: set[tuple[str, str]]
    ) -> Admitted | Exception:
        if stored is None:  # its key was taken: inserted nothing
            return DuplicateIdempotencyKeyError()
        is_held = (stored.region_code, stored.applicant_key) in held
        return Admitted(stored, ahead=None if is_held else self.ahead[stored.ticket_id])


class PostgresSubmissionStore:
    def __init__(
        self, pool: asyncpg.Pool, *, max_batch: int = 256, max_waiting: int = 2048
    ) -> None:
        self.pool = pool
        self._intake = GroupCommit[_Admission, Admitted](
            self._admit_batch, max_batch=max_batch, max_waiting=max_waiting
        )

    @property
    def intake_transactions(self) -> int:
        """How many transactions intake has committed so far (each holds one or more)."""
        return self._intake.batches

    async def add(self, submission: NewSubmission, *, backlog_cap: int) -> Admitted:
        return await self._intake.submit(_Admission(submission, backlog_cap))

    async def _admit_batch(self, batch: Sequence[_Admission]) -> list[Admitted | Exception]:
        """One transaction for the whole batch; a full line or a taken key fails only its own
        request."""
        regions = sorted({a.submission.region_code for a in batch})
        applicants = sorted({a.submission.applicant_key for a in batch})
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(_LOCK_REGIONS, regions)
            [found] = await connection.fetch(_LINES_AND_HELD, regions, applicants)
            line = _Lines(found["regions"], found["waiting"])
            held = set(
                zip(found["held_regions"] or [], found["held_applicants"] or [], strict=True)
            )
            refusals = [line.refusal(admission) for admission in batch]
            stored = await _insert(
                connection,
                [a.submission for a, refused in zip(batch, refusals, strict=True) if not refused],
                at=found["at"],
            )
        by_ticket = {s.ticket_id: s for s in stored}
        return [
            refused or line.admitted(by_ticket.get(admission.submission.ticket_id), held)
            for admission, refused in zip(batch, refusals, strict=True)
        ]

    async def by_idempotency_key(self, client_id: str, key: str) -> StoredSubmission | None:
        row = await self.pool.fetchrow(
            f"SELECT {_COLUMNS} FROM submission WHERE client_id = $1 AND idempotency_key = $2",
            client_id,
            key,
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
        count: int | None = await self.pool.fetchval(
            "SELECT waiting FROM region_backlog WHERE region_code = $1", region_code
        )
        return count or 0

    async def line(self, region_code: str, *, limit: int) -> list[StoredSubmission]:
        return [_to_submission(row) for row in await self.pool.fetch(_LINE, region_code, limit)]

    async def mark_dispatching(self, ticket_ids: list[str]) -> None:
        await self.pool.execute(_MARK_DISPATCHING, ticket_ids)

    async def mark_delivered(self, deliveries: list[tuple[str, str | None]]) -> None:
        if not deliveries:
            return
        async with self.pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(
                _MARK_DELIVERED, [t for t, _ in deliveries], [r for _, r in deliveries]
            )
            await write_events(
                connection,
                [
                    _told(*_ids(row), SubmissionState.DELIVERED, row["updated_at"])
                    for row in sorted(rows, key=lambda row: row["seq"])
                ],
            )

    async def release(self, ticket_ids: list[str]) -> None:
        if ticket_ids:
            await self.pool.execute(_RELEASE, ticket_ids)

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
            return await _move(
                connection,
                ticket_id,
                to=to,
                expected=expected,
                parked_reason=parked_reason,
                siak_reference=siak_reference,
                next_attempt_at=next_attempt_at,
                last_error=last_error,
            )

    async def move_parked(self, ticket_id: str, *, to: SubmissionState, entry: AuditEntry) -> bool:
        async with self.pool.acquire() as connection, connection.transaction():
            moved = await _move(connection, ticket_id, to=to, expected=SubmissionState.PARKED)
            if moved:
                await record_audit(connection, entry)
            return moved

    async def defer_queued(self, region_code: str) -> int:
        async with self.pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(_DEFER_QUEUED, region_code)
            await write_events(
                connection,
                [
                    _told(*_ids(row), SubmissionState.DEFERRED, row["updated_at"])
                    for row in sorted(rows, key=lambda row: row["seq"])
                ],
            )
        return len(rows)

    async def parked(
        self, region_code: str | None, *, after: int | None, limit: int
    ) -> list[ParkedSubmission]:
        rows = await self.pool.fetch(_PARKED, region_code, after, limit)
        return [ParkedSubmission(**row) for row in rows]

    async def purge_personal_data(self, *, finished_before: datetime, limit: int) -> int:
        result = await self.pool.execute(_PURGE, finished_before, limit)
        return int(result.split()[-1])

    async def backlogs(self) -> dict[str, int]:
        rows = await self.pool.fetch(
            "SELECT region_code, waiting FROM region_backlog WHERE waiting > 0 ORDER BY region_code"
        )
        return {row["region_code"]: row["waiting"] for row in rows}

    async def regions_with_waiting(self) -> list[str]:
        return list(await self.backlogs())


# The fingerprint is a hash of the body, NIK included, and SIAK's reference may echo what it was
# sent: both go with the data. SKIP LOCKED: a row held elsewhere now goes in a later batch.
HOLDS_PERSONAL_DATA_ONCE_FINISHED = (
    "state IN ('delivered', 'cancelled') AND sealed_payload IS NOT NULL"
)
"""A finished submission the retention purge has still to empty (index `submission_purgeable`)."""
_PURGE = f"""
WITH due AS (
    SELECT seq FROM submission
    WHERE {HOLDS_PERSONAL_DATA_ONCE_FINISHED} AND updated_at < $1
    ORDER BY updated_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE submission
   SET sealed_payload = NULL, body_fingerprint = 'purged', siak_reference = NULL,
       purged_at = now()
  FROM due WHERE submission.seq = due.seq
"""

# Found through the partial index of parked rows: as many as are parked, never every row.
_PARKED = """
SELECT seq, ticket_id, region_code, service_type, accepted_at, updated_at, parked_reason
  FROM submission
 WHERE state = 'parked' AND ($1::text IS NULL OR region_code = $1)
   AND ($2::bigint IS NULL OR seq > $2)
 ORDER BY seq
 LIMIT $3
"""

# Moves subscribers care about (and an operator's retry of a parked one); `dispatching` and
# the way back into line after a transient failure are the gate's own business.
_ANNOUNCED = frozenset(
    {SubmissionState.DELIVERED, SubmissionState.PARKED, SubmissionState.CANCELLED}
)


async def _insert(
    connection: Any, submissions: list[NewSubmission], *, at: datetime
) -> list[StoredSubmission]:
    """The submissions whose key was free, in `seq` order, each with its event in the outbox
    and its region woken. `at` is the transaction's `now()`: the rows' `updated_at`, so the
    events are built before the insert, as they would be from its rows."""
    if not submissions:
        return []
    events = [
        gate_record(data, key=key)
        for data, key in (
            _told(s.region_code, s.ticket_id, s.service_type, s.state, at) for s in submissions
        )
    ]
    rows = await connection.fetch(
        _ADMIT,
        [s.ticket_id for s in submissions],
        [s.region_code for s in submissions],
        [s.service_type for s in submissions],
        [s.applicant_key for s in submissions],
        [s.idempotency_key for s in submissions],
        [s.body_fingerprint for s in submissions],
        [s.sealed_payload for s in submissions],
        [s.state.value for s in submissions],
        [s.client_id for s in submissions],
        [s.data_key_id for s in submissions],
        topics.GATE_EVENTS,
        [event.key for event in events],
        [event.value for event in events],
        WAKE_CHANNEL,
        wake_cause(gate_changed=False),
    )
    given = {s.ticket_id: s for s in submissions}
    return sorted(
        (
            StoredSubmission.accepted(
                given[row["ticket_id"]],
                seq=row["seq"],
                accepted_at=row["accepted_at"],
                updated_at=row["updated_at"],
            )
            for row in rows
        ),
        key=lambda s: s.seq,
    )


async def _move(
    connection: Any,
    ticket_id: str,
    *,
    to: SubmissionState,
    expected: SubmissionState | None,
    parked_reason: str | None = None,
    siak_reference: str | None = None,
    next_attempt_at: datetime | None = None,
    last_error: str | None = None,
) -> bool:
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
        told = _told(
            region,
            ticket_id,
            moved["service_type"],
            to,
            moved["updated_at"],
            parked_reason=moved["parked_reason"],
        )
        await write_events(connection, [told])
    return True


def _ids(row: asyncpg.Record) -> tuple[str, str, str]:
    return row["region_code"], row["ticket_id"], row["service_type"]


def _told(
    region_code: str,
    ticket_id: str,
    service_type: str,
    state: SubmissionState,
    at: datetime,
    *,
    parked_reason: str | None = None,
) -> tuple[SubmissionStateChanged, str]:
    """A submission's change as subscribers get it, keyed by its region."""
    changed = SubmissionStateChanged(
        region_code=region_code,
        ticket_id=ticket_id,
        service_type=service_type,
        state=state.value,
        at=at,
        parked_reason=parked_reason,
    )
    return changed, region_code


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
        client_id=row["client_id"],
        data_key_id=row["data_key_id"],
    )
