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
from services.queue_gate.handlers.region_gate import GatePolicy, RegionGate, read_region_gate
from services.queue_gate.ports import (
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


class BacklogFullError(Exception):
    def __init__(self, region_code: str, cap: int) -> None:
        super().__init__(f"region {region_code} already has {cap} submissions waiting")
        self.region_code = region_code
        self.cap = cap


@dataclass(frozen=True)
class IntakeDeps:
    submissions: SubmissionStore
    statuses: RegionStatusStore
    controls: RegionControlStore
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


async def accept_submission(
    request: SubmissionRequest, *, idempotency_key: str, deps: IntakeDeps, now: datetime
) -> Acceptance:
    fingerprint = submission_fingerprint(request)
    earlier = await deps.submissions.by_idempotency_key(idempotency_key)
    if earlier is not None:
        return _replay(earlier, fingerprint)
    gate = await read_region_gate(
        request.region_code,
        statuses=deps.statuses,
        controls=deps.controls,
        policy=deps.policy,
        now=now,
    )
    if not gate.lets_through and gate.intake_mode is IntakeMode.REJECT:
        raise RegionRejectingError(gate, _retry_after(gate, deps.reject_retry_after, now))
    if await deps.submissions.backlog(request.region_code) >= deps.backlog_cap:
        raise BacklogFullError(request.region_code, deps.backlog_cap)
    ticket_id = new_ticket_id()
    try:
        stored = await deps.submissions.add(
            NewSubmission(
                ticket_id=ticket_id,
                region_code=request.region_code,
                service_type=request.service_type.value,
                applicant_key=applicant_key(request.applicant.nik, secret=deps.applicant_secret),
                idempotency_key=idempotency_key,
                body_fingerprint=fingerprint,
                sealed_payload=deps.sealer.seal(siak_payload(request), ticket_id=ticket_id),
                state=state_on_acceptance(
                    GateState.OPEN if gate.lets_through else GateState.CLOSED
                ),
            )
        )
    except DuplicateIdempotencyKeyError:
        raced = await deps.submissions.by_idempotency_key(idempotency_key)
        assert raced is not None
        return _replay(raced, fingerprint)
    return Acceptance(stored, replayed=False, gate=gate)


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
