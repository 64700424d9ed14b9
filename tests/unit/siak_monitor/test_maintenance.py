"""Maintenance windows and weekly plans, read in each region's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.siak_monitor.domain.maintenance import RegionScope, resolve_local_time
from services.siak_monitor.domain.weekly_maintenance import WEEK, WeeklyMaintenance
from shared.regions import IndonesianTimeZone
from tests.unit.siak_monitor.builders import MESSAGE, START, window

WIB = IndonesianTimeZone.WIB.tzinfo
WITA = IndonesianTimeZone.WITA.tzinfo
WIT = IndonesianTimeZone.WIT.tzinfo
SATURDAY = 5


def saturday_night(duration: timedelta = timedelta(hours=6)) -> WeeklyMaintenance:
    return WeeklyMaintenance(
        id="pemeliharaan-mingguan",
        regions=RegionScope.every_region(),
        weekday=SATURDAY,
        local_start=time(22, 0),
        duration=duration,
        reason="weekly_maintenance",
        message=MESSAGE,
    )


def test_naive_local_time_is_read_in_the_region_time_zone() -> None:
    makassar_morning = datetime(2021, 10, 15, 8, 0)

    resolved = resolve_local_time(makassar_morning, WITA)

    assert resolved == datetime(2021, 10, 15, 0, 0, tzinfo=UTC)


def test_an_aware_time_is_left_as_the_instant_it_names() -> None:
    assert resolve_local_time(START, WITA) is START


def test_weekly_window_in_wita_resolves_to_the_right_utc_instants() -> None:
    saturday_23_wita = datetime(2021, 10, 16, 15, 0, tzinfo=UTC)

    occurrence = saturday_night().occurrence_at(WITA, saturday_23_wita)

    assert occurrence is not None
    assert occurrence.starts_at == datetime(2021, 10, 16, 14, 0, tzinfo=UTC)
    assert occurrence.ends_at == datetime(2021, 10, 16, 20, 0, tzinfo=UTC)


def test_the_same_weekly_plan_starts_an_hour_apart_across_wib_wita_and_wit() -> None:
    after = datetime(2021, 10, 16, 0, 0, tzinfo=UTC)
    plan = saturday_night()

    starts = [plan.next_after(zone, after) for zone in (WIT, WITA, WIB)]

    assert [s.starts_at.astimezone(UTC).hour if s else None for s in starts] == [13, 14, 15]


def test_weekly_window_running_past_midnight_is_still_on_sunday_morning() -> None:
    sunday_01_wita = datetime(2021, 10, 17, 1, 0, tzinfo=WITA)

    assert saturday_night().occurrence_at(WITA, sunday_01_wita) is not None
    assert saturday_night().occurrence_at(WITA, sunday_01_wita + timedelta(hours=3)) is None


def test_weekly_occurrences_starting_lists_every_week_in_the_interval() -> None:
    after = datetime(2021, 10, 16, 14, 0, tzinfo=UTC)

    found = saturday_night().occurrences_starting(WITA, after, after + 3 * WEEK)

    assert [w.starts_at for w in found] == [after + WEEK, after + 2 * WEEK, after + 3 * WEEK]


def test_a_window_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="end after it starts"):
        window(START, START)


def test_a_window_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        window(START.replace(tzinfo=None), START.replace(tzinfo=None) + timedelta(hours=1))


def test_a_scope_of_named_regions_needs_at_least_one() -> None:
    with pytest.raises(ValueError, match="at least one"):
        RegionScope.only([])


def test_a_weekly_window_lasts_less_than_a_week() -> None:
    with pytest.raises(ValueError, match="less than a week"):
        saturday_night(WEEK)


@given(
    at=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from([WIB, WITA, WIT]),
)
def test_weekly_occurrence_is_on_exactly_when_local_time_is_inside_it(
    at: datetime, zone: tzinfo
) -> None:
    plan = saturday_night()
    local = at.astimezone(zone)
    minutes_into_week = (
        (local.weekday() - SATURDAY) % 7 * 24 * 60 + local.hour * 60 + local.minute - 22 * 60
    ) % (7 * 24 * 60)

    occurrence = plan.occurrence_at(zone, at)

    assert (occurrence is not None) == (minutes_into_week < 6 * 60)
    upcoming = plan.next_after(zone, at)
    assert upcoming is not None
    assert at < upcoming.starts_at <= at + WEEK
