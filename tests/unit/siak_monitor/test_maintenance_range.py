"""Maintenance times stay within a stated range, and nothing outside it can stop the monitor."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st

from services.siak_monitor.domain.maintenance import MaintenanceWindow
from services.siak_monitor.domain.weekly_maintenance import WeeklyMaintenance
from services.siak_monitor.entrypoints.metrics import PrometheusMetrics
from services.siak_monitor.maintenance_requests import FileMaintenance
from shared.events import MaintenancePlanned, MaintenanceText
from shared.regions import IndonesianTimeZone
from tests.unit.siak_monitor.builders import MESSAGE, START, calendar_of, window
from tests.unit.siak_monitor.fakes import FakeClock, ready_app
from tests.unit.siak_monitor.fakes import settings as monitor_settings

ADMIN = {"Authorization": "Bearer secret-token"}
TEXT = {"id": "Migrasi data SIAK", "en": "SIAK data migration"}
FAR_FUTURE = "9999-12-31T23:59:59+00:00"
YEAR_ONE = "0001-01-01T00:00:00+00:00"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def http(clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    app = ready_app(monitor_settings(watch="73.71,91.71"), clock)
    async with _client(app) as client:
        yield client


def _client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://monitor", headers=ADMIN)


def body(starts_at: str, ends_at: str, **extra: Any) -> dict[str, Any]:
    return {
        "regions": ["73.71"],
        "starts_at": starts_at,
        "ends_at": ends_at,
        "reason": "data_migration",
        "message": TEXT,
        **extra,
    }


def at(hours: float) -> str:
    return (START + timedelta(hours=hours)).isoformat()


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "extra", "field"),
    [
        (at(1), FAR_FUTURE, {}, "ends_at"),  # "until further notice"
        (YEAR_ONE, at(2), {}, "ends_at"),  # longer than a year, too
        (YEAR_ONE, "0001-01-01T02:00:00+00:00", {}, "starts_at"),
        ("0001-01-01T00:00:00", "0001-01-01T02:00:00", {}, "starts_at"),
        ("9999-12-31T20:00:00+00:00", FAR_FUTURE, {}, "starts_at"),
        ("9999-12-31T20:00:00", "9999-12-31T23:00:00", {"recurrence": "weekly"}, "starts_at"),
        ("9999-12-31T20:00:00+00:00", FAR_FUTURE, {"recurrence": "weekly"}, "starts_at"),
        (at(1), at(1 + 367 * 24), {}, "ends_at"),
        (at(-49), at(1), {}, "starts_at"),  # more than a day ago
        (at(-49), at(-47), {"recurrence": "weekly"}, "starts_at"),
    ],
)
async def test_times_outside_the_range_are_refused_naming_the_field(
    http: httpx.AsyncClient, starts_at: str, ends_at: str, extra: dict[str, Any], field: str
) -> None:
    response = await http.post("/v1/maintenance", json=body(starts_at, ends_at, **extra))

    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", field]
    assert (await http.get("/v1/maintenance")).json() == []


async def test_the_range_still_admits_a_year_long_window_and_one_started_a_day_ago(
    http: httpx.AsyncClient,
) -> None:
    year = await http.post("/v1/maintenance", json=body(at(1), at(1 + 366 * 24)))
    under_way = await http.post("/v1/maintenance", json=body(at(-23), at(1)))

    assert (year.status_code, under_way.status_code) == (201, 201)


async def test_a_window_under_way_for_days_can_still_be_made_longer(
    http: httpx.AsyncClient, clock: FakeClock
) -> None:
    created = (await http.post("/v1/maintenance", json=body(at(1), at(5)))).json()
    clock.advance(3 * 24 * 3600)

    longer = await http.put(
        f"/v1/maintenance/{created['id']}", json=body(at(1), at(100)), headers=ADMIN
    )
    moved_back = await http.put(
        f"/v1/maintenance/{created['id']}", json=body(at(0), at(100)), headers=ADMIN
    )

    assert longer.status_code == 200
    assert moved_back.status_code == 422


def stored(plan_id: str, starts_at: datetime, ends_at: datetime) -> MaintenancePlanned:
    return MaintenancePlanned(
        maintenance_id=plan_id,
        active=True,
        origin="api",
        revision=1,
        regions="*",
        starts_at=starts_at,
        ends_at=ends_at,
        reason="data_migration",
        message=MaintenanceText(**TEXT),
        updated_at=START,
    )


async def test_a_stored_plan_out_of_range_is_ignored_with_a_warning_and_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    app = ready_app(monitor_settings(), clock, restored=False)
    monitor, maintenance = app.state.monitor, app.state.maintenance
    metrics: PrometheusMetrics = app.state.metrics
    records = [
        stored("forever", START + timedelta(hours=1), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)),
        stored("year-one", datetime(1, 1, 1, tzinfo=UTC), START + timedelta(hours=1)),
        stored("fine", START + timedelta(hours=1), START + timedelta(hours=2)),
    ]

    with caplog.at_level(logging.WARNING):
        maintenance.restore({record.maintenance_id: record for record in records})
    monitor.mark_restored()
    clock.advance(7200)
    monitor.tick()  # time passes over every plan kept: it must not overflow
    async with _client(app) as http:
        deleted = [
            (await http.delete(f"/v1/maintenance/{plan_id}")).status_code
            for plan_id in ("forever", "year-one", "fine")
        ]

    assert deleted == [404, 404, 204]
    warnings = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "forever" in warnings and "year-one" in warnings
    ignored = metrics.registry.get_sample_value("siak_monitor_maintenance_plans_ignored_total")
    assert ignored == 2.0


def test_file_plans_out_of_range_are_refused_at_start_naming_the_setting() -> None:
    plan = {
        "id": "forever",
        "regions": ["73.71"],
        "starts_at": "2030-01-01T00:00:00+00:00",
        "ends_at": FAR_FUTURE,
        "reason": "backup",
        "message": TEXT,
    }

    with pytest.raises(ValueError, match=r"maintenance\.0\.ends_at"):
        monitor_settings(maintenance=[FileMaintenance.model_validate(plan)])


ZONES: dict[str, tzinfo] = {"73.71": IndonesianTimeZone.WITA.tzinfo}
ANY_MOMENT = st.datetimes(timezones=st.sampled_from([UTC, *ZONES.values()]))
CLOCK = st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(ANY_MOMENT, ANY_MOMENT, CLOCK, st.integers(1, 10**9))
def test_the_calendar_never_overflows_whatever_times_a_plan_was_given(
    starts_at: datetime, ends_at: datetime, now: datetime, seconds: int
) -> None:
    """Whatever a plan says, it is either refused as a plan or the calendar works with it."""
    plans: list[Any] = []
    with contextlib.suppress(ValueError):
        plans.append(window(starts_at, ends_at, "73.71"))
    with contextlib.suppress(ValueError):
        duration = timedelta(seconds=seconds % (7 * 24 * 3600 - 1) + 1)
        plans.append(_weekly(starts_at, duration))
    calendar = calendar_of("73.71")
    for plan in plans:
        calendar.schedule(plan, at=now)
        calendar.active_for("73.71", now)
        calendar.next_for("73.71", now)
        calendar.crossings(now, now + timedelta(days=8))
        calendar.cancel(plan.id, at=now + timedelta(seconds=seconds))


def _weekly(starts_at: datetime, duration: timedelta) -> WeeklyMaintenance:
    local = starts_at.replace(tzinfo=None)
    return WeeklyMaintenance(
        id="weekly",
        regions=window(START, START + duration).regions,
        weekday=local.weekday(),
        local_start=local.time(),
        duration=duration,
        reason="backup",
        message=MESSAGE,
        starting_on=local.date(),
    )


def test_a_window_outside_the_range_is_no_window() -> None:
    for starts_at, ends_at in [
        (START, datetime(9999, 12, 31, tzinfo=UTC)),
        (datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 2, tzinfo=UTC)),
        (START, START + timedelta(days=367)),
    ]:
        with pytest.raises(ValueError):
            MaintenanceWindow(
                id="m",
                regions=window(START, START + timedelta(hours=1)).regions,
                starts_at=starts_at,
                ends_at=ends_at,
                reason="backup",
                message=MESSAGE,
            )
