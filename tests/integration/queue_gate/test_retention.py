"""Personal data is deleted after delivery plus the retention period; the ticket stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.queue_gate.adapters.postgres.kept_personal_data import PostgresKeptPersonalData
from services.queue_gate.adapters.postgres.submission_store import PostgresSubmissionStore
from services.queue_gate.retention import purge_expired
from shared.events import SiakStatus
from tests.integration.queue_gate.conftest import Gate, nik, take_regions
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


async def test_delivered_submissions_lose_their_personal_data_after_retention(
    gate: Gate, pool: asyncpg.Pool
) -> None:
    [region] = take_regions(1)
    await gate.status.set(region, SiakStatus.DOWN)
    delivered = (await gate.submit(region, nik(401))).json()["ticket_id"]
    await gate.status.set(region, SiakStatus.UP)

    async def is_delivered() -> bool:
        return bool((await gate.ticket(delivered))["state"] == "delivered")

    await eventually(is_delivered, what="delivered")
    await gate.status.set(region, SiakStatus.DOWN)

    async def closed() -> bool:
        view = (await gate.http.get(f"{gate.url}/v1/regions/{region}")).json()
        return bool(view["siak_status"] == "DOWN")

    await eventually(closed, what="gate closed")
    waiting = (await gate.submit(region, nik(402))).json()["ticket_id"]
    store = PostgresSubmissionStore(pool)
    reference = "SELECT siak_reference FROM submission WHERE ticket_id = $1"
    assert await pool.fetchval(reference, delivered) is not None  # SIAK's, kept until then

    assert await purge_expired(store, retention=timedelta(days=30), now=datetime.now(UTC)) == 0
    later = datetime.now(UTC) + timedelta(days=31)
    assert await purge_expired(store, retention=timedelta(days=30), now=later) == 1

    rows = {
        row["ticket_id"]: row
        for row in await pool.fetch(
            "SELECT ticket_id, sealed_payload, body_fingerprint, siak_reference FROM submission"
        )
    }
    assert rows[delivered]["sealed_payload"] is None
    assert rows[delivered]["body_fingerprint"] == "purged"
    assert rows[delivered]["siak_reference"] is None  # it may echo what SIAK was sent
    assert rows[waiting]["sealed_payload"] is not None  # not delivered: still needed
    assert (await gate.ticket(delivered))["state"] == "delivered"


async def test_the_oldest_finished_submission_still_holding_personal_data_is_measured(
    gate: Gate, pool: asyncpg.Pool
) -> None:
    """On the database's clock, the one that stamped it: the gate host's may be off."""
    [region] = take_regions(1)
    await gate.status.set(region, SiakStatus.DOWN)
    ticket = (await gate.submit(region, nik(403))).json()["ticket_id"]
    await pool.execute(
        "UPDATE submission SET state = 'cancelled', updated_at = now() - interval '40 days'"
        " WHERE ticket_id = $1",
        ticket,
    )
    kept = PostgresKeptPersonalData(pool)

    held = await kept.oldest_finished_age()
    await pool.execute("UPDATE submission SET sealed_payload = NULL WHERE ticket_id = $1", ticket)
    after = await kept.oldest_finished_age()

    assert held is not None and held >= timedelta(days=40)
    assert after is None or after < timedelta(days=40)
