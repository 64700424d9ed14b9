"""Reading a region's gate as the rest of the gate sees it: effective status under controls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.queue_gate.domain.region_gate import (
    IntakeMode,
    RegionControl,
    effective_status,
    lets_through,
)
from services.queue_gate.domain.region_status import RegionStatus
from services.queue_gate.ports import RegionControlStore, RegionStatusStore
from shared.events import SiakStatus


@dataclass(frozen=True)
class GatePolicy:
    stale_after: timedelta
    degraded_is_open: bool
    default_intake_mode: IntakeMode


@dataclass(frozen=True)
class RegionGate:
    region_code: str
    status: SiakStatus
    known: RegionStatus | None
    control: RegionControl
    lets_through: bool
    intake_mode: IntakeMode

    @property
    def expected_return_at(self) -> datetime | None:
        return self.known.expected_return_at if self.known else None


async def read_region_gate(
    region_code: str,
    *,
    statuses: RegionStatusStore,
    controls: RegionControlStore,
    policy: GatePolicy,
    now: datetime,
) -> RegionGate:
    known = await statuses.get(region_code)
    status = effective_status(
        known,
        last_heard_at=await statuses.last_heard_at(region_code),
        now=now,
        stale_after=policy.stale_after,
    )
    control = await controls.get(region_code)
    return RegionGate(
        region_code=region_code,
        status=status,
        known=known,
        control=control,
        lets_through=lets_through(status, control, degraded_is_open=policy.degraded_is_open),
        intake_mode=control.intake_mode or policy.default_intake_mode,
    )
