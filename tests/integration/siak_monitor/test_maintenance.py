"""Maintenance announced through the admin API, then under way, then over or overrunning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.siak_monitor.maintenance_requests import FileMaintenance
from shared import topics
from shared.events import (
    MaintenanceAction,
    MaintenanceNotice,
    MaintenancePlanned,
    SiakStatus,
    StatusChanged,
)
from tests.integration.siak_monitor.conftest import (
    Simulator,
    monitor_settings,
    running_monitor,
    topic_events,
)

pytestmark = pytest.mark.integration

MESSAGE = {"id": "Migrasi data SIAK", "en": "SIAK data migration"}
UP, DOWN, MAINTENANCE = SiakStatus.UP, SiakStatus.DOWN, SiakStatus.MAINTENANCE
SCHEDULED, CHANGED, CANCELLED = (
    MaintenanceAction.SCHEDULED,
    MaintenanceAction.CHANGED,
    MaintenanceAction.CANCELLED,
)
STARTED, ENDED = MaintenanceAction.STARTED, MaintenanceAction.ENDED


def window_from_now(start_s: float, end_s: float, *regions: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "regions": list(regions),
        "starts_at": (now + timedelta(seconds=start_s)).isoformat(),
        "ends_at": (now + timedelta(seconds=end_s)).isoformat(),
        "reason": "data_migration",
        "message": MESSAGE,
    }


def actions(notices: list[MaintenanceNotice], code: str) -> list[MaintenanceAction]:
    return [notice.action for notice in notices if notice.region_code == code]


def statuses(events: list[StatusChanged], code: str) -> list[tuple[SiakStatus, str | None]]:
    return [(event.status, event.reason) for event in events if event.region_code == code]


async def test_announced_window_starts_and_ends_on_time(
    bootstrap_servers: str, simulator: Simulator
) -> None:
    watched = ["13.01", "13.02"]
    settings = monitor_settings(bootstrap_servers, simulator, ",".join(watched))
    async with (
        topic_events(bootstrap_servers, topics.SIAK_STATUS, StatusChanged, watched) as status,
        topic_events(
            bootstrap_servers, topics.SIAK_MAINTENANCE, MaintenanceNotice, watched
        ) as notices,
        running_monitor(settings) as monitor,
    ):
        await status.until(lambda e: statuses(e, "13.01") == [(UP, None)], what="13.01 UP")
        created = await monitor.admin("POST", "/v1/maintenance", window_from_now(1, 2.5, "13.01"))
        plan_id = created.json()["id"]
        announced = await notices.until(
            lambda n: actions(n, "13.01")[:1] == [SCHEDULED], what="announced ahead"
        )
        # When the monitor announced it, not when this reader got to it (the start may
        # already be in the same poll on a slow machine).
        assert announced[0].occurred_at < announced[0].starts_at
        over = await notices.until(
            lambda n: actions(n, "13.01") == [SCHEDULED, STARTED, ENDED], what="started, ended"
        )
        published = await status.until(
            lambda e: [s for s, _ in statuses(e, "13.01")] == [UP, MAINTENANCE, UP],
            what="MAINTENANCE during the window, UP after it",
        )
        region = await monitor.region("13.01")

    assert created.status_code == 201
    assert {notice.maintenance_id for notice in over} == {plan_id}
    assert actions(over, "13.02") == []
    in_maintenance = [e for e in published if e.status == MAINTENANCE]
    assert in_maintenance[0].reason == "planned_maintenance"
    assert in_maintenance[0].expected_return_at == over[0].ends_at
    assert statuses(published, "13.02") == [(UP, None)]
    assert region["next_maintenance"] is None


async def test_an_overrun_is_down_with_later_estimates_until_probes_succeed(
    bootstrap_servers: str, simulator: Simulator
) -> None:
    watched = ["13.03"]
    settings = monitor_settings(bootstrap_servers, simulator, "13.03", overrun_extension_s=0.6)
    async with (
        topic_events(bootstrap_servers, topics.SIAK_STATUS, StatusChanged, watched) as status,
        running_monitor(settings) as monitor,
    ):
        await status.until(lambda e: statuses(e, "13.03") == [(UP, None)], what="13.03 UP")
        # SIAK must be made to fail between the MAINTENANCE being seen and the window's end:
        # leave a slow machine seconds for that, not a second.
        created = await monitor.admin("POST", "/v1/maintenance", window_from_now(0.3, 3, "13.03"))
        await status.until(lambda e: len(statuses(e, "13.03")) == 2, what="MAINTENANCE")
        await simulator.set("13.03", "maintenance")

        def overrun_twice(events: list[StatusChanged]) -> bool:
            return statuses(events, "13.03")[2:4] == [(DOWN, "maintenance_overrun")] * 2

        await status.until(overrun_twice, what="overrun with a second estimate")
        await simulator.set("13.03", "up")
        published = await status.until(
            lambda e: statuses(e, "13.03")[-1] == (UP, None) and len(statuses(e, "13.03")) > 4,
            what="UP once probes succeed",
        )

    ends_at = datetime.fromisoformat(created.json()["ends_at"])
    changes = [event for event in published if event.region_code == "13.03"]
    assert [c.status for c in changes[:2]] == [UP, MAINTENANCE]
    overruns = [c for c in changes if c.reason == "maintenance_overrun"]
    assert [c.expected_return_at for c in overruns[:2]] == [
        ends_at + timedelta(seconds=0.6),
        ends_at + timedelta(seconds=1.2),
    ]
    assert all(c.since == overruns[0].since for c in overruns)
    assert [c.seq for c in changes] == list(range(1, len(changes) + 1))


async def test_changes_and_cancellations_are_announced_with_plan_records(
    bootstrap_servers: str, simulator: Simulator
) -> None:
    watched = ["13.04", "13.05"]
    settings = monitor_settings(bootstrap_servers, simulator, ",".join(watched))
    async with (
        topic_events(
            bootstrap_servers, topics.SIAK_MAINTENANCE, MaintenanceNotice, watched
        ) as notices,
        running_monitor(settings) as monitor,
    ):
        created = await monitor.admin(
            "POST", "/v1/maintenance", window_from_now(3600, 7200, "13.04", "13.05")
        )
        plan_id = created.json()["id"]
        async with topic_events(
            bootstrap_servers, topics.SIAK_MAINTENANCE_PLANS, MaintenancePlanned, [plan_id]
        ) as records:
            changed = await monitor.admin(
                "PUT", f"/v1/maintenance/{plan_id}", window_from_now(3600, 10800, "13.04")
            )
            cancelled = await monitor.admin("DELETE", f"/v1/maintenance/{plan_id}")
            told = await notices.until(
                lambda n: len(n) == 5, what="scheduled twice, changed, cancelled twice"
            )
            plan_records = await records.until(lambda r: len(r) == 3, what="three revisions")
        listed = (await monitor.http.get(f"{monitor.url}/v1/maintenance")).json()

    assert (created.status_code, changed.status_code, cancelled.status_code) == (201, 200, 204)
    assert actions(told, "13.04") == [SCHEDULED, CHANGED, CANCELLED]
    assert actions(told, "13.05") == [SCHEDULED, CANCELLED]
    change = next(notice for notice in told if notice.action == CHANGED)
    assert change.ends_at - change.starts_at == timedelta(hours=2)
    assert change.previous_ends_at is not None and change.previous_starts_at is not None
    assert change.previous_ends_at - change.previous_starts_at == timedelta(hours=1)
    assert [(r.revision, r.active) for r in plan_records] == [(1, True), (2, True), (3, False)]
    assert plan_id not in {plan["id"] for plan in listed}


async def test_plans_survive_a_restart_and_file_plans_are_announced_once(
    bootstrap_servers: str, simulator: Simulator
) -> None:
    watched = ["13.06"]
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    file_plan = FileMaintenance(
        id=f"file-{simulator.url.rsplit(':', 1)[1]}",
        regions=["13.06"],
        starts_at=starts,
        ends_at=starts + timedelta(hours=4),
        reason="weekly_backup",
        message=MESSAGE,
    )
    settings = monitor_settings(bootstrap_servers, simulator, "13.06", maintenance=[file_plan])
    async with topic_events(
        bootstrap_servers, topics.SIAK_MAINTENANCE, MaintenanceNotice, watched
    ) as notices:
        async with running_monitor(settings) as first:
            created = await first.admin(
                "POST", "/v1/maintenance", window_from_now(7200, 9000, "13.06")
            )
            await notices.until(lambda n: len(n) == 2, what="file and API plans announced")
        async with running_monitor(settings) as second:
            plans = (await second.http.get(f"{second.url}/v1/maintenance")).json()
            refused = await second.admin("DELETE", f"/v1/maintenance/{file_plan.id}")
        longer = file_plan.model_copy(update={"ends_at": starts + timedelta(hours=6)})
        changed_settings = settings.model_copy(update={"maintenance": [longer]})
        async with running_monitor(changed_settings):
            told = await notices.until(lambda n: len(n) == 3, what="the file change announced")

    assert {(plan["id"], plan["origin"]) for plan in plans} == {
        (file_plan.id, "file"),
        (created.json()["id"], "api"),
    }
    assert refused.status_code == 409
    assert [(n.maintenance_id, n.action) for n in told] == [
        (file_plan.id, SCHEDULED),
        (created.json()["id"], SCHEDULED),
        (file_plan.id, CHANGED),
    ]
