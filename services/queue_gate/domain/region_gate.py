"""A region's effective gate: SIAK's status, made UNKNOWN when stale, under operators' say."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.queue_gate.domain.gate import GateState, gate_state_for
from services.queue_gate.domain.region_status import RegionStatus
from shared.events import SiakStatus


class Override(StrEnum):
    AUTO = "auto"
    FORCE_OPEN = "force_open"
    FORCE_CLOSED = "force_closed"


class IntakeMode(StrEnum):
    DEFER = "defer"
    """Accept while closed; deliver when the region is back."""
    REJECT = "reject"
    """Refuse while closed, with 503 and Retry-After."""


@dataclass(frozen=True)
class RegionControl:
    """What operators set for a region; `None` means the configured default."""

    override: Override = Override.AUTO
    intake_mode: IntakeMode | None = None
    replay_paused: bool = False
    max_rate: float | None = None
    reason: str | None = None
    changed_by: str | None = None
    changed_at: datetime | None = None


def effective_status(
    known: RegionStatus | None,
    *,
    last_heard_at: datetime | None,
    now: datetime,
    stale_after: timedelta,
) -> SiakStatus:
    """Fail safe: a status nobody has confirmed for `stale_after` counts as UNKNOWN."""
    if known is None or last_heard_at is None or now - last_heard_at > stale_after:
        return SiakStatus.UNKNOWN
    return known.status


def lets_through(status: SiakStatus, control: RegionControl, *, degraded_is_open: bool) -> bool:
    """Whether submissions may go to SIAK at all (the pace is the replay pacer's business)."""
    if control.override is Override.FORCE_OPEN:
        return True
    if control.override is Override.FORCE_CLOSED:
        return False
    return gate_state_for(status, degraded_is_open=degraded_is_open) is GateState.OPEN
