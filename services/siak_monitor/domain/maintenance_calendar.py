"""Every maintenance plan of the watched regions: what is on when, and what changed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo

from services.siak_monitor.domain.maintenance import MaintenancePlan, MaintenanceWindow
from services.siak_monitor.domain.maintenance_crossings import (
    active_occurrences,
    crossings_at,
    crossings_between,
)
from services.siak_monitor.domain.maintenance_events import (
    MaintenanceCancelled,
    MaintenanceChanged,
    MaintenanceCrossing,
    MaintenanceEvent,
    MaintenanceScheduled,
)
from shared.regions import UnknownRegionError


class DuplicateMaintenanceError(ValueError):
    """A plan with this id is already scheduled."""


class UnknownMaintenanceError(LookupError):
    """No plan with this id is scheduled."""


class MaintenanceCalendar:
    """Maintenance plans keyed by id, read in each region's own time zone.

    Changing the calendar at an instant returns the change itself followed by the
    `MaintenanceEnded`/`MaintenanceStarted` it causes at that instant; the passing of time
    is reported by `crossings`.
    """

    def __init__(self, region_zones: Mapping[str, tzinfo]) -> None:
        self._zones = dict(region_zones)
        self._plans: dict[str, MaintenancePlan] = {}

    @property
    def zones(self) -> Mapping[str, tzinfo]:
        """The time zone of every region the calendar serves, by region code."""
        return self._zones

    def plans(self) -> list[MaintenancePlan]:
        return list(self._plans.values())

    def get(self, plan_id: str) -> MaintenancePlan:
        try:
            return self._plans[plan_id]
        except KeyError:
            raise UnknownMaintenanceError(f"no maintenance {plan_id!r}") from None

    def schedule(self, plan: MaintenancePlan, *, at: datetime) -> list[MaintenanceEvent]:
        if plan.id in self._plans:
            raise DuplicateMaintenanceError(f"maintenance {plan.id!r} is already scheduled")
        self._check_regions(plan)
        return self._replace(plan.id, plan, MaintenanceScheduled(plan), at)

    def change(self, plan: MaintenancePlan, *, at: datetime) -> list[MaintenanceEvent]:
        previous = self.get(plan.id)
        self._check_regions(plan)
        return self._replace(plan.id, plan, MaintenanceChanged(plan, previous), at)

    def cancel(self, plan_id: str, *, at: datetime) -> list[MaintenanceEvent]:
        plan = self.get(plan_id)
        return self._replace(plan_id, None, MaintenanceCancelled(plan), at)

    def active_for(self, region_code: str, at: datetime) -> MaintenanceWindow | None:
        """The occurrence on for the region at `at`; of overlapping ones, the last to end."""
        zone = self._zone(region_code)
        active = [
            window
            for plan in self._covering(region_code)
            if (window := plan.occurrence_at(zone, at)) is not None
        ]
        return max(active, key=lambda window: window.ends_at, default=None)

    def next_for(self, region_code: str, at: datetime) -> MaintenanceWindow | None:
        """The first occurrence for the region that starts after `at`."""
        zone = self._zone(region_code)
        upcoming = [
            window
            for plan in self._covering(region_code)
            if (window := plan.next_after(zone, at)) is not None
        ]
        return min(upcoming, key=lambda window: window.starts_at, default=None)

    def crossings(self, after: datetime, until: datetime) -> list[MaintenanceCrossing]:
        """Occurrences that started or ended in (`after`, `until`], in time order."""
        return crossings_between(self._plans.values(), self._zones, after, until)

    def _replace(
        self, plan_id: str, plan: MaintenancePlan | None, change: MaintenanceEvent, at: datetime
    ) -> list[MaintenanceEvent]:
        before = active_occurrences(self._plans.values(), self._zones, at)
        if plan is None:
            del self._plans[plan_id]
        else:
            self._plans[plan_id] = plan
        after = active_occurrences(self._plans.values(), self._zones, at)
        return [change, *crossings_at(before, after, at)]

    def _covering(self, region_code: str) -> Iterable[MaintenancePlan]:
        return (plan for plan in self._plans.values() if plan.regions.covers(region_code))

    def _zone(self, region_code: str) -> tzinfo:
        try:
            return self._zones[region_code]
        except KeyError:
            raise UnknownRegionError([region_code]) from None

    def _check_regions(self, plan: MaintenancePlan) -> None:
        unknown = sorted(plan.regions.codes - self._zones.keys())
        if unknown:
            raise UnknownRegionError(unknown)
