"""Planned maintenance: what a plan is, and the one-off window every plan's occurrences are."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol

EARLIEST_MAINTENANCE = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_MAINTENANCE = datetime(9000, 1, 1, tzinfo=UTC)
LONGEST_MAINTENANCE = timedelta(days=366)
"""No plan lies outside these, whatever its source (API, config file, a record read back):
far enough from `datetime`'s own limits that no arithmetic over a plan (a week on, a
window's length back, a time zone's offset) can overflow."""


def resolve_local_time(moment: datetime, zone: tzinfo) -> datetime:
    """An aware instant: a naive `moment` is read as wall-clock time in `zone`."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=zone)
    return moment


@dataclass(frozen=True)
class RegionScope:
    """The regions a maintenance plan covers: every watched region, or the listed codes."""

    codes: frozenset[str] = frozenset()
    everywhere: bool = False

    @classmethod
    def every_region(cls) -> RegionScope:
        return cls(everywhere=True)

    @classmethod
    def only(cls, codes: Iterable[str]) -> RegionScope:
        scope = cls(codes=frozenset(codes))
        if not scope.codes:
            raise ValueError("a maintenance scope needs at least one region code")
        return scope

    def covers(self, region_code: str) -> bool:
        return self.everywhere or region_code in self.codes


@dataclass(frozen=True)
class MaintenanceMessage:
    """What citizens and operators are told, in Bahasa Indonesia and English."""

    id: str
    en: str

    def __post_init__(self) -> None:
        if not self.id.strip() or not self.en.strip():
            raise ValueError("a maintenance message needs both its Indonesian and English text")


@dataclass(frozen=True)
class MaintenanceWindow:
    """One stretch of planned maintenance, from `starts_at` (inclusive) to `ends_at`."""

    id: str
    regions: RegionScope
    starts_at: datetime
    ends_at: datetime
    reason: str
    message: MaintenanceMessage

    def __post_init__(self) -> None:
        require_plan_id(self.id)
        for moment in (self.starts_at, self.ends_at):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError("maintenance times must be timezone-aware")
        if self.ends_at <= self.starts_at:
            raise ValueError("a maintenance window must end after it starts")
        if self.duration > LONGEST_MAINTENANCE:
            raise ValueError("a maintenance window lasts at most a year (366 days)")
        require_within_range(self.starts_at)
        require_within_range(self.ends_at)

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    def is_active(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    def occurrence_at(self, zone: tzinfo, at: datetime) -> MaintenanceWindow | None:
        return self if self.is_active(at) else None

    def occurrences_starting(
        self, zone: tzinfo, after: datetime, until: datetime
    ) -> list[MaintenanceWindow]:
        """The occurrences whose start lies in (`after`, `until`]."""
        return [self] if after < self.starts_at <= until else []

    def next_after(self, zone: tzinfo, at: datetime) -> MaintenanceWindow | None:
        return self if self.starts_at > at else None


class MaintenancePlan(Protocol):
    """Anything that says when maintenance happens: a one-off window or a recurring rule.

    `zone` is the local time zone of the region asking; one-off windows ignore it.
    """

    @property
    def id(self) -> str: ...
    @property
    def regions(self) -> RegionScope: ...
    @property
    def reason(self) -> str: ...
    @property
    def message(self) -> MaintenanceMessage: ...
    @property
    def duration(self) -> timedelta: ...

    def occurrence_at(self, zone: tzinfo, at: datetime) -> MaintenanceWindow | None: ...

    def occurrences_starting(
        self, zone: tzinfo, after: datetime, until: datetime
    ) -> list[MaintenanceWindow]: ...

    def next_after(self, zone: tzinfo, at: datetime) -> MaintenanceWindow | None: ...


def require_within_range(moment: datetime) -> None:
    if not EARLIEST_MAINTENANCE <= moment <= LATEST_MAINTENANCE:
        raise ValueError(
            f"maintenance times lie between {EARLIEST_MAINTENANCE.year} and "
            f"{LATEST_MAINTENANCE.year}"
        )


def require_plan_id(plan_id: str) -> None:
    if not plan_id or plan_id != plan_id.strip():
        raise ValueError("a maintenance id must be non-empty and unpadded")
