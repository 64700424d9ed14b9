"""Reading a region's gate as the rest of the gate sees it: effective status under controls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.gate_news import GateSighting
from services.queue_gate.domain.region_gate import (
    IntakeMode,
    Override,
    RegionControl,
    effective_status,
    lets_through,
)
from services.queue_gate.domain.region_status import RegionStatus
from services.queue_gate.domain.replay_pacing import PacingConfig
from services.queue_gate.ports import RegionControlStore, RegionStatusStore
from shared.events import SiakStatus
from shared.events.gate import GateCause


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


class GateReader(Protocol):
    async def gate(self, region_code: str, now: datetime) -> RegionGate: ...

    async def reload(self) -> None:
        """Take in every change committed so far (after a change made by this process)."""


def sighting_of(gate: RegionGate, now: datetime) -> GateSighting:
    """The gate as seen now, with what brought it about."""
    forced = gate.control.override is not Override.AUTO
    stale = (
        gate.known is not None
        and gate.status is SiakStatus.UNKNOWN
        and gate.known.status is not SiakStatus.UNKNOWN
    )
    cause: GateCause = "operator_override" if forced else "stale" if stale else "siak_status"
    return GateSighting(
        region_code=gate.region_code,
        seen=GateState.RECOVERING if gate.lets_through else GateState.CLOSED,
        siak_status=gate.status,
        cause=cause,
        reason=gate.known.reason if gate.known and cause == "siak_status" else None,
        at=now,
    )


async def read_region_gate(
    region_code: str,
    *,
    statuses: RegionStatusStore,
    controls: RegionControlStore,
    policy: GatePolicy,
    now: datetime,
) -> RegionGate:
    return region_gate(
        region_code,
        known=await statuses.get(region_code),
        last_heard_at=await statuses.last_heard_at(region_code),
        control=await controls.get(region_code),
        policy=policy,
        now=now,
    )


def region_gate(
    region_code: str,
    *,
    known: RegionStatus | None,
    last_heard_at: datetime | None,
    control: RegionControl,
    policy: GatePolicy,
    now: datetime,
) -> RegionGate:
    status = effective_status(
        known, last_heard_at=last_heard_at, now=now, stale_after=policy.stale_after
    )
    return RegionGate(
        region_code=region_code,
        status=status,
        known=known,
        control=control,
        lets_through=lets_through(status, control, degraded_is_open=policy.degraded_is_open),
        intake_mode=control.intake_mode or policy.default_intake_mode,
    )


@dataclass(frozen=True)
class StoredGates:
    """Reads a region's gate from the stores each time it is asked."""

    statuses: RegionStatusStore
    controls: RegionControlStore
    policy: GatePolicy

    async def gate(self, region_code: str, now: datetime) -> RegionGate:
        return await read_region_gate(
            region_code,
            statuses=self.statuses,
            controls=self.controls,
            policy=self.policy,
            now=now,
        )

    async def reload(self) -> None:
        return  # nothing held: every read is fresh


def region_pacing(gate: RegionGate, pacing: PacingConfig) -> PacingConfig:
    """The gate's pacing under the region's ceiling, when an operator set one: its dispatcher
    paces by it, and its tickets are estimated by it."""
    ceiling = gate.control.max_rate
    return pacing if ceiling is None else pacing.with_max_rate(ceiling)
