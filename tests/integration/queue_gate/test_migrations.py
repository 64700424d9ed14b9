"""The numbered migrations, applied from empty, give the schema the gate expects; again, nothing."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from services.queue_gate.adapters.postgres.migrator import available_migrations, migrate
from tests.conftest import Infrastructure
from tests.support.databases import with_database

pytestmark = pytest.mark.integration

EXPECTED_COLUMNS = {
    "region_status": {
        "region_code",
        "status",
        "seq",
        "since",
        "reason",
        "expected_return_at",
        "applied_at",
        "epoch",
    },
    "submission": {
        "seq",
        "ticket_id",
        "region_code",
        "service_type",
        "applicant_key",
        "idempotency_key",
        "body_fingerprint",
        "sealed_payload",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "parked_reason",
        "siak_reference",
        "accepted_at",
        "updated_at",
        "delivered_at",
        "purged_at",
        "client_id",
        "data_key_id",
    },
    "region_control": {
        "region_code",
        "override",
        "intake_mode",
        "replay_paused",
        "max_rate",
        "reason",
        "changed_by",
        "changed_at",
    },
    "region_control_audit": {"id", "region_code", "change", "reason", "changed_by", "changed_at"},
    "monitor_heartbeat": {"monitor_id", "emitted_at", "received_at", "record_offset"},
    "region_heartbeat": {"region_code", "monitor_id", "heard_at"},
    "gate_told": {"region_code", "gate_state", "told_at"},
    "outbox": {"id", "topic", "key", "value", "created_at"},
    "wal_flush_mark": {"only_row", "flushed_at"},
    "region_backlog": {"region_code", "waiting"},
    "client_key": {
        "key_id",
        "name",
        "digest",
        "rate_per_s",
        "burst",
        "regions",
        "created_at",
        "created_by",
        "revoked_at",
        "revoked_by",
    },
    "client_key_audit": {"id", "key_id", "action", "change", "reason", "changed_by", "changed_at"},
    "schema_migrations": {"version", "name", "applied_at"},
    "operator_account": {"name", "role", "password_hash", "created_at"},
    "operator_session": {"token_hash", "operator", "role", "csrf_token", "last_seen_at"},
    "operator_action_audit": {"id", "at", "actor", "action", "subject", "reason", "detail"},
}


async def test_migrating_from_empty_gives_the_expected_schema_and_is_idempotent(
    infrastructure: Infrastructure,
) -> None:
    name = f"migrate_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(with_database(infrastructure.database_url, "postgres"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    connection = await asyncpg.connect(with_database(infrastructure.database_url, name))
    try:
        first = await migrate(connection)
        again = await migrate(connection)
        rows = await connection.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        )
        indexes = {
            r["indexname"]
            for r in await connection.fetch(
                "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
            )
        }
    finally:
        await connection.close()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
    columns: dict[str, set[str]] = {}
    for row in rows:
        columns.setdefault(row["table_name"], set()).add(row["column_name"])
    assert columns == EXPECTED_COLUMNS
    assert first == [migration.name for migration in available_migrations()]
    assert again == []
    assert {"submission_waiting", "submission_parked"} <= indexes
