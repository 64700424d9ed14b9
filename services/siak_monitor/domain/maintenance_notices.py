"""Turns what happened to the maintenance calendar into one notice per affected region."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo

from services.siak_monitor.domain.maintenance import MaintenancePlan, MaintenanceWindow
from services.siak_monitor.domain.maintenance_events import (
    MaintenanceCancelled,
    MaintenanceChanged,
    MaintenanceEnded,
    MaintenanceEvent,
    MaintenanceScheduled,
    MaintenanceStarted,
)
from services.siak_monitor.domain.weekly_maintenance import WeeklyMaintenance
from shared.events import (
    MaintenanceAction,
    MaintenanceNotice,
    MaintenanceRecurrence,
    MaintenanceText,
)


def notices_for(
    events: Iterable[MaintenanceEvent], zones: Mapping[str, tzinfo], at: datetime
) -> list[MaintenanceNotice]:
    """The notices, in the order of `events`; `zones` are the watched regions' time zones."""
    return [notice for event in events for notice in _notices(event, zones, at)]


def _notices(
    event: MaintenanceEvent, zones: Mapping[str, tzinfo], at: datetime
) -> list[MaintenanceNotice]:
    def about_plan(
        plan: MaintenancePlan,
        codes: Iterable[str],
        action: MaintenanceAction,
        previous: MaintenancePlan | None = None,
    ) -> list[MaintenanceNotice]:
        return [_plan_notice(plan, code, action, zones[code], at, previous) for code in codes]

    match event:
        case MaintenanceScheduled(plan=plan):
            return about_plan(plan, _covered(plan, zones), MaintenanceAction.SCHEDULED)
        case MaintenanceChanged(plan=plan, previous=previous):
            kept = _covered(plan, zones)
            dropped = [code for code in _covered(previous, zones) if code not in kept]
            return [
                *about_plan(plan, kept, MaintenanceAction.CHANGED, previous),
                *about_plan(previous, dropped, MaintenanceAction.CANCELLED),
            ]
        case MaintenanceCancelled(plan=plan):
            return about_plan(plan, _covered(plan, zones), MaintenanceAction.CANCELLED)
        case MaintenanceStarted(window=window, region_codes=codes, at=started_at):
            action = MaintenanceAction.STARTED
            return [_occurrence_notice(window, code, action, started_at) for code in codes]
        case MaintenanceEnded(window=window, region_codes=codes, at=ended_at):
            action = MaintenanceAction.ENDED
            return [_occurrence_notice(window, code, action, ended_at) for code in codes]


def _covered(plan: MaintenancePlan, zones: Mapping[str, tzinfo]) -> list[str]:
    return sorted(code for code in zones if plan.regions.covers(code))


def _plan_notice(  # noqa: PLR0917 - one notice is made of exactly these
    plan: MaintenancePlan,
    code: str,
    action: MaintenanceAction,
    zone: tzinfo,
    at: datetime,
    previous: MaintenancePlan | None,
) -> MaintenanceNotice:
    occurrence = occurrence_of(plan, zone, at)
    before = occurrence_of(previous, zone, at) if previous is not None else None
    return MaintenanceNotice(
        maintenance_id=plan.id,
        action=action,
        region_code=code,
        starts_at=occurrence.starts_at,
        ends_at=occurrence.ends_at,
        recurrence=recurrence_of(plan),
        reason=plan.reason,
        message=_text(plan),
        occurred_at=at,
        previous_starts_at=before.starts_at if before else None,
        previous_ends_at=before.ends_at if before else None,
    )


def _occurrence_notice(
    window: MaintenanceWindow, code: str, action: MaintenanceAction, at: datetime
) -> MaintenanceNotice:
    return MaintenanceNotice(
        maintenance_id=window.id,
        action=action,
        region_code=code,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        reason=window.reason,
        message=_text(window),
        occurred_at=at,
    )


def occurrence_of(plan: MaintenancePlan, zone: tzinfo, at: datetime) -> MaintenanceWindow:
    """The occurrence under way at `at`, else the next one, else (a past window) the plan."""
    found = plan.occurrence_at(zone, at) or plan.next_after(zone, at)
    if found is not None:
        return found
    assert isinstance(plan, MaintenanceWindow), "a recurring plan always has a next occurrence"
    return plan


def recurrence_of(plan: MaintenancePlan) -> MaintenanceRecurrence | None:
    return MaintenanceRecurrence.WEEKLY if isinstance(plan, WeeklyMaintenance) else None


def _text(plan: MaintenancePlan) -> MaintenanceText:
    return MaintenanceText(id=plan.message.id, en=plan.message.en)
