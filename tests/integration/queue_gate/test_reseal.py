"""The re-sealing command against PostgreSQL: rows it cannot open are named and left, rows
the gate holds are skipped and taken by a later run, nothing else about a row changes."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.queue_gate.adapters.postgres.resealing import PostgresResealer
from services.queue_gate.adapters.postgres.submission_store import PostgresSubmissionStore
from services.queue_gate.adapters.sealing import DataKeyring
from services.queue_gate.domain.ticket import SubmissionState
from services.queue_gate.ports import NewSubmission
from services.queue_gate.reseal import reseal_all
from tests.integration.queue_gate.conftest import take_regions

pytestmark = pytest.mark.integration

OLD, NEW = b"o" * 32, b"n" * 32


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    async with asyncpg.create_pool(database_url, min_size=1, max_size=3) as created:
        yield created


async def stored(pool: asyncpg.Pool, region: str, sealer: DataKeyring, key_id: str) -> str:
    ticket_id = f"tkt_{uuid.uuid4().hex[:22]}"
    await PostgresSubmissionStore(pool).add(
        NewSubmission(
            ticket_id=ticket_id,
            region_code=region,
            service_type="akta_kelahiran",
            applicant_key=f"applicant-{ticket_id}",
            idempotency_key=f"key-{ticket_id}",
            body_fingerprint="body",
            sealed_payload=sealer.seal(ticket_id.encode(), ticket_id=ticket_id),
            state=SubmissionState.DEFERRED,
            client_id="portal-test",
            data_key_id=key_id,
        ),
        backlog_cap=1000,
    )
    return ticket_id


async def test_rows_the_gate_holds_wait_for_a_later_run_and_unknown_keys_are_named(
    pool: asyncpg.Pool,
) -> None:
    [region] = take_regions(1)
    before = DataKeyring({"old": OLD, "lost": b"l" * 32}, current="old")
    old = [await stored(pool, region, before, "old") for _ in range(5)]
    before = DataKeyring({"old": OLD, "lost": b"l" * 32}, current="lost")
    lost = await stored(pool, region, before, "lost")
    rows_before = await pool.fetch(
        "SELECT ticket_id, state, updated_at FROM submission WHERE region_code = $1", region
    )
    rotated = DataKeyring({"old": OLD, "new": NEW}, current="new")
    resealer = PostgresResealer(pool, rotated, batch_size=2)
    out = io.StringIO()

    async with pool.acquire() as holder, holder.transaction():
        # The gate holds one row (a dispatcher marking it) throughout the first run.
        await holder.execute("SELECT 1 FROM submission WHERE ticket_id = $1 FOR UPDATE", old[2])
        busy = await reseal_all(resealer, passes=2, pause_s=0.01, out=out)
        left_busy = await resealer.left()
    again = await reseal_all(resealer, passes=2, pause_s=0.01, out=out)

    assert busy == 1 and left_busy == {"old": 1, "lost": 1}
    assert again == 1 and await resealer.left() == {"lost": 1}  # the lost key is still missing
    assert f"not re-sealed: {lost} (data_key_unknown)" in out.getvalue()
    rows = await pool.fetch(
        "SELECT ticket_id, state, updated_at, data_key_id, sealed_payload FROM submission "
        "WHERE region_code = $1",
        region,
    )
    by_ticket = {row["ticket_id"]: row for row in rows}
    for ticket_id in old:
        row = by_ticket[ticket_id]
        assert row["data_key_id"] == "new"
        opened = rotated.unseal(row["sealed_payload"], ticket_id=ticket_id, key_id="new")
        assert opened == ticket_id.encode()
    assert by_ticket[lost]["data_key_id"] == "lost"
    assert {(r["ticket_id"], r["state"], r["updated_at"]) for r in rows_before} == {
        (r["ticket_id"], r["state"], r["updated_at"]) for r in rows
    }
