"""How a maintenance request becomes a plan: local times, time zones and weekly repeats."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import pytest
from pydantic import ValidationError

from services.siak_monitor.domain.maintenance import MaintenanceWindow
from services.siak_monitor.domain.weekly_maintenance import WeeklyMaintenance
from services.siak_monitor.maintenance_requests import (
    InvalidMaintenanceError,
    MaintenanceRequest,
    plan_from_request,
)
from shared.events import MaintenanceRecurrence, MaintenanceText
from shared.regions import IndonesianTimeZone

WIB, WITA, WIT = (zone.tzinfo for zone in IndonesianTimeZone)
ZONES: dict[str, tzinfo] = {"31.71": WIB, "73.71": WITA, "73.06": WITA, "91.71": WIT}
SUNDAY_1AM = datetime(2030, 1, 6, 1, 0)


def request(regions: Any, starts_at: datetime, hours: float, **extra: Any) -> MaintenanceRequest:
    fields: dict[str, Any] = {
        "reason": "data_migration",
        "message": MaintenanceText(id="Migrasi", en="Migration"),
        **extra,
    }
    return MaintenanceRequest(
        regions=regions, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours), **fields
    )


def test_naive_times_are_read_in_the_one_zone_of_the_regions() -> None:
    plan = plan_from_request(request(["73.71", "73.06"], datetime(2021, 10, 15, 8), 24), "m", ZONES)

    assert isinstance(plan, MaintenanceWindow)
    assert plan.starts_at == datetime(2021, 10, 15, 0, 0, tzinfo=UTC)


def test_naive_times_over_several_zones_are_refused_naming_the_start() -> None:
    with pytest.raises(InvalidMaintenanceError) as refused:
        plan_from_request(request("*", datetime(2021, 10, 15, 8), 24), "m", ZONES)

    assert refused.value.field == "starts_at"
    assert "WIB, WIT, WITA" in refused.value.message


def test_times_with_an_offset_work_over_any_regions() -> None:
    starts_at = datetime(2021, 10, 15, 8, tzinfo=WITA)

    plan = plan_from_request(request("*", starts_at, 24), "m", ZONES)

    assert isinstance(plan, MaintenanceWindow) and plan.starts_at == starts_at


def test_unwatched_regions_are_refused_by_name() -> None:
    with pytest.raises(InvalidMaintenanceError, match=r"not watched here: 12\.01") as refused:
        plan_from_request(request(["12.01", "73.71"], SUNDAY_1AM, 2), "m", ZONES)

    assert refused.value.field == "regions"


def test_a_weekly_plan_repeats_at_local_time_in_every_zone_from_its_first_day() -> None:
    weekly = request("*", SUNDAY_1AM, 2, recurrence=MaintenanceRecurrence.WEEKLY)

    plan = plan_from_request(weekly, "backup", ZONES)

    assert isinstance(plan, WeeklyMaintenance)
    assert (plan.weekday, plan.local_start, plan.duration) == (6, time(1), timedelta(hours=2))
    assert plan.starting_on == date(2030, 1, 6)
    week_before = datetime(2029, 12, 30, 1, 30, tzinfo=WIT)
    assert plan.occurrence_at(WIT, week_before) is None
    first = plan.next_after(WIT, week_before)
    assert first is not None and first.starts_at == datetime(2030, 1, 6, 1, tzinfo=WIT)


def test_a_weekly_plan_given_as_an_instant_needs_regions_of_one_zone() -> None:
    starts_at = SUNDAY_1AM.replace(tzinfo=UTC)
    weekly = request(["73.71"], starts_at, 2, recurrence=MaintenanceRecurrence.WEEKLY)

    plan = plan_from_request(weekly, "backup", ZONES)
    with pytest.raises(InvalidMaintenanceError):
        plan_from_request(weekly.model_copy(update={"regions": "*"}), "backup", ZONES)

    assert isinstance(plan, WeeklyMaintenance) and plan.local_start == time(9)


def test_a_weekly_window_must_be_shorter_than_a_week() -> None:
    weekly = request(["73.71"], SUNDAY_1AM, 24 * 7, recurrence=MaintenanceRecurrence.WEEKLY)

    with pytest.raises(InvalidMaintenanceError) as refused:
        plan_from_request(weekly, "backup", ZONES)

    assert refused.value.field == "ends_at"


@pytest.mark.parametrize(
    "text", ["data\u0000migration", "a\u001b[31mred", "bell\u0007", "c1\u009b"]
)
@pytest.mark.parametrize("field", ["reason", "id", "en"])
def test_control_characters_in_its_text_are_refused_naming_the_field(text: str, field: str) -> None:
    fields: dict[str, Any] = {
        "regions": ["73.71"],
        "starts_at": SUNDAY_1AM,
        "ends_at": SUNDAY_1AM + timedelta(hours=2),
        "reason": "data_migration",
        "message": {"id": "Migrasi", "en": "Migration"},
    }
    if field == "reason":
        fields["reason"] = text
    else:
        fields["message"][field] = text

    with pytest.raises(ValidationError) as refused:
        MaintenanceRequest.model_validate(fields)

    [error] = refused.value.errors()
    assert error["loc"][0] == ("reason" if field == "reason" else "message")
    assert field in str(error["loc"]) + error["msg"]


def test_line_breaks_in_its_messages_are_kept() -> None:
    message = MaintenanceText(id="Migrasi data.\nMohon maaf.", en="Data migration.\nSorry.")

    kept = request(["73.71"], SUNDAY_1AM, 2, message=message)

    assert kept.message == message
