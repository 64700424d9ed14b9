"""Intake over each store: the same Idempotency-Key answers its ticket, another body conflicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.queue_gate.domain.idempotency import IdempotencyConflictError
from services.queue_gate.domain.region_gate import IntakeMode
from services.queue_gate.domain.submission import SubmissionRequest
from services.queue_gate.handlers.intake import Acceptance, IntakeDeps, accept_submission
from services.queue_gate.handlers.region_gate import GatePolicy, StoredGates
from tests.contract.conftest import Stores, take_regions, unique
from tests.unit.queue_gate.fakes import FakeSealer

POLICY = GatePolicy(
    stale_after=timedelta(minutes=1), degraded_is_open=True, default_intake_mode=IntakeMode.DEFER
)


def request(region: str, child: str = "Bayi") -> SubmissionRequest:
    return SubmissionRequest.model_validate(
        {
            "region_code": region,
            "service_type": "akta_kelahiran",
            "applicant": {"nik": "7371015205900001", "name": "Siti Rahmawati"},
            "details": {"child_name": child},
        }
    )


async def accept(
    stores: Stores,
    submission: SubmissionRequest,
    *,
    key: str,
    backlog_cap: int = 100,
    client_id: str = "portal-test",
) -> Acceptance:
    deps = IntakeDeps(
        submissions=stores.submissions,
        statuses=stores.statuses,
        controls=stores.controls,
        gates=StoredGates(stores.statuses, stores.controls, POLICY),
        sealer=FakeSealer(),
        applicant_secret=b"s" * 32,
        policy=POLICY,
        backlog_cap=backlog_cap,
        reject_retry_after=timedelta(minutes=5),
    )
    return await accept_submission(
        submission, idempotency_key=key, client_id=client_id, deps=deps, now=datetime.now(UTC)
    )


async def test_the_same_key_and_body_answer_the_same_ticket_even_once_the_line_is_full(
    stores: Stores,
) -> None:
    (region,) = take_regions(1)
    key = unique("key")
    first = await accept(stores, request(region), key=key)

    again = await accept(stores, request(region), key=key)
    when_full = await accept(stores, request(region), key=key, backlog_cap=1)

    assert not first.replayed
    for answer in (again, when_full):
        assert answer.replayed
        assert answer.submission.ticket_id == first.submission.ticket_id
    assert await stores.submissions.backlog(region) == 1


async def test_the_same_key_with_another_body_is_a_conflict_and_stores_nothing(
    stores: Stores,
) -> None:
    (region,) = take_regions(1)
    key = unique("key")
    first = await accept(stores, request(region), key=key)

    with pytest.raises(IdempotencyConflictError):
        await accept(stores, request(region, child="Bayi Lain"), key=key)

    assert await stores.submissions.backlog(region) == 1
    kept = await stores.submissions.by_idempotency_key("portal-test", key)
    assert kept is not None and kept.body_fingerprint == first.submission.body_fingerprint


@pytest.mark.parametrize("child", ["Bayi", "Bayi Lain"], ids=["same body", "another body"])
async def test_each_client_has_its_own_keys(stores: Stores, child: str) -> None:
    """Two portals numbering their requests alike: each gets its own ticket, never the other's."""
    (region,) = take_regions(1)
    key = unique("antrian")
    first = await accept(stores, request(region), key=key, client_id="portal-a")

    other = await accept(stores, request(region, child=child), key=key, client_id="portal-b")
    again = await accept(stores, request(region, child=child), key=key, client_id="portal-b")

    assert not other.replayed
    assert other.submission.ticket_id != first.submission.ticket_id
    assert again.replayed and again.submission.ticket_id == other.submission.ticket_id
    assert await stores.submissions.backlog(region) == 2
