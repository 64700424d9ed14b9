"""Which maintenance is on for a region, what comes next, and what started or ended meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from services.siak_monitor.domain.maintenance import RegionScope
from services.siak_monitor.domain.maintenance_calendar import MaintenanceCalendar
from services.siak_monitor.domain.maintenance_events import MaintenanceEnded, MaintenanceStarted
from services.siak_monitor.domain.weekly_maintenance import WeeklyMaintenance
from tests.unit.siak_monitor.builders import MESSAGE, calendar_of, window

WATCHED = ("31.71", "73.06", "73.71", "91.71")
MIGRATION_STARTS = datetime(2021, 10, 15, 0, 0, tzinfo=UTC)
MIGRATION_ENDS = MIGRATION_STARTS + timedelta(days=5)
BEFORE = MIGRATION_STARTS - timedelta(days=1)
DURING = MIGRATION_STARTS + timedelta(days=1)


def calendar() -> MaintenanceCalendar:
    return calendar_of(*WATCHED)


def weekly_sunday_night() -> WeeklyMaintenance:
    return WeeklyMaintenance(
        id="mingguan",
        regions=RegionScope.every_region(),
        weekday=6,
        local_start=time(23, 0),
        duration=timedelta(hours=2),
        reason="weekly_maintenance",
        message=MESSAGE,
    )


def test_a_window_for_every_region_is_active_for_each_and_only_in_its_time() -> None:
    maintenance = calendar()
    maintenance.schedule(window(MIGRATION_STARTS, MIGRATION_ENDS), at=BEFORE)

    assert all(maintenance.active_for(code, DURING) is not None for code in WATCHED)
    assert maintenance.active_for("73.71", MIGRATION_ENDS) is None
    assert maintenance.active_for("73.71", BEFORE) is None


def test_a_window_for_named_regions_leaves_the_others_alone() -> None:
    maintenance = calendar()
    maintenance.schedule(window(MIGRATION_STARTS, MIGRATION_ENDS, "73.71"), at=BEFORE)

    assert maintenance.active_for("73.06", DURING) is None


def test_next_for_is_the_earliest_upcoming_occurrence_of_any_plan() -> None:
    maintenance = calendar()
    maintenance.schedule(window(MIGRATION_STARTS, MIGRATION_ENDS, "73.71"), at=BEFORE)
    maintenance.schedule(weekly_sunday_night(), at=BEFORE)
    friday_before = datetime(2021, 10, 8, 0, 0, tzinfo=UTC)

    upcoming = maintenance.next_for("73.71", friday_before)

    assert upcoming is not None
    assert upcoming.id == "mingguan"
    assert upcoming.starts_at == datetime(2021, 10, 10, 15, 0, tzinfo=UTC)


def test_crossings_report_starts_and_ends_in_time_order() -> None:
    maintenance = calendar()
    first = window(MIGRATION_STARTS, MIGRATION_ENDS, "73.71", window_id="tahap-1")
    second = window(
        MIGRATION_ENDS, MIGRATION_ENDS + timedelta(days=1), "73.71", window_id="tahap-2"
    )
    maintenance.schedule(first, at=BEFORE)
    maintenance.schedule(second, at=BEFORE)

    crossings = maintenance.crossings(BEFORE, MIGRATION_ENDS + timedelta(days=2))

    assert crossings == [
        MaintenanceStarted(first, ("73.71",), MIGRATION_STARTS),
        MaintenanceEnded(first, ("73.71",), MIGRATION_ENDS),
        MaintenanceStarted(second, ("73.71",), MIGRATION_ENDS),
        MaintenanceEnded(second, ("73.71",), MIGRATION_ENDS + timedelta(days=1)),
    ]


def test_crossings_exclude_the_first_instant_and_include_the_last() -> None:
    maintenance = calendar()
    plan = window(MIGRATION_STARTS, MIGRATION_ENDS, "73.71")
    maintenance.schedule(plan, at=BEFORE)

    assert maintenance.crossings(MIGRATION_STARTS, MIGRATION_ENDS - timedelta(seconds=1)) == []
    assert maintenance.crossings(BEFORE, MIGRATION_STARTS) == [
        MaintenanceStarted(plan, ("73.71",), MIGRATION_STARTS)
    ]


def test_a_weekly_plan_for_every_region_starts_once_per_time_zone() -> None:
    maintenance = calendar()
    maintenance.schedule(weekly_sunday_night(), at=BEFORE)
    saturday = datetime(2021, 10, 16, 0, 0, tzinfo=UTC)

    started = [
        crossing
        for crossing in maintenance.crossings(saturday, saturday + timedelta(days=2))
        if isinstance(crossing, MaintenanceStarted)
    ]

    assert [(c.at.astimezone(UTC).hour, c.region_codes) for c in started] == [
        (14, ("91.71",)),
        (15, ("73.06", "73.71")),
        (16, ("31.71",)),
    ]
