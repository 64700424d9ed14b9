"""The submission store on PostgreSQL: group-committed intake, and the backlog kept per region."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

import asyncpg
import pytest

from services.queue_gate.adapters.postgres.submission_store import PostgresSubmissionStore
from services.queue_gate.adapters.postgres.wakeups import WAKE_CHANNEL
from services.queue_gate.domain.ticket import SubmissionState
from services.queue_gate.ports import (
    Admitted,
    BacklogFullError,
    DuplicateIdempotencyKeyError,
    NewSubmission,
)
from tests.integration.queue_gate.conftest import take_regions
from tests.support.polling import eventually

pytestmark = pytest.mark.integration


def new(
    region: str, n: int, *, applicant: str | None = None, key: str | None = None
) -> NewSubmission:
    return NewSubmission(
        ticket_id=f"tkt_{region}_{n}",
        region_code=region,
        service_type="akta_kelahiran",
        applicant_key=applicant or f"applicant-{n}",
        idempotency_key=key or f"key-{region}-{n}",
        body_fingerprint=f"body-{n}",
        sealed_payload=b"sealed",
        state=SubmissionState.DEFERRED,
        client_id="portal-test",
        data_key_id="default",
    )


async def counted_backlog(pool: asyncpg.Pool, region: str) -> int:
    counted: int = await pool.fetchval(
        "SELECT count(*) FROM submission WHERE region_code = $1 "
        "AND state IN ('queued', 'deferred', 'dispatching')",
        region,
    )
    return counted


async def test_concurrent_submissions_share_commits_and_take_places_in_line_in_seq_order(
    pool: asyncpg.Pool,
) -> None:
    regions = take_regions(2)
    store = PostgresSubmissionStore(pool)
    given = [new(regions[n % 2], n) for n in range(300)]

    admitted = await asyncio.gather(*(store.add(s, backlog_cap=1_000) for s in given))

    assert store.intake_transactions < len(given)  # some requests shared a transaction
    for region in regions:
        line = sorted(
            (a for a in admitted if a.submission.region_code == region),
            key=lambda a: a.submission.seq,
        )
        # Concurrent requests may commit in any order; each one's place is its place in seq.
        assert [a.ahead for a in line] == list(range(150))
        assert await store.backlog(region) == await counted_backlog(pool, region) == 150


async def test_a_submission_is_answered_as_it_is_stored(pool: asyncpg.Pool) -> None:
    [region] = take_regions(1)
    store = PostgresSubmissionStore(pool)

    admitted = await asyncio.gather(*(store.add(new(region, n), backlog_cap=100) for n in range(5)))

    for answer in admitted:
        assert answer.submission == await store.by_ticket(answer.submission.ticket_id)


async def test_a_full_line_or_a_taken_key_refuses_only_its_own_request(
    pool: asyncpg.Pool,
) -> None:
    [region] = take_regions(1)
    store = PostgresSubmissionStore(pool)
    await store.add(new(region, 0), backlog_cap=3)

    taken_key = await asyncio.gather(
        store.add(new(region, 1), backlog_cap=3),
        store.add(new(region, 2, key=f"key-{region}-0"), backlog_cap=3),
        return_exceptions=True,
    )
    # Two waiting, room for one more: whichever comes first of three gets it.
    full_line = await asyncio.gather(
        *(store.add(new(region, n), backlog_cap=3) for n in (3, 4, 5)), return_exceptions=True
    )

    assert isinstance(taken_key[0], Admitted)
    assert isinstance(taken_key[1], DuplicateIdempotencyKeyError)
    assert sorted(type(outcome).__name__ for outcome in full_line) == [
        "Admitted",
        "BacklogFullError",
        "BacklogFullError",
    ]
    assert all(
        error.region_code == region and error.cap == 3
        for error in full_line
        if isinstance(error, BacklogFullError)
    )
    assert await counted_backlog(pool, region) == 3
    assert await store.backlog(region) == 3


async def test_each_row_a_batch_inserts_has_its_event_in_seq_order_as_stored_and_wakes_its_region(
    pool: asyncpg.Pool, database_url: str
) -> None:
    regions = take_regions(2)
    store = PostgresSubmissionStore(pool)
    await store.add(new(regions[0], 0), backlog_cap=100)
    listener = await asyncpg.connect(database_url)
    woken: list[str] = []
    await listener.add_listener(WAKE_CHANNEL, lambda *wake: woken.append(str(wake[3])))
    try:
        outcomes = await asyncio.gather(
            *(store.add(new(regions[n % 2], n), backlog_cap=100) for n in range(1, 9)),
            store.add(new(regions[1], 9, key=f"key-{regions[0]}-0"), backlog_cap=100),
            return_exceptions=True,
        )
        await eventually(
            lambda: _true({f"{r}:line" for r in regions} <= set(woken)), within=10, interval=0.05
        )
    finally:
        await listener.close()

    assert isinstance(outcomes[-1], DuplicateIdempotencyKeyError)
    rows = await pool.fetch(
        "SELECT ticket_id, region_code, state, updated_at FROM submission "
        "WHERE region_code = ANY($1::text[]) AND ticket_id <> $2 ORDER BY seq",
        regions,
        f"tkt_{regions[0]}_0",
    )
    events = await pool.fetch(
        "SELECT key, value FROM outbox WHERE convert_from(key, 'UTF8') = ANY($1::text[]) "
        "AND convert_from(value, 'UTF8')::jsonb -> 'data' ->> 'ticket_id' <> $2 ORDER BY id",
        regions,
        f"tkt_{regions[0]}_0",
    )
    told = [json.loads(event["value"])["data"] for event in events]
    # Only the rows inserted (not the one whose key was taken), in seq order, each told as
    # it was stored: its region (the record's key), its state and its updated_at.
    assert [e["ticket_id"] for e in told] == [row["ticket_id"] for row in rows]
    assert len(rows) == 8
    assert [event["key"].decode() for event in events] == [row["region_code"] for row in rows]
    assert [e["state"] for e in told] == [row["state"] for row in rows]
    assert [datetime.fromisoformat(e["at"]) for e in told] == [row["updated_at"] for row in rows]


async def _true(condition: bool) -> bool:
    return condition


async def test_the_kept_backlog_follows_every_way_a_submission_leaves_or_rejoins_the_line(
    pool: asyncpg.Pool,
) -> None:
    [region] = take_regions(1)
    store = PostgresSubmissionStore(pool)
    tickets = [
        (await store.add(new(region, n), backlog_cap=100)).submission.ticket_id for n in range(5)
    ]

    await store.move(tickets[0], to=SubmissionState.DISPATCHING)
    await store.move(tickets[0], to=SubmissionState.DELIVERED, expected=SubmissionState.DISPATCHING)
    await store.move(tickets[1], to=SubmissionState.PARKED, parked_reason="http_422")
    await store.move(tickets[2], to=SubmissionState.QUEUED)
    await store.defer_queued(region)
    after_moves = await store.backlog(region)
    await store.move(tickets[1], to=SubmissionState.QUEUED, expected=SubmissionState.PARKED)
    await store.move(tickets[3], to=SubmissionState.CANCELLED)
    await pool.execute("DELETE FROM submission WHERE ticket_id = $1", tickets[4])

    assert after_moves == 3
    assert await store.backlog(region) == await counted_backlog(pool, region) == 2
    assert region in await store.regions_with_waiting()
    assert (await store.backlogs())[region] == 2


async def test_a_stretch_of_the_line_is_marked_sent_delivered_or_put_back_in_three_statements(
    pool: asyncpg.Pool,
) -> None:
    [region] = take_regions(1)
    store = PostgresSubmissionStore(pool)
    for n in range(6):
        await store.add(new(region, n), backlog_cap=100)
    stretch = [s.ticket_id for s in await store.line(region, limit=4)]

    await store.mark_dispatching(stretch)
    await store.mark_delivered([(stretch[0], "SIAK-1"), (stretch[1], None)])
    await store.release(stretch[2:])

    rows = {
        row["ticket_id"]: (row["state"], row["attempts"], row["siak_reference"])
        for row in await pool.fetch(
            "SELECT ticket_id, state, attempts, siak_reference FROM submission "
            "WHERE region_code = $1",
            region,
        )
    }
    assert [rows[t] for t in stretch] == [
        ("delivered", 1, "SIAK-1"),
        ("delivered", 1, None),
        ("queued", 0, None),
        ("queued", 0, None),
    ]
    assert [s.ticket_id for s in await store.line(region, limit=10)][:2] == stretch[2:]
    assert await store.backlog(region) == await counted_backlog(pool, region) == 4
    delivered_events = await pool.fetchval(
        "SELECT count(*) FROM outbox WHERE convert_from(value, 'UTF8') LIKE '%delivered%' "
        "AND convert_from(key, 'UTF8') = $1",
        region,
    )
    assert delivered_events == 2
