"""Intake: committed before it answers, deferred behind a closed gate, idempotent per key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidTag

from services.queue_gate.adapters.sealing import DataKeyring
from services.queue_gate.domain.idempotency import IdempotencyConflictError
from services.queue_gate.domain.region_gate import IntakeMode, Override, RegionControl
from services.queue_gate.domain.submission import SubmissionRequest, submission_fingerprint
from services.queue_gate.domain.ticket import SubmissionState
from services.queue_gate.handlers.intake import (
    Acceptance,
    IntakeDeps,
    RegionRejectingError,
    accept_submission,
)
from services.queue_gate.handlers.region_gate import GatePolicy, StoredGates
from services.queue_gate.ports import Admitted, BacklogFullError, NewSubmission, Sealer
from shared.events import SiakStatus
from tests.unit.queue_gate.fakes import FakePorts, FakeSubmissionStore

MAKASSAR = "73.71"
NIK = "7371015205900001"
NAME = "Siti Rahmawati"
STALE_AFTER = timedelta(minutes=1)
POLICY = GatePolicy(
    stale_after=STALE_AFTER, degraded_is_open=True, default_intake_mode=IntakeMode.DEFER
)


def request(nik: str = NIK, child: str = "Bayi") -> SubmissionRequest:
    return SubmissionRequest.model_validate(
        {
            "region_code": MAKASSAR,
            "service_type": "akta_kelahiran",
            "applicant": {"nik": nik, "name": NAME},
            "details": {"child_name": child},
        }
    )


def deps_of(
    ports: FakePorts, *, sealer: Sealer | None = None, backlog_cap: int = 100
) -> IntakeDeps:
    return IntakeDeps(
        submissions=ports.submissions,
        statuses=ports.statuses,
        controls=ports.controls,
        gates=StoredGates(ports.statuses, ports.controls, POLICY),
        sealer=sealer or ports.sealer,
        applicant_secret=b"s" * 32,
        policy=POLICY,
        backlog_cap=backlog_cap,
        reject_retry_after=timedelta(minutes=5),
    )


async def accept(
    ports: FakePorts, submission: SubmissionRequest | None = None, *, key: str = "key-1"
) -> Acceptance:
    return await accept_submission(
        submission or request(),
        idempotency_key=key,
        client_id="portal-test",
        deps=deps_of(ports),
        now=ports.clock(),
    )


async def test_a_submission_is_deferred_while_the_region_is_down() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.DOWN)

    accepted = await accept(ports)

    assert accepted.submission.state is SubmissionState.DEFERRED
    assert accepted.replayed is False
    assert await ports.submissions.by_ticket(accepted.submission.ticket_id) == accepted.submission


async def test_a_submission_is_queued_while_the_region_is_up() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)

    assert (await accept(ports)).submission.state is SubmissionState.QUEUED


async def test_a_region_not_heard_of_for_longer_than_stale_after_counts_as_closed() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    ports.clock.advance(STALE_AFTER + timedelta(seconds=1))

    assert (await accept(ports)).submission.state is SubmissionState.DEFERRED


async def test_a_rejecting_region_refuses_until_its_expected_return() -> None:
    ports = FakePorts()
    back_at = ports.clock() + timedelta(hours=3)
    await ports.region_is(MAKASSAR, SiakStatus.MAINTENANCE, expected_return_at=back_at)
    await ports.control(MAKASSAR, RegionControl(intake_mode=IntakeMode.REJECT))

    with pytest.raises(RegionRejectingError) as refused:
        await accept(ports)

    assert refused.value.retry_after == timedelta(hours=3)
    assert await ports.submissions.backlog(MAKASSAR) == 0


async def test_a_rejecting_region_without_an_expected_return_asks_for_the_default_wait() -> None:
    ports = FakePorts()
    await ports.region_is(MAKASSAR, SiakStatus.UP)
    await ports.control(
        MAKASSAR, RegionControl(override=Override.FORCE_CLOSED, intake_mode=IntakeMode.REJECT)
    )

    with pytest.raises(RegionRejectingError) as refused:
        await accept(ports)

    assert refused.value.retry_after == timedelta(minutes=5)


async def test_a_full_backlog_refuses_new_submissions_and_stores_nothing() -> None:
    ports = FakePorts()
    for serial in (1, 2):
        await accept(ports, request(nik=f"737101520590000{serial}"), key=f"key-{serial}")

    with pytest.raises(BacklogFullError):
        await accept_submission(
            request(nik="7371015205900003"),
            idempotency_key="key-3",
            client_id="portal-test",
            deps=deps_of(ports, backlog_cap=2),
            now=ports.clock(),
        )

    assert await ports.submissions.backlog(MAKASSAR) == 2


async def test_the_same_key_and_body_answer_the_same_ticket_again() -> None:
    ports = FakePorts()
    first = await accept(ports)
    await ports.control(MAKASSAR, RegionControl(intake_mode=IntakeMode.REJECT))

    again = await accept(ports)

    assert again.submission.ticket_id == first.submission.ticket_id
    assert again.replayed is True
    assert await ports.submissions.backlog(MAKASSAR) == 1


class LosesTheRace(FakeSubmissionStore):
    """Another request commits the same key just before this one's insert."""

    rival: NewSubmission | None = None

    async def add(self, submission: NewSubmission, *, backlog_cap: int = 10**9) -> Admitted:
        if self.rival is not None:
            await super().add(self.rival)
            self.rival = None
        return await super().add(submission, backlog_cap=backlog_cap)


def racing_ports(rival_body: SubmissionRequest) -> FakePorts:
    ports = FakePorts()
    ports.submissions = LosesTheRace(ports.clock)
    ports.submissions.rival = NewSubmission(
        ticket_id="tkt_winner",
        region_code=MAKASSAR,
        service_type="akta_kelahiran",
        applicant_key="applicant",
        idempotency_key="key-1",
        body_fingerprint=submission_fingerprint(rival_body),
        sealed_payload=b"sealed",
        state=SubmissionState.DEFERRED,
        client_id="portal-test",
        data_key_id="default",
    )
    return ports


async def test_a_lost_race_on_the_key_answers_the_winners_ticket() -> None:
    ports = racing_ports(rival_body=request())

    accepted = await accept(ports)

    assert accepted.submission.ticket_id == "tkt_winner"
    assert accepted.replayed is True
    assert await ports.submissions.backlog(MAKASSAR) == 1


async def test_a_lost_race_against_another_body_is_a_conflict() -> None:
    ports = racing_ports(rival_body=request(child="Bayi Lain"))

    with pytest.raises(IdempotencyConflictError):
        await accept(ports)


async def test_personal_data_is_sealed_at_rest_bound_to_its_ticket_under_the_current_key() -> None:
    ports = FakePorts()
    sealer = DataKeyring({"old": b"o" * 32, "new": b"n" * 32}, current="new")

    accepted = await accept_submission(
        request(),
        idempotency_key="key-1",
        client_id="portal-test",
        deps=deps_of(ports, sealer=sealer),
        now=ports.clock(),
    )

    stored = accepted.submission
    assert stored.sealed_payload is not None
    assert NIK.encode() not in stored.sealed_payload
    assert NAME.encode() not in stored.sealed_payload
    assert NIK not in stored.applicant_key
    assert stored.data_key_id == "new"
    opened = sealer.unseal(stored.sealed_payload, ticket_id=stored.ticket_id, key_id="new")
    assert NIK.encode() in opened
    with pytest.raises(InvalidTag):
        sealer.unseal(stored.sealed_payload, ticket_id="tkt_someone_else", key_id="new")
    with pytest.raises(InvalidTag):
        sealer.unseal(stored.sealed_payload, ticket_id=stored.ticket_id, key_id="old")


async def test_a_new_ticket_knows_how_many_wait_before_it_unless_held_behind_a_parked_one() -> None:
    ports = FakePorts()
    await ports.waiting(MAKASSAR, "budi")
    refused = await accept(ports, request(nik="7371015205900002"), key="key-2")
    await ports.submissions.move(
        refused.submission.ticket_id, to=SubmissionState.PARKED, parked_reason="http_422"
    )

    other = await accept(ports, request(nik="7371015205900003"), key="key-3")
    same_applicant = await accept(ports, request(nik="7371015205900002"), key="key-4")

    assert refused.ahead == 1
    assert other.ahead == 1  # the parked one has left the line
    assert same_applicant.ahead is None
