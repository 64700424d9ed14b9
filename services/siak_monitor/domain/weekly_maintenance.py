"""Maintenance that recurs every week at the same wall-clock time in each region's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from services.siak_monitor.domain.maintenance import (
    MaintenanceMessage,
    MaintenanceWindow,
    RegionScope,
    require_plan_id,
    require_within_range,
)

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class WeeklyMaintenance:
    """Maintenance every week on `weekday` (Monday is 0) from `local_start` for `duration`,
    in the local time zone of each region it covers (WIB, WITA or WIT)."""

    id: str
    regions: RegionScope
    weekday: int
    local_start: time
    duration: timedelta
    reason: str
    message: MaintenanceMessage
    starting_on: date | None = None
    """The local date of the first occurrence at the earliest; none before it."""

    def __post_init__(self) -> None:
        require_plan_id(self.id)
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
        if self.local_start.tzinfo is not None:
            raise ValueError("local_start is a wall-clock time, without a time zone")
        if not timedelta(0) < self.duration < WEEK:
            raise ValueError("a weekly window lasts more than nothing and less than a week")
        if self.starting_on is not None:
            require_within_range(datetime.combine(self.starting_on, self.local_start, UTC))

    def occurrence_at(self, zone: tzinfo, at: datetime) -> MaintenanceWindow | None:
        start = self._latest_start(zone, at)
        if not self._has_begun(zone, start):
            return None
        occurrence = self._occurrence(start)
        return occurrence if occurrence.is_active(at) else None

    def occurrences_starting(
        self, zone: tzinfo, after: datetime, until: datetime
    ) -> list[MaintenanceWindow]:
        """The occurrences whose start lies in (`after`, `until`]."""
        found = []
        start = self._latest_start(zone, after) + WEEK
        while start <= until:
            if self._has_begun(zone, start):
                found.append(self._occurrence(start))
            start += WEEK
        return found

    def next_after(self, zone: tzinfo, at: datetime) -> MaintenanceWindow | None:
        start = self._latest_start(zone, at) + WEEK
        first = self._first_start(zone)
        return self._occurrence(start if first is None else max(start, first))

    def _first_start(self, zone: tzinfo) -> datetime | None:
        if self.starting_on is None:
            return None
        day = self.starting_on + timedelta(days=(self.weekday - self.starting_on.weekday()) % 7)
        return datetime.combine(day, self.local_start, tzinfo=zone)

    def _has_begun(self, zone: tzinfo, start: datetime) -> bool:
        first = self._first_start(zone)
        return first is None or start >= first

    def _latest_start(self, zone: tzinfo, at: datetime) -> datetime:
        """The last start at or before `at`, as an instant in `zone`."""
        local = at.astimezone(zone)
        day = local.date() - timedelta(days=(local.weekday() - self.weekday) % 7)
        start = datetime.combine(day, self.local_start, tzinfo=zone)
        return start - WEEK if start > at else start

    def _occurrence(self, start: datetime) -> MaintenanceWindow:
        return MaintenanceWindow(
            id=self.id,
            regions=self.regions,
            starts_at=start,
            ends_at=start + self.duration,
            reason=self.reason,
            message=self.message,
        )
