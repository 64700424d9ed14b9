"""A maintenance plan as ops write it (config file or admin API), and the plan it becomes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.siak_monitor.domain.maintenance import (
    EARLIEST_MAINTENANCE,
    LATEST_MAINTENANCE,
    LONGEST_MAINTENANCE,
    MaintenanceMessage,
    MaintenancePlan,
    MaintenanceWindow,
    RegionScope,
    resolve_local_time,
)
from services.siak_monitor.domain.weekly_maintenance import WEEK, WeeklyMaintenance
from shared.events import MaintenanceRecurrence
from shared.events.maintenance import EVERY_REGION, MAINTENANCE_ID_PATTERN, MaintenanceText
from shared.events.status import REGION_CODE_PATTERN
from shared.operator_text import ONE_LINE, read_back, unshowable

RegionCode = Annotated[str, Field(pattern=REGION_CODE_PATTERN)]


class MaintenanceRequest(BaseModel):
    """Times with an offset are instants; times without one are each region's local time
    (WIB, WITA or WIT), which for a one-off window needs all its regions in one time zone.
    A weekly plan repeats its first window every week, from `starts_at` on.

    The range: a window lasts at most a year (366 days), its times lie between 1970 and 9000,
    and through the API `starts_at` is no earlier than a day ago (a change may keep it as it
    was); outside it, `422` names the field."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    regions: list[RegionCode] | Literal["*"] = Field(
        description="Region codes, or `*` for every watched region."
    )
    starts_at: datetime
    ends_at: datetime
    reason: Annotated[
        str, Field(min_length=1, max_length=200, examples=["data_migration"]), ONE_LINE
    ]
    message: MaintenanceText
    recurrence: MaintenanceRecurrence | None = None

    @field_validator("regions")
    @classmethod
    def _some_regions(cls, regions: list[str] | Literal["*"]) -> list[str] | Literal["*"]:
        if regions != EVERY_REGION and not regions:
            raise ValueError("name at least one region code, or `*`")
        return regions

    @field_validator("message")
    @classmethod
    def _shows_as_it_reads(cls, message: MaintenanceText, info: ValidationInfo) -> MaintenanceText:
        # Subscribers store and show it (the status page shows the notice): its line breaks
        # are kept.
        if read_back(info):
            return message
        for language, text in (("id", message.id), ("en", message.en)):
            why = unshowable(text, lines=True)
            if why is not None:
                raise ValueError(f"{language}: {why}")
        return message

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, ends_at: datetime, info: ValidationInfo) -> datetime:
        starts_at = info.data.get("starts_at")
        if not isinstance(starts_at, datetime):
            return ends_at
        if _is_naive(starts_at) != _is_naive(ends_at):
            raise ValueError("give both times with an offset, or both without")
        if ends_at <= starts_at:
            raise ValueError("must be after starts_at")
        return ends_at


class FileMaintenance(MaintenanceRequest):
    """A plan from the config file, where ops name it themselves."""

    id: str = Field(pattern=MAINTENANCE_ID_PATTERN)


class InvalidMaintenanceError(ValueError):
    """A plan that cannot be put in the calendar; `field` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def plan_from_request(
    request: MaintenanceRequest, plan_id: str, zones: Mapping[str, tzinfo]
) -> MaintenancePlan:
    """The calendar's plan; `zones` are the watched regions' time zones by code."""
    _require_range(request)
    codes = _codes(request, zones)
    unwatched = sorted(set(codes) - zones.keys())
    if unwatched:
        raise InvalidMaintenanceError("regions", f"not watched here: {', '.join(unwatched)}")
    scope = (
        RegionScope.every_region()
        if request.regions == EVERY_REGION
        else RegionScope.only(request.regions)
    )
    scope_zones = {zones[code] for code in codes}
    message = MaintenanceMessage(id=request.message.id, en=request.message.en)
    try:
        if request.recurrence == MaintenanceRecurrence.WEEKLY:
            return _weekly(request, plan_id, scope, scope_zones, message)
        return _one_off(request, plan_id, scope, scope_zones, message)
    except ValueError as error:
        if isinstance(error, InvalidMaintenanceError):
            raise
        raise InvalidMaintenanceError("ends_at", str(error)) from None


def first_start(request: MaintenanceRequest, zones: Mapping[str, tzinfo]) -> datetime:
    """The earliest instant `starts_at` stands for in the plan's regions (all of them watched)."""
    return min(
        resolve_local_time(request.starts_at, zones[code]) for code in _codes(request, zones)
    )


def _codes(request: MaintenanceRequest, zones: Mapping[str, tzinfo]) -> list[str]:
    regions = request.regions
    return list(zones) if isinstance(regions, str) else regions


def _require_range(request: MaintenanceRequest) -> None:
    """Checked on the times as given, before any time zone arithmetic could overflow."""
    if request.ends_at - request.starts_at > LONGEST_MAINTENANCE:
        raise InvalidMaintenanceError(
            "ends_at", f"at most {LONGEST_MAINTENANCE.days} days after starts_at"
        )
    for field, moment in (("starts_at", request.starts_at), ("ends_at", request.ends_at)):
        # Read as UTC when without an offset: within hours of the truth, far from any limit.
        if not EARLIEST_MAINTENANCE <= resolve_local_time(moment, UTC) <= LATEST_MAINTENANCE:
            raise InvalidMaintenanceError(
                field,
                f"must lie between {EARLIEST_MAINTENANCE.year} and {LATEST_MAINTENANCE.year}",
            )


def _one_off(
    request: MaintenanceRequest,
    plan_id: str,
    scope: RegionScope,
    scope_zones: set[tzinfo],
    message: MaintenanceMessage,
) -> MaintenanceWindow:
    zone = (
        _only_zone(scope_zones, "one-off window", hint="give times with an offset")
        if _is_naive(request.starts_at)
        else UTC
    )
    return MaintenanceWindow(
        id=plan_id,
        regions=scope,
        starts_at=resolve_local_time(request.starts_at, zone),
        ends_at=resolve_local_time(request.ends_at, zone),
        reason=request.reason,
        message=message,
    )


def _weekly(
    request: MaintenanceRequest,
    plan_id: str,
    scope: RegionScope,
    scope_zones: set[tzinfo],
    message: MaintenanceMessage,
) -> WeeklyMaintenance:
    if request.ends_at - request.starts_at >= WEEK:
        raise InvalidMaintenanceError("ends_at", "a weekly window must last less than a week")
    # Naive times repeat at the same wall-clock time in every region's own zone.
    first = request.starts_at
    if not _is_naive(first):
        zone = _only_zone(scope_zones, "weekly plan", hint="give local times without an offset")
        first = first.astimezone(zone).replace(tzinfo=None)
    return WeeklyMaintenance(
        id=plan_id,
        regions=scope,
        weekday=first.weekday(),
        local_start=first.time(),
        duration=request.ends_at - request.starts_at,
        reason=request.reason,
        message=message,
        starting_on=first.date(),
    )


def _only_zone(scope_zones: set[tzinfo], what: str, *, hint: str) -> tzinfo:
    if len(scope_zones) != 1:
        names = ", ".join(sorted(str(zone.tzname(None)) for zone in scope_zones))
        raise InvalidMaintenanceError(
            "starts_at", f"the regions of this {what} span several time zones ({names}): {hint}"
        )
    return next(iter(scope_zones))


def _is_naive(moment: datetime) -> bool:
    return moment.tzinfo is None or moment.utcoffset() is None
