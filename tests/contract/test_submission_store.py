"""The submission store's contract: acceptance order, held applicants, keys, backlog counts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services.queue_gate.domain.ticket import SubmissionState
from services.queue_gate.ports import (
    BacklogFullError,
    DuplicateIdempotencyKeyError,
    NewSubmission,
    StoredSubmission,
    SubmissionStore,
)
from tests.contract.conftest import Stores, take_regions, unique

_S = SubmissionState
CAP = 1_000


def new(
    region: str,
    applicant: str,
    *,
    key: str | None = None,
    state: SubmissionState = _S.QUEUED,
) -> NewSubmission:
    ticket_id = unique("tkt")
    return NewSubmission(
        ticket_id=ticket_id,
        region_code=region,
        service_type="akta_kelahiran",
        applicant_key=f"applicant-{applicant}",
        idempotency_key=key or unique("key"),
        body_fingerprint=f"body-{ticket_id}",
        sealed_payload=b"sealed",
        state=state,
        client_id="portal-test",
        data_key_id="default",
    )


async def accepted(
    store: SubmissionStore, region: str, *applicants: str, state: SubmissionState = _S.QUEUED
) -> list[str]:
    """One submission per applicant, accepted in that order; their ticket ids."""
    tickets = []
    for applicant in applicants:
        admitted = await store.add(new(region, applicant, state=state), backlog_cap=CAP)
        tickets.append(admitted.submission.ticket_id)
    return tickets


def ids(line: list[StoredSubmission]) -> list[str]:
    return [s.ticket_id for s in line]


async def stored(store: SubmissionStore, ticket_id: str) -> StoredSubmission:
    found = await store.by_ticket(ticket_id)
    assert found is not None
    return found


async def test_the_line_is_in_acceptance_order_per_region_up_to_its_limit(
    stores: Stores,
) -> None:
    store = stores.submissions
    here, there = take_regions(2)
    first = await accepted(store, here, "a")
    elsewhere = await accepted(store, there, "b")
    rest = await accepted(store, here, "c", "d")
    rest += await accepted(store, here, "e", state=_S.DEFERRED)

    line = await store.line(here, limit=10)

    assert ids(line) == first + rest
    assert [s.seq for s in line] == sorted(s.seq for s in line)
    assert ids(await store.line(here, limit=2)) == first + rest[:1]
    assert ids(await store.line(there, limit=10)) == elsewhere


async def test_an_applicant_with_a_parked_submission_waits_while_the_others_go_on(
    stores: Stores,
) -> None:
    store = stores.submissions
    (region,) = take_regions(1)
    refused, other, later = await accepted(store, region, "x", "y", "x")
    assert await store.move(refused, to=_S.PARKED, parked_reason="http_422")

    assert ids(await store.line(region, limit=10)) == [other]
    assert await store.waiting_ahead(await stored(store, later)) is None
    assert await store.waiting_ahead(await stored(store, other)) == 0
    held = await store.add(new(region, "x"), backlog_cap=CAP)
    free = await store.add(new(region, "z"), backlog_cap=CAP)
    assert held.ahead is None
    assert free.ahead == 3  # every waiting one counts, held or not
    assert await store.waiting_ahead(free.submission) == 1  # only `other` goes before it

    assert await store.move(refused, to=_S.QUEUED, expected=_S.PARKED)  # an operator's retry

    line = ids(await store.line(region, limit=10))
    assert line == [refused, other, later, held.submission.ticket_id, free.submission.ticket_id]


async def test_a_taken_idempotency_key_is_refused_and_keeps_its_first_ticket(
    stores: Stores,
) -> None:
    store = stores.submissions
    (region,) = take_regions(1)
    key = unique("key")
    first = await store.add(new(region, "a", key=key), backlog_cap=CAP)

    with pytest.raises(DuplicateIdempotencyKeyError):
        await store.add(new(region, "b", key=key), backlog_cap=CAP)

    found = await store.by_idempotency_key("portal-test", key)
    assert found is not None and found.ticket_id == first.submission.ticket_id
    assert await store.backlog(region) == 1
    assert await store.by_idempotency_key("portal-test", unique("key")) is None


async def test_a_full_line_refuses_a_new_submission_and_stores_nothing(stores: Stores) -> None:
    store = stores.submissions
    (region,) = take_regions(1)
    await accepted(store, region, "a", "b")
    refused = new(region, "c")

    with pytest.raises(BacklogFullError):
        await store.add(refused, backlog_cap=2)

    assert await store.backlog(region) == 2
    assert await store.by_ticket(refused.ticket_id) is None
    assert await store.by_idempotency_key(refused.client_id, refused.idempotency_key) is None


async def test_the_backlog_counts_what_waits_through_every_move(stores: Stores) -> None:
    store = stores.submissions
    (region,) = take_regions(1)
    sent, parked, cancelled, deferred = await accepted(store, region, "a", "b", "c", "d")
    counts = [await store.backlog(region)]

    await store.mark_dispatching([sent])
    counts.append(await store.backlog(region))  # on its way: still waiting
    await store.mark_delivered([(sent, "SIAK-1")])
    counts.append(await store.backlog(region))
    await store.move(parked, to=_S.PARKED, parked_reason="http_422")
    counts.append(await store.backlog(region))
    await store.move(parked, to=_S.QUEUED, expected=_S.PARKED)
    counts.append(await store.backlog(region))
    await store.move(cancelled, to=_S.CANCELLED)
    counts.append(await store.backlog(region))
    await store.mark_dispatching([deferred])
    await store.release([deferred])
    counts.append(await store.backlog(region))

    assert counts == [4, 4, 3, 2, 3, 2, 2]
    assert (await store.backlogs()).get(region) == 2
    assert region in await store.regions_with_waiting()


async def test_a_region_whose_line_is_empty_has_no_backlog_listed(stores: Stores) -> None:
    store = stores.submissions
    emptied, waiting = take_regions(2)
    (gone,) = await accepted(store, emptied, "a")
    await accepted(store, waiting, "b", "c")

    await store.move(gone, to=_S.CANCELLED)

    backlogs = await store.backlogs()
    assert emptied not in backlogs and backlogs[waiting] == 2
    assert await store.backlog(emptied) == 0
    assert await store.backlog(take_regions(1)[0]) == 0
    regions = await store.regions_with_waiting()
    assert emptied not in regions and waiting in regions


async def test_regions_with_waiting_are_listed_in_region_code_order_as_the_fake_did_not(
    stores: Stores,
) -> None:
    store = stores.submissions
    low, high = take_regions(2)
    await accepted(store, high, "a")
    await accepted(store, low, "b")

    regions = [r for r in await store.regions_with_waiting() if r in (low, high)]

    assert regions == [low, high]
    assert [r for r in await store.backlogs() if r in (low, high)] == [low, high]


async def test_each_send_counts_an_attempt_and_a_release_takes_it_back(stores: Stores) -> None:
    store = stores.submissions
    (region,) = take_regions(1)
    (ticket,) = await accepted(store, region, "a", state=_S.DEFERRED)

    await store.mark_dispatching([ticket])
    sending = await stored(store, ticket)
    await store.release([ticket])
    released = await stored(store, ticket)

    assert (sending.state, sending.attempts) == (_S.DISPATCHING, 1)
    assert (released.state, released.attempts) == (_S.QUEUED, 0)


async def test_only_dispatching_submissions_are_marked_delivered(stores: Stores) -> None:
    store = stores.submissions
    (region,) = take_regions(1)
    sent, waiting = await accepted(store, region, "a", "b")
    await store.mark_dispatching([sent])

    await store.mark_delivered([(sent, "SIAK-1"), (waiting, "SIAK-2")])

    delivered = await stored(store, sent)
    assert delivered.state is _S.DELIVERED and delivered.delivered_at is not None
    assert (await stored(store, waiting)).state is _S.QUEUED


async def test_a_move_from_another_state_than_expected_changes_nothing(stores: Stores) -> None:
    store = stores.submissions
    (region,) = take_regions(1)
    (ticket,) = await accepted(store, region, "a")

    assert not await store.move(ticket, to=_S.DELIVERED, expected=_S.DISPATCHING)
    assert not await store.move(unique("tkt"), to=_S.CANCELLED)

    assert (await stored(store, ticket)).state is _S.QUEUED


async def test_a_closed_regions_queued_submissions_are_deferred(stores: Stores) -> None:
    store = stores.submissions
    region, other = take_regions(2)
    queued = await accepted(store, region, "a", "b")
    (sending,) = await accepted(store, region, "c")
    (elsewhere,) = await accepted(store, other, "d")
    await store.mark_dispatching([sending])

    assert await store.defer_queued(region) == 2

    assert [(await stored(store, t)).state for t in queued] == [_S.DEFERRED, _S.DEFERRED]
    assert (await stored(store, sending)).state is _S.DISPATCHING
    assert (await stored(store, elsewhere)).state is _S.QUEUED


async def test_parked_submissions_are_listed_in_acceptance_order_with_their_reason(
    stores: Stores,
) -> None:
    store = stores.submissions
    region, other = take_regions(2)
    first, waiting, second = await accepted(store, region, "a", "b", "c")
    (elsewhere,) = await accepted(store, other, "d")
    for ticket, reason in ((second, "http_400"), (first, "http_422"), (elsewhere, "http_422")):
        await store.move(ticket, to=_S.PARKED, parked_reason=reason)

    parked = await store.parked(region, after=None, limit=100)
    everywhere = [s.ticket_id for s in await store.parked(None, after=None, limit=1000)]

    assert [(s.ticket_id, s.parked_reason) for s in parked] == [
        (first, "http_422"),
        (second, "http_400"),
    ]
    assert [t for t in everywhere if t in (first, second, elsewhere)] == [
        first,
        second,
        elsewhere,
    ]
    assert waiting not in everywhere


async def test_parked_submissions_are_paged_in_acceptance_order_without_their_payloads(
    stores: Stores,
) -> None:
    store = stores.submissions
    region, other = take_regions(2)
    tickets = await accepted(store, region, "a", "b", "c", "d", "e")
    (elsewhere,) = await accepted(store, other, "f")
    for ticket in (*reversed(tickets), elsewhere):
        await store.move(ticket, to=_S.PARKED, parked_reason="http_422")

    pages: list[list[str]] = []
    after: int | None = None
    while page := await store.parked(region, after=after, limit=2):
        pages.append([s.ticket_id for s in page])
        assert all(not hasattr(s, "sealed_payload") for s in page)  # never read for a list
        after = page[-1].seq

    assert pages == [tickets[:2], tickets[2:4], tickets[4:]]
    [first] = await store.parked(None, after=(await stored(store, tickets[0])).seq, limit=1)
    assert first.ticket_id == tickets[1]  # every region's, in the same order


async def test_personal_data_of_finished_submissions_is_purged_and_the_rest_kept(
    stores: Stores,
) -> None:
    store = stores.submissions
    (region,) = take_regions(1)
    delivered, cancelled, waiting = await accepted(store, region, "a", "b", "c")
    await store.mark_dispatching([delivered])
    await store.mark_delivered([(delivered, None)])
    await store.move(cancelled, to=_S.CANCELLED)

    purged = await store.purge_personal_data(
        finished_before=datetime.now(UTC) + timedelta(minutes=1), limit=1000
    )

    assert purged >= 2  # on PostgreSQL, other cases' finished ones go too
    for ticket in (delivered, cancelled):
        gone = await stored(store, ticket)
        assert (gone.sealed_payload, gone.body_fingerprint) == (None, "purged")
    kept = await stored(store, waiting)
    assert kept.sealed_payload == b"sealed" and kept.body_fingerprint.startswith("body-")


async def test_a_purge_takes_at_most_its_limit_oldest_first(stores: Stores) -> None:
    """Each purge is one short transaction: after a long outage, millions of rows are due
    together, and one statement for all of them would outlast the command timeout."""
    store = stores.submissions
    cutoff = datetime.now(UTC) + timedelta(minutes=1)
    while await store.purge_personal_data(finished_before=cutoff, limit=1000):
        pass  # other cases' finished ones, so that only this case's are due
    (region,) = take_regions(1)
    tickets = await accepted(store, region, "a", "b", "c")
    for ticket in tickets:
        await store.move(ticket, to=_S.CANCELLED)

    purged = [await store.purge_personal_data(finished_before=cutoff, limit=2) for _ in "123"]

    assert purged == [2, 1, 0]
    for ticket in tickets:
        assert (await stored(store, ticket)).sealed_payload is None


async def test_a_full_line_refuses_before_the_key_is_looked_at_as_the_fake_did_not(
    stores: Stores,
) -> None:
    store = stores.submissions
    (region,) = take_regions(1)
    key = unique("key")
    await store.add(new(region, "a", key=key), backlog_cap=CAP)

    # Intake answers both alike (it looks the key up); the fake raised the other one.
    with pytest.raises(BacklogFullError):
        await store.add(new(region, "b", key=key), backlog_cap=1)


async def test_a_release_dates_the_submission_anew_as_the_fake_did_not(stores: Stores) -> None:
    store = stores.submissions
    (region,) = take_regions(1)
    (ticket,) = await accepted(store, region, "a")
    await store.mark_dispatching([ticket])
    sending = await stored(store, ticket)

    await store.release([ticket])

    assert (await stored(store, ticket)).updated_at > sending.updated_at


async def test_only_a_parked_submission_of_the_same_region_holds_its_applicant(
    stores: Stores,
) -> None:
    store = stores.submissions
    region, other = take_regions(2)
    (refused,) = await accepted(store, region, "x")
    (elsewhere,) = await accepted(store, other, "x")
    (cancelled,) = await accepted(store, other, "y")
    (later,) = await accepted(store, other, "y")
    await store.move(refused, to=_S.PARKED, parked_reason="http_422")
    await store.move(cancelled, to=_S.PARKED, parked_reason="http_422")

    await store.move(cancelled, to=_S.CANCELLED, expected=_S.PARKED)  # an operator gave up

    assert ids(await store.line(other, limit=10)) == [elsewhere, later]
    assert await store.waiting_ahead(await stored(store, later)) == 1


async def test_submissions_accepted_at_once_each_take_their_own_place_in_line(
    stores: Stores,
) -> None:
    store = stores.submissions
    (region,) = take_regions(1)
    await accepted(store, region, "first")

    admitted = await asyncio.gather(
        *(store.add(new(region, f"a{n}"), backlog_cap=CAP) for n in range(20))
    )

    in_seq = sorted(admitted, key=lambda a: a.submission.seq)
    assert [a.ahead for a in in_seq] == list(range(1, 21))
    line = ids(await store.line(region, limit=100))
    assert line[1:] == [a.submission.ticket_id for a in in_seq]
    assert await store.backlog(region) == 21
