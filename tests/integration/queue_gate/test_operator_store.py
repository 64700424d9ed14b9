"""The console's stores in PostgreSQL: accounts, sessions with idle expiry, the audit search."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.queue_gate.adapters.postgres.operator_store import (
    PostgresActionAudit,
    PostgresConsoleSessions,
    PostgresOperatorAccounts,
)
from services.queue_gate.adapters.postgres.submission_store import PostgresSubmissionStore
from services.queue_gate.domain.ticket import SubmissionState
from services.queue_gate.handlers.operator_actions import move_parked
from services.queue_gate.operators.ports import (
    AccountExistsError,
    AuditEntry,
    ConsoleSession,
    OperatorAccount,
    Role,
)
from services.queue_gate.ports import NewSubmission
from tests.integration.queue_gate.conftest import take_regions

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
IDLE = timedelta(minutes=15)


def session(token_hash: str, *, seen: datetime) -> ConsoleSession:
    return ConsoleSession(token_hash, "ani", Role.OPERATOR, f"csrf-{token_hash}", seen)


async def test_accounts_are_unique_by_name(pool: asyncpg.Pool) -> None:
    accounts = PostgresOperatorAccounts(pool)
    account = OperatorAccount("ani", Role.VIEWER, "scrypt$16$8$1$AA$BB")
    await accounts.create(account)

    with pytest.raises(AccountExistsError):
        await accounts.create(OperatorAccount("ani", Role.OPERATOR, "scrypt$16$8$1$CC$DD"))
    assert await accounts.by_name("ani") == account
    assert await accounts.by_name("budi") is None


async def test_a_session_is_kept_while_seen_and_gone_once_idle(pool: asyncpg.Pool) -> None:
    await PostgresOperatorAccounts(pool).create(OperatorAccount("ani", Role.OPERATOR, "x"))
    sessions = PostgresConsoleSessions(pool)
    await sessions.open(session("a", seen=NOW), idle_since=NOW - IDLE)

    later = NOW + timedelta(minutes=14)
    kept = await sessions.seen("a", now=later, idle_since=later - IDLE)
    much_later = later + IDLE + timedelta(seconds=1)
    expired = await sessions.seen("a", now=much_later, idle_since=much_later - IDLE)
    rows = await pool.fetchval("SELECT count(*) FROM operator_session")

    assert kept is not None and kept.last_seen_at == later and kept.csrf_token == "csrf-a"
    assert expired is None
    assert rows == 0


async def test_opening_a_session_clears_those_idle_too_long(pool: asyncpg.Pool) -> None:
    await PostgresOperatorAccounts(pool).create(OperatorAccount("ani", Role.OPERATOR, "x"))
    sessions = PostgresConsoleSessions(pool)
    await sessions.open(session("old", seen=NOW - timedelta(hours=2)), idle_since=NOW - IDLE)
    await sessions.open(session("new", seen=NOW), idle_since=NOW - IDLE)
    await sessions.close("new")

    assert await pool.fetchval("SELECT count(*) FROM operator_session") == 0


async def test_the_audit_search_spans_region_controls_newest_first(pool: asyncpg.Pool) -> None:
    audit = PostgresActionAudit(pool)
    await audit.record(AuditEntry(NOW, "ani", "retry", "tkt_1", "data fixed", {"n": 1}))
    await pool.execute(
        "INSERT INTO region_control_audit (region_code, change, reason, changed_by, changed_at) "
        "VALUES ('73.71', $1::jsonb, '100% held', 'budi', $2)",
        json.dumps({"override": "force_closed"}),
        NOW + timedelta(minutes=1),
    )

    everything = await audit.search(None, limit=10)
    by_actor = await audit.search("BUDI", limit=10)
    literal_percent = await audit.search("100%", limit=10)
    by_detail = await audit.search("force_closed", limit=10)

    assert [(e.actor, e.action, e.subject) for e in everything] == [
        ("budi", "region_control", "73.71"),
        ("ani", "retry", "tkt_1"),
    ]
    assert everything[1].detail == {"n": 1} and everything[1].reason == "data fixed"
    assert [e.actor for e in by_actor] == ["budi"]
    assert [e.actor for e in literal_percent] == ["budi"]
    assert [e.actor for e in by_detail] == ["budi"]
    assert await audit.search("nobody did this", limit=10) == []


async def test_a_parked_move_whose_audit_entry_cannot_be_written_is_not_made(
    pool: asyncpg.Pool,
) -> None:
    submissions = PostgresSubmissionStore(pool)
    [region] = take_regions(1)
    ticket = f"tkt_{region.replace('.', '_')}_{0:016d}"
    await submissions.add(
        NewSubmission(
            ticket_id=ticket,
            region_code=region,
            service_type="akta_kelahiran",
            applicant_key="applicant-a",
            idempotency_key=f"key-{ticket}",
            body_fingerprint="body",
            sealed_payload=b"sealed",
            state=SubmissionState.QUEUED,
            client_id="portal-test",
            data_key_id="default",
        ),
        backlog_cap=100,
    )
    assert await submissions.move(ticket, to=SubmissionState.PARKED, parked_reason="SIAK_422")

    # The text refuses NUL: the audit entry fails after the move, which must go with it.
    with pytest.raises(asyncpg.CharacterNotInRepertoireError):
        await move_parked(
            ticket,
            to=SubmissionState.QUEUED,
            reason="fixed\x00",
            actor="ani",
            submissions=submissions,
            now=NOW,
        )

    kept = await submissions.by_ticket(ticket)
    assert kept is not None and kept.state is SubmissionState.PARKED
