"""The numbered migrations, applied from empty, give the schema the gate expects; again, nothing."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import asyncpg
import pytest

from services.queue_gate.adapters.postgres.migrator import (
    _LOCK_KEY,
    Migration,
    available_migrations,
    migrate,
)
from services.queue_gate.adapters.postgres.outbox import write_events
from services.queue_gate.bootstrap import _nothing_to_reset
from shared.events import decode_event
from shared.events.envelope import EventData
from shared.events.gate import SubmissionStateChanged
from tests.conftest import Infrastructure
from tests.support.databases import with_database
from tests.support.polling import eventually
from tests.support.tcp_proxy import HeldReplies

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
    "siak_misconfiguration": {"region_code", "status", "since"},
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


async def test_references_kept_after_a_purge_and_ceilings_below_the_floor_are_mended(
    infrastructure: Infrastructure,
) -> None:
    """Rows an earlier version left (0015): run again over them, as on an upgraded database."""
    mending = migration_named("0015_purged_references_and_rate_floor.sql")
    async with empty_database(infrastructure.database_url) as url:
        connection = await asyncpg.connect(url)
        try:
            await migrate(connection)
            await connection.execute(
                "INSERT INTO submission (ticket_id, region_code, service_type, applicant_key,"
                " idempotency_key, body_fingerprint, state, siak_reference, purged_at)"
                " VALUES ('t-purged', '73.71', 'kk', 'a', 'k1', 'purged', 'delivered', 'R-1',"
                " now()), ('t-kept', '73.71', 'kk', 'b', 'k2', 'f', 'delivered', 'R-2', NULL)"
            )
            await connection.execute(
                "INSERT INTO region_control (region_code, max_rate)"
                " VALUES ('73.71', 1e-300), ('73.72', 0.5)"
            )
            await connection.execute(
                "DELETE FROM schema_migrations WHERE version = $1", mending.version
            )

            assert await migrate(connection) == [mending.name]

            references = {
                row["ticket_id"]: row["siak_reference"]
                for row in await connection.fetch(
                    "SELECT ticket_id, siak_reference FROM submission"
                )
            }
            ceilings = {
                row["region_code"]: row["max_rate"]
                for row in await connection.fetch(
                    "SELECT region_code, max_rate FROM region_control"
                )
            }
        finally:
            await connection.close()

    assert references == {"t-purged": None, "t-kept": "R-2"}
    assert ceilings == {"73.71": 0.001, "73.72": 0.5}


async def test_siaks_words_kept_in_a_parked_reason_are_taken_out(
    infrastructure: Infrastructure,
) -> None:
    """Earlier versions kept a redacted sentence of SIAK's after the code, which could still
    hold a name (0017): only the code, with the status, stays."""
    mending = migration_named("0017_parked_reasons_without_siaks_words.sql")
    async with empty_database(infrastructure.database_url) as url:
        connection = await asyncpg.connect(url)
        try:
            await migrate(connection)
            await connection.executemany(
                "INSERT INTO submission (ticket_id, region_code, service_type, applicant_key,"
                " idempotency_key, body_fingerprint, state, parked_reason)"
                " VALUES ($1, '73.71', 'kk', $1, $1, 'f', 'parked', $2)",
                [
                    ("t-words", "siak_refused_422: nama Siti Aminah tidak cocok: NIK #"),
                    ("t-code", "siak_refused_400"),
                    ("t-unreadable", "payload_unreadable"),
                    # Versions before refusal codes kept SIAK's reason verbatim after its status.
                    ("t-verbatim", "http_422: NIK 7371011203150002 atas nama Siti Aminah"),
                    ("t-status", "http_409"),
                ],
            )
            await connection.execute(
                "DELETE FROM schema_migrations WHERE version = $1", mending.version
            )

            assert await migrate(connection) == [mending.name]

            reasons = {
                row["ticket_id"]: row["parked_reason"]
                for row in await connection.fetch("SELECT ticket_id, parked_reason FROM submission")
            }
        finally:
            await connection.close()

    assert reasons == {
        "t-words": "siak_refused_422",
        "t-code": "siak_refused_400",
        "t-unreadable": "payload_unreadable",
        "t-verbatim": "siak_refused_422",
        "t-status": "siak_refused_409",
    }


async def test_siaks_words_in_parked_events_not_yet_relayed_are_taken_out(
    infrastructure: Infrastructure,
) -> None:
    """The `parked` event an earlier version wrote beside the reason (0017): while Kafka was
    away it is still in the outbox, to be relayed after the upgrade. Only the code stays in
    it; every other event is left byte for byte, in its order."""
    mending = migration_named("0017_parked_reasons_without_siaks_words.sql")
    at = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)

    def changed(ticket_id: str, state: str, reason: str | None) -> tuple[EventData, str]:
        told = SubmissionStateChanged(
            region_code="73.71",
            ticket_id=ticket_id,
            service_type="kk",
            state=state,
            at=at,
            parked_reason=reason,
        )
        return told, "73.71"

    async with empty_database(infrastructure.database_url) as url:
        connection = await asyncpg.connect(url)
        try:
            await migrate(connection)
            await write_events(
                connection,
                [
                    changed("t-words", "parked", "siak_refused_422: NIK # atas nama Siti Aminah"),
                    changed("t-verbatim", "parked", "http_422: NIK 7371011203150002 Siti Aminah"),
                    changed("t-queued", "queued", None),
                    changed("t-code", "parked", "siak_refused_400"),
                    changed("t-unreadable", "parked", "payload_unreadable"),
                ],
            )
            before = await connection.fetch("SELECT id, topic, key, value FROM outbox ORDER BY id")
            await connection.execute(
                "DELETE FROM schema_migrations WHERE version = $1", mending.version
            )

            assert await migrate(connection) == [mending.name]

            after = await connection.fetch("SELECT id, topic, key, value FROM outbox ORDER BY id")
        finally:
            await connection.close()

    assert [row["id"] for row in after] == [row["id"] for row in before]
    assert [tuple(row) for row in after[2:]] == [tuple(row) for row in before[2:]]
    for mended, was, ticket_id in zip(
        after[:2], before[:2], ["t-words", "t-verbatim"], strict=True
    ):
        assert (mended["topic"], mended["key"]) == (was["topic"], was["key"])
        assert b"Siti Aminah" not in mended["value"]
        expected = decode_event(was["value"], SubmissionStateChanged).model_copy(
            update={"data": changed(ticket_id, "parked", "siak_refused_422")[0]}
        )
        assert decode_event(mended["value"], SubmissionStateChanged) == expected


def migration_named(name: str) -> Migration:
    [migration] = [m for m in available_migrations() if m.name == name]
    return migration


@contextlib.asynccontextmanager
async def empty_database(server_url: str) -> AsyncIterator[str]:
    name = f"migrate_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield with_database(server_url, name)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _migrate_on_start(pool: asyncpg.Pool) -> list[str]:
    """As the gate does when it starts: on a connection of its pool."""
    async with pool.acquire() as connection:
        return await migrate(connection)


async def _applied(connection: asyncpg.Connection) -> int:
    if await connection.fetchval("SELECT to_regclass('schema_migrations')") is None:
        return 0
    count: int = await connection.fetchval("SELECT count(*) FROM schema_migrations")
    return count


async def test_a_migration_cancelled_at_any_round_trip_leaves_another_replica_free_to_migrate(
    infrastructure: Infrastructure,
) -> None:
    # A start-up stopped (a deploy rolled back, a probe's deadline) while a reply is on its
    # way: the migration lock must not outlive it on a pooled connection, or no replica would
    # ever migrate again. As the repair of backlog counts (test_backlog_counts.py).
    address = urlsplit(infrastructure.database_url)
    assert address.hostname is not None and address.port is not None
    stalls = HeldReplies(address.hostname, address.port)
    every = [migration.name for migration in available_migrations()]
    async with stalls.serving() as port, empty_database(infrastructure.database_url) as url:
        stalled_url = (
            urlsplit(url)
            ._replace(netloc=f"{address.netloc.rpartition('@')[0]}@127.0.0.1:{port}")
            .geturl()
        )
        other = await asyncpg.connect(url)
        try:
            for round_trip in itertools.count(1):
                if await _applied(other):
                    await other.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                async with asyncpg.create_pool(
                    stalled_url, min_size=1, max_size=1, reset=_nothing_to_reset
                ) as pool:
                    stalls.arm(after=round_trip)
                    starting = asyncio.create_task(_migrate_on_start(pool))
                    held = asyncio.create_task(stalls.holding.wait())
                    await asyncio.wait([starting, held], return_when=asyncio.FIRST_COMPLETED)
                    held.cancel()
                    if starting.done():
                        stalls.release()
                        assert starting.result() == every  # each round trip was stalled once
                        break
                    starting.cancel()
                    stalls.release()
                    with contextlib.suppress(asyncio.CancelledError):
                        await starting

                    async def lock_free() -> bool:
                        # The replica's own pool stays open: only the lock's release counts.
                        free: bool = await other.fetchval(
                            "SELECT pg_try_advisory_lock($1)", _LOCK_KEY
                        )
                        if free:
                            await other.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
                        return free

                    await eventually(
                        lock_free,
                        within=10,
                        what=f"the migration lock free after a cancel at round trip {round_trip}",
                    )
                    # All or nothing: none of its migrations, or all if its commit got through.
                    assert await _applied(other) in (0, len(every))
        finally:
            await other.close()
    assert round_trip > 3
