"""Accepting a citizen's submission: validated, committed, and only then answered."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.queue_gate.domain.applicant_key import applicant_key
from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.idempotency import ensure_same_body
from services.queue_gate.domain.region_gate import IntakeMode
from services.queue_gate.domain.submission import SubmissionRequest, submission_fingerprint
from services.queue_gate.domain.ticket import new_ticket_id, state_on_acceptance
from services.queue_gate.handlers.region_gate import GatePolicy, GateReader, RegionGate
from services.queue_gate.ports import (
    BacklogFullError,
    DuplicateIdempotencyKeyError,
    NewSubmission,
    RegionControlStore,
    RegionStatusStore,
    Sealer,
    StoredSubmission,
    SubmissionStore,
)


class RegionRejectingError(Exception):
    """The region's gate is closed and it is in reject mode."""

    def __init__(self, gate: RegionGate, retry_after: timedelta) -> None:
        super().__init__(f"region {gate.region_code} is not taking submissions now")
        self.gate = gate
        self.retry_after = retry_after


@dataclass(frozen=True)
class IntakeDeps:
    submissions: SubmissionStore
    statuses: RegionStatusStore
    controls: RegionControlStore
    gates: GateReader
    sealer: Sealer
    applicant_secret: bytes
    policy: GatePolicy
    backlog_cap: int
    reject_retry_after: timedelta


@dataclass(frozen=True)
class Acceptance:
    submission: StoredSubmission
    replayed: bool
    """True when the Idempotency-Key was seen before and its ticket is answered again."""
    gate: RegionGate | None = None
    """The region's gate as intake read it; None for a replayed ticket."""
    ahead: int | None = None
    """For a new ticket, how many waited before it in its region (None: held behind its
    applicant's parked one)."""


async def accept_submission(
    request: SubmissionRequest,
    *,
    idempotency_key: str,
    client_id: str,
    deps: IntakeDeps,
    now: datetime,
) -> Acceptance:
    """Commit a new submission, or answer the ticket its Idempotency-Key already has.

    A key seen before is looked up only when the new row cannot go in (the key is taken, the
    region refuses or its line is full): a client's retry always gets its ticket back.
    """
    fingerprint = submission_fingerprint(request)
    gate = await deps.gates.gate(request.region_code, now)
    if not gate.lets_through and gate.intake_mode is IntakeMode.REJECT:
        earlier = await _seen_before(client_id, idempotency_key, fingerprint, deps)
        if earlier is not None:
            return earlier
        raise RegionRejectingError(gate, _retry_after(gate, deps.reject_retry_after, now))
    ticket_id = new_ticket_id()
    new = NewSubmission(
        ticket_id=ticket_id,
        region_code=request.region_code,
        service_type=request.service_type.value,
        applicant_key=applicant_key(request.applicant.nik, secret=deps.applicant_secret),
        idempotency_key=idempotency_key,
        body_fingerprint=fingerprint,
        sealed_payload=deps.sealer.seal(siak_payload(request), ticket_id=ticket_id),
        state=state_on_acceptance(GateState.OPEN if gate.lets_through else GateState.CLOSED),
        client_id=client_id,
        data_key_id=deps.sealer.key_id,
    )
    try:
        admitted = await deps.submissions.add(new, backlog_cap=deps.backlog_cap)
    except (DuplicateIdempotencyKeyError, BacklogFullError):
        earlier = await _seen_before(client_id, idempotency_key, fingerprint, deps)
        if earlier is None:
            raise
        return earlier
    return Acceptance(admitted.submission, replayed=False, gate=gate, ahead=admitted.ahead)


async def _seen_before(
    client_id: str, idempotency_key: str, fingerprint: str, deps: IntakeDeps
) -> Acceptance | None:
    earlier = await deps.submissions.by_idempotency_key(client_id, idempotency_key)
    return None if earlier is None else _replay(earlier, fingerprint)


def siak_payload(request: SubmissionRequest) -> bytes:
    """What SIAK receives for the submission; sealed at rest until it is sent."""
    return json.dumps(request.model_dump(mode="json"), separators=(",", ":")).encode()


def _replay(earlier: StoredSubmission, fingerprint: str) -> Acceptance:
    ensure_same_body(stored_fingerprint=earlier.body_fingerprint, presented_fingerprint=fingerprint)
    return Acceptance(earlier, replayed=True)


def _retry_after(gate: RegionGate, default: timedelta, now: datetime) -> timedelta:
    expected = gate.expected_return_at
    if expected is not None and expected > now:
        return expected - now
    return default
