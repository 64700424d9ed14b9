"""A ticket as a citizen sees it: state, place in line and when it should reach SIAK."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.queue_gate.domain.eta import DeliveryEstimate, estimate_delivery
from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.replay_pacing import PacingConfig
from services.queue_gate.handlers.region_gate import RegionGate, region_pacing
from services.queue_gate.ports import StoredSubmission, SubmissionStore


@dataclass(frozen=True)
class Pace:
    """How fast a region's line moves now, as its dispatcher knows it."""

    gate_state: GateState
    rate: float
    canaries_remaining: int


def assumed_pace(gate: RegionGate, pacing: PacingConfig) -> Pace:
    """For a region whose dispatcher runs elsewhere or not at all."""
    if not gate.lets_through:
        return Pace(GateState.CLOSED, 0.0, pacing.canary_count)
    return Pace(GateState.OPEN, region_pacing(gate, pacing).max_rate, 0)


async def estimate_for(
    submission: StoredSubmission,
    *,
    submissions: SubmissionStore,
    gate: RegionGate,
    pace: Pace,
    pacing: PacingConfig,
    now: datetime,
) -> DeliveryEstimate:
    ahead = await submissions.waiting_ahead(submission)
    return estimate_with(ahead, gate=gate, pace=pace, pacing=pacing, now=now)


def estimate_with(
    ahead: int | None, *, gate: RegionGate, pace: Pace, pacing: PacingConfig, now: datetime
) -> DeliveryEstimate:
    """The estimate for a ticket with `ahead` submissions before it in line."""
    return estimate_delivery(
        submissions_ahead=ahead,
        now=now,
        gate_state=pace.gate_state,
        rate=pace.rate if not gate.control.replay_paused else 0.0,
        canaries_remaining=pace.canaries_remaining,
        expected_return_at=gate.expected_return_at,
        pacing=region_pacing(gate, pacing),
    )
