"""The maintenance calendar: scheduling, changes, cancellations and their crossings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.siak_monitor.domain.maintenance_calendar import (
    DuplicateMaintenanceError,
    MaintenanceCalendar,
    UnknownMaintenanceError,
)
from services.siak_monitor.domain.maintenance_events import (
    MaintenanceCancelled,
    MaintenanceChanged,
    MaintenanceEnded,
    MaintenanceScheduled,
    MaintenanceStarted,
)
from shared.regions import UnknownRegionError
from tests.unit.siak_monitor.builders import calendar_of, window

WATCHED = ("31.71", "73.06", "73.71", "91.71")
MIGRATION_STARTS = datetime(2021, 10, 15, 0, 0, tzinfo=UTC)
MIGRATION_ENDS = MIGRATION_STARTS + timedelta(days=5)
BEFORE = MIGRATION_STARTS - timedelta(days=1)
DURING = MIGRATION_STARTS + timedelta(days=1)


def calendar() -> MaintenanceCalendar:
    return calendar_of(*WATCHED)


def test_scheduling_ahead_announces_the_window_only() -> None:
    plan = window(MIGRATION_STARTS, MIGRATION_ENDS, "73.71", "73.06")

    events = calendar().schedule(plan, at=BEFORE)

    assert events == [MaintenanceScheduled(plan)]


def test_scheduling_a_window_already_under_way_also_starts_it() -> None:
    plan = window(MIGRATION_STARTS, MIGRATION_ENDS, "73.71", "73.06")

    events = calendar().schedule(plan, at=DURING)

    assert events == [
        MaintenanceScheduled(plan),
        MaintenanceStarted(plan, ("73.06", "73.71"), DURING),
    ]


def test_cancelling_an_active_window_cancels_and_ends_it() -> None:
    maintenance = calendar()
    plan = window(MIGRATION_STARTS, MIGRATION_ENDS, "73.71")
    maintenance.schedule(plan, at=BEFORE)

    events = maintenance.cancel(plan.id, at=DURING)

    assert events == [MaintenanceCancelled(plan), MaintenanceEnded(plan, ("73.71",), DURING)]
    assert maintenance.active_for("73.71", DURING) is None


def test_cancelling_a_future_window_only_cancels_it() -> None:
    maintenance = calendar()
    plan = window(MIGRATION_STARTS, MIGRATION_ENDS, "73.71")
    maintenance.schedule(plan, at=BEFORE)

    assert maintenance.cancel(plan.id, at=BEFORE) == [MaintenanceCancelled(plan)]


def test_extending_an_active_window_is_a_change_without_crossings() -> None:
    maintenance = calendar()
    plan = window(MIGRATION_STARTS, MIGRATION_ENDS, "73.71")
    maintenance.schedule(plan, at=BEFORE)
    extended = window(MIGRATION_STARTS, MIGRATION_ENDS + timedelta(days=2), "73.71")

    events = maintenance.change(extended, at=DURING)

    assert events == [MaintenanceChanged(extended, previous=plan)]
    assert maintenance.active_for("73.71", DURING) == extended


def test_cutting_a_window_short_before_now_changes_and_ends_it() -> None:
    maintenance = calendar()
    plan = window(MIGRATION_STARTS, MIGRATION_ENDS, "73.71", "73.06")
    maintenance.schedule(plan, at=BEFORE)
    shortened = window(MIGRATION_STARTS, DURING - timedelta(hours=1), "73.71", "73.06")

    events = maintenance.change(shortened, at=DURING)

    assert events == [
        MaintenanceChanged(shortened, previous=plan),
        MaintenanceEnded(plan, ("73.06", "73.71"), DURING),
    ]


def test_widening_an_active_window_starts_it_for_the_added_regions_only() -> None:
    maintenance = calendar()
    plan = window(MIGRATION_STARTS, MIGRATION_ENDS, "73.71")
    maintenance.schedule(plan, at=BEFORE)
    widened = window(MIGRATION_STARTS, MIGRATION_ENDS, "73.71", "73.06")

    events = maintenance.change(widened, at=DURING)

    assert events[1:] == [MaintenanceStarted(widened, ("73.06",), DURING)]


def test_bad_changes_are_refused_and_change_nothing() -> None:
    maintenance = calendar()
    plan = window(MIGRATION_STARTS, MIGRATION_ENDS, "73.71")
    maintenance.schedule(plan, at=BEFORE)

    with pytest.raises(DuplicateMaintenanceError):
        maintenance.schedule(plan, at=BEFORE)
    with pytest.raises(UnknownRegionError):
        maintenance.change(window(MIGRATION_STARTS, MIGRATION_ENDS, "73.99"), at=BEFORE)
    with pytest.raises(UnknownMaintenanceError):
        maintenance.cancel("no-such-window", at=BEFORE)
    assert maintenance.plans() == [plan]
