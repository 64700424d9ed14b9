"""Operators' accounts, console sessions and the audit of their actions in PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

from services.queue_gate.operators.ports import (
    AccountExistsError,
    AuditEntry,
    ConsoleSession,
    OperatorAccount,
    Role,
)

_SEEN = """
WITH gone AS (
    DELETE FROM operator_session WHERE token_hash = $1 AND last_seen_at < $3
)
UPDATE operator_session SET last_seen_at = $2
 WHERE token_hash = $1 AND last_seen_at >= $3
RETURNING token_hash, operator, role, csrf_token, last_seen_at
"""

# Region controls keep their own audit; the log an operator searches is both, newest first.
_SEARCH = """
SELECT at, actor, action, subject, reason, detail FROM (
    SELECT at, actor, action, subject, reason, detail FROM operator_action_audit
    UNION ALL
    SELECT changed_at, changed_by, 'region_control', region_code, reason, change
      FROM region_control_audit
) AS entries
 WHERE $1::text IS NULL
    OR strpos(lower(concat_ws(' ', actor, action, subject, reason, detail::text)), lower($1)) > 0
 ORDER BY at DESC
 LIMIT $2
"""


class PostgresOperatorAccounts:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create(self, account: OperatorAccount) -> None:
        try:
            await self.pool.execute(
                "INSERT INTO operator_account (name, role, password_hash) VALUES ($1, $2, $3)",
                account.name,
                account.role.value,
                account.password_hash,
            )
        except asyncpg.UniqueViolationError:
            raise AccountExistsError(account.name) from None

    async def by_name(self, name: str) -> OperatorAccount | None:
        row = await self.pool.fetchrow(
            "SELECT name, role, password_hash FROM operator_account WHERE name = $1", name
        )
        return None if row is None else OperatorAccount(row[0], Role(row[1]), row[2])


class PostgresConsoleSessions:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def open(self, session: ConsoleSession, *, idle_since: datetime) -> None:
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "DELETE FROM operator_session WHERE last_seen_at < $1", idle_since
            )
            await connection.execute(
                "INSERT INTO operator_session "
                "(token_hash, operator, role, csrf_token, last_seen_at) "
                "VALUES ($1, $2, $3, $4, $5)",
                session.token_hash,
                session.operator,
                session.role.value,
                session.csrf_token,
                session.last_seen_at,
            )

    async def seen(
        self, token_hash: str, *, now: datetime, idle_since: datetime
    ) -> ConsoleSession | None:
        row = await self.pool.fetchrow(_SEEN, token_hash, now, idle_since)
        if row is None:
            return None
        return ConsoleSession(
            token_hash=row["token_hash"],
            operator=row["operator"],
            role=Role(row["role"]),
            csrf_token=row["csrf_token"],
            last_seen_at=row["last_seen_at"],
        )

    async def close(self, token_hash: str) -> None:
        await self.pool.execute("DELETE FROM operator_session WHERE token_hash = $1", token_hash)


class PostgresActionAudit:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def record(self, entry: AuditEntry) -> None:
        async with self.pool.acquire() as connection:
            await record_audit(connection, entry)

    async def search(self, text: str | None, *, limit: int) -> list[AuditEntry]:
        rows = await self.pool.fetch(_SEARCH, text or None, limit)
        return [
            AuditEntry(
                at=row["at"],
                actor=row["actor"],
                action=row["action"],
                subject=row["subject"],
                reason=row["reason"],
                detail=json.loads(row["detail"]),
            )
            for row in rows
        ]


async def record_audit(connection: Any, entry: AuditEntry) -> None:
    """One audit entry, in the caller's transaction (with the action it records)."""
    await connection.execute(
        "INSERT INTO operator_action_audit (at, actor, action, subject, reason, detail) "
        "VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
        entry.at,
        entry.actor,
        entry.action,
        entry.subject,
        entry.reason,
        json.dumps(entry.detail, default=str),
    )
