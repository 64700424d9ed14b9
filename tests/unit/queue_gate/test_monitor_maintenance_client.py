"""The gate's client of the monitor's maintenance API, against the monitor's own routes."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest

from services.queue_gate.adapters.monitor_maintenance import HttpMaintenanceCalendar
from services.queue_gate.operators.ports import (
    MaintenanceRefusedError,
    MaintenanceWindow,
    MonitorUnavailableError,
)
from services.siak_monitor.replica import Standing
from tests.unit.siak_monitor.fakes import FakeClock, ready_app, settings

TOKEN = "monitor-admin-token"


@pytest.fixture
async def monitor() -> AsyncIterator[tuple[httpx.AsyncClient, FakeClock]]:
    clock = FakeClock()
    app = ready_app(settings(admin_token=TOKEN), clock)
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://monitor") as http:
        yield http, clock


def window(clock: FakeClock, *, hours: int = 2) -> MaintenanceWindow:
    starts = clock() + timedelta(days=1)
    return MaintenanceWindow(
        regions=["73.71"],
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        reason="data_migration",
        message_id="Pemeliharaan",
        message_en="Maintenance",
    )


async def test_schedules_lists_changes_and_cancels_a_window(
    monitor: tuple[httpx.AsyncClient, FakeClock],
) -> None:
    http, clock = monitor
    calendar = HttpMaintenanceCalendar(http, admin_token=TOKEN)

    plan = await calendar.schedule(window(clock))
    listed = await calendar.plans()
    changed = await calendar.change(plan.id, window(clock, hours=3))
    cancelled = await calendar.cancel(plan.id)

    assert [item.id for item in listed] == [plan.id] and plan.editable
    assert plan.window == window(clock)
    assert changed is not None and changed.window.ends_at == window(clock, hours=3).ends_at
    assert cancelled and await calendar.plans() == []
    assert not await calendar.cancel(plan.id)
    assert await calendar.change(plan.id, window(clock)) is None


async def test_a_refused_window_names_the_field(
    monitor: tuple[httpx.AsyncClient, FakeClock],
) -> None:
    http, clock = monitor
    calendar = HttpMaintenanceCalendar(http, admin_token=TOKEN)
    forwards = window(clock)
    backwards = dataclasses.replace(forwards, ends_at=forwards.starts_at - timedelta(hours=1))

    with pytest.raises(MaintenanceRefusedError) as refused:
        await calendar.schedule(backwards)

    assert refused.value.field == "ends_at"


async def test_without_the_right_token_the_monitor_is_unavailable_to_change(
    monitor: tuple[httpx.AsyncClient, FakeClock],
) -> None:
    http, clock = monitor

    with pytest.raises(MonitorUnavailableError):
        await HttpMaintenanceCalendar(http, admin_token="wrong").schedule(window(clock))
    with pytest.raises(MonitorUnavailableError):
        await HttpMaintenanceCalendar(http, admin_token=None).schedule(window(clock))
    assert await HttpMaintenanceCalendar(http, admin_token=None).plans() == []


async def test_an_unreachable_monitor_is_unavailable() -> None:
    async with httpx.AsyncClient(base_url="http://127.0.0.1:9", timeout=1.0) as http:
        with pytest.raises(MonitorUnavailableError):
            await HttpMaintenanceCalendar(http, admin_token=TOKEN).plans()


async def test_a_weekly_plan_in_local_time_keeps_its_recurrence_and_times_when_changed(
    monitor: tuple[httpx.AsyncClient, FakeClock],
) -> None:
    """Ops schedule it through the monitor's API; weeks later the console changes its text."""
    http, clock = monitor
    calendar = HttpMaintenanceCalendar(http, admin_token=TOKEN)
    starts = (clock() + timedelta(days=1)).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    weekly = {
        "regions": ["73.71"],
        "starts_at": starts.isoformat(),  # no offset: WITA, the region's local time
        "ends_at": (starts + timedelta(hours=4)).isoformat(),
        "reason": "weekly_backup",
        "message": {"id": "Pencadangan mingguan", "en": "Weekly backup"},
        "recurrence": "weekly",
    }
    created = await http.post(
        "/v1/maintenance", json=weekly, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert created.status_code == 201
    clock.advance(timedelta(days=9).total_seconds())  # started more than a day ago

    [plan] = await calendar.plans()
    changed = await calendar.change(
        plan.id, dataclasses.replace(plan.window, message_en="Weekly backup, 4 hours")
    )
    stored = (await http.get(f"/v1/maintenance/{plan.id}")).json()

    assert changed is not None
    assert stored["recurrence"] == "weekly"
    assert (stored["starts_at"], stored["ends_at"]) == (weekly["starts_at"], weekly["ends_at"])
    assert stored["message"]["en"] == "Weekly backup, 4 hours"


class MonitorService(httpx.AsyncBaseTransport):
    """The monitor's Kubernetes Service: both replicas are ready, so a new connection may
    reach either; here the first `standby_first` requests reach the standby."""

    def __init__(self, clock: FakeClock, *, standby_first: int) -> None:
        config = settings(admin_token=TOKEN)
        self.active = ready_app(config, clock)
        standby = ready_app(config, clock, restored=False)
        standby.state.replica = SimpleNamespace(standing=Standing.STANDBY)
        standby.state.maintenance.stand_by()
        self.replicas = {
            "active": httpx.ASGITransport(self.active),
            "standby": httpx.ASGITransport(standby),
        }
        self.standby_first = standby_first
        self.reached: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        replica = "standby" if len(self.reached) < self.standby_first else "active"
        self.reached.append(replica)
        return await self.replicas[replica].handle_async_request(request)


async def test_a_standby_reached_through_the_service_is_asked_past() -> None:
    clock = FakeClock()
    service = MonitorService(clock, standby_first=2)
    async with httpx.AsyncClient(transport=service, base_url="http://monitor") as http:
        calendar = HttpMaintenanceCalendar(http, admin_token=TOKEN)

        plan = await calendar.schedule(window(clock))

    assert service.reached == ["standby", "standby", "active"]
    assert [known.id for known in service.active.state.maintenance.plans()] == [plan.id]


async def test_a_monitor_with_no_publishing_replica_is_unavailable() -> None:
    clock = FakeClock()
    service = MonitorService(clock, standby_first=100)
    async with httpx.AsyncClient(transport=service, base_url="http://monitor") as http:
        calendar = HttpMaintenanceCalendar(http, admin_token=TOKEN)

        with pytest.raises(MonitorUnavailableError, match="stand"):
            await calendar.plans()

    assert 1 < len(service.reached) < 100


def answering(status_code: int, content: bytes) -> HttpMaintenanceCalendar:
    """A calendar whose monitor (or a proxy before it) always answers this."""
    transport = httpx.MockTransport(lambda _request: httpx.Response(status_code, content=content))
    http = httpx.AsyncClient(transport=transport, base_url="http://monitor")
    return HttpMaintenanceCalendar(http, admin_token=TOKEN)


GARBLED = [
    b"<html>proxy login</html>",
    b'{"not": "a list"}',
    b'[{"id": "x"}]',
    b'[{"id": "x", "origin": "api", "regions": ["73.71"], "starts_at": "soon"}]',
]


@pytest.mark.parametrize("content", GARBLED)
async def test_a_garbled_list_of_plans_is_the_monitor_unavailable(content: bytes) -> None:
    with pytest.raises(MonitorUnavailableError, match="unreadable"):
        await answering(200, content).plans()


@pytest.mark.parametrize("content", [b"<html></html>", b"[]", b'{"id": "x"}'])
async def test_a_garbled_answer_to_a_new_window_is_the_monitor_unavailable(
    content: bytes, monitor: tuple[httpx.AsyncClient, FakeClock]
) -> None:
    _http, clock = monitor
    with pytest.raises(MonitorUnavailableError, match="unreadable"):
        await answering(201, content).schedule(window(clock))
