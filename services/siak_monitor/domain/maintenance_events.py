"""What happened to planned maintenance, for the service to publish on `siak.maintenance.v1`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.siak_monitor.domain.maintenance import MaintenancePlan, MaintenanceWindow


@dataclass(frozen=True)
class MaintenanceScheduled:
    plan: MaintenancePlan


@dataclass(frozen=True)
class MaintenanceChanged:
    plan: MaintenancePlan
    previous: MaintenancePlan


@dataclass(frozen=True)
class MaintenanceCancelled:
    plan: MaintenancePlan


@dataclass(frozen=True)
class MaintenanceStarted:
    """An occurrence began for `region_codes` (in code order) at `at`."""

    window: MaintenanceWindow
    region_codes: tuple[str, ...]
    at: datetime


@dataclass(frozen=True)
class MaintenanceEnded:
    """An occurrence is over for `region_codes`: it ran out, or was changed or cancelled."""

    window: MaintenanceWindow
    region_codes: tuple[str, ...]
    at: datetime


MaintenanceCrossing = MaintenanceStarted | MaintenanceEnded
MaintenanceEvent = (
    MaintenanceScheduled
    | MaintenanceChanged
    | MaintenanceCancelled
    | MaintenanceStarted
    | MaintenanceEnded
)
