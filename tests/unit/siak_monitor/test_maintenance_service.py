"""Scheduling, changing and cancelling maintenance: the calendar, the notices, the records."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from services.siak_monitor.maintenance_requests import (
    FileMaintenance,
    InvalidMaintenanceError,
    MaintenanceRequest,
)
from services.siak_monitor.maintenance_service import (
    FilePlanError,
    MaintenanceService,
    NotReadyError,
)
from services.siak_monitor.ports import PublishedState
from shared.events import (
    MaintenanceAction,
    MaintenanceNotice,
    MaintenancePlanned,
    MaintenanceText,
    SiakStatus,
)
from tests.unit.siak_monitor.fakes import FakeClock, fake_monitor, probe_all, settings

MESSAGE = MaintenanceText(id="Migrasi data SIAK", en="SIAK data migration")
SCHEDULED, CHANGED, CANCELLED = (
    MaintenanceAction.SCHEDULED,
    MaintenanceAction.CHANGED,
    MaintenanceAction.CANCELLED,
)
STARTED, ENDED = MaintenanceAction.STARTED, MaintenanceAction.ENDED


def request(starts_at: datetime, hours: float, *regions: str, **extra: Any) -> MaintenanceRequest:
    return MaintenanceRequest(
        regions=list(regions) or "*",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        reason="data_migration",
        message=MESSAGE,
        **extra,
    )


def notices(queued: list[Any]) -> list[tuple[str, MaintenanceAction]]:
    return [(n.region_code, n.action) for n in queued if isinstance(n, MaintenanceNotice)]


def records(queued: list[Any]) -> list[tuple[int, bool]]:
    return [(r.revision, r.active) for r in queued if isinstance(r, MaintenancePlanned)]


def ready_service(clock: FakeClock, **config: Any) -> tuple[MaintenanceService, Any]:
    monitor, _, _ = fake_monitor(settings(**config), clock)
    service = MaintenanceService(monitor, new_id=lambda: "mnt-1")
    monitor.restore(PublishedState())
    service.restore({})
    return service, monitor


def test_scheduling_ahead_records_the_plan_and_tells_every_covered_region() -> None:
    clock = FakeClock()
    service, monitor = ready_service(clock)

    plan = service.schedule(request(clock.now + timedelta(hours=1), 5, "73.71"))

    assert plan.id == "mnt-1"
    assert records(monitor.outbox.queued()) == [(1, True)]
    assert notices(monitor.outbox.queued()) == [("73.71", SCHEDULED)]
    upcoming = monitor.watched.upcoming_maintenance("73.71", clock.now)
    assert upcoming is not None and upcoming.starts_at == clock.now + timedelta(hours=1)


async def test_the_window_is_maintenance_whatever_the_probes_say_and_up_after_it() -> None:
    clock = FakeClock()
    service, monitor = ready_service(clock, watch="73.71")
    await probe_all(monitor, clock, rounds=2)
    service.schedule(request(clock.now + timedelta(seconds=10), 1, "73.71"))

    clock.advance(10)
    monitor.tick()
    during = monitor.watched.region("73.71").status
    clock.advance(3600)
    monitor.tick()

    assert during == SiakStatus.MAINTENANCE
    assert monitor.watched.region("73.71").status == SiakStatus.UP
    assert notices(monitor.outbox.queued()) == [
        ("73.71", SCHEDULED),
        ("73.71", STARTED),
        ("73.71", ENDED),
    ]


def test_narrowing_a_plan_tells_the_dropped_regions_it_is_cancelled_for_them() -> None:
    clock = FakeClock()
    service, monitor = ready_service(clock)
    starts_at = clock.now + timedelta(hours=1)
    service.schedule(request(starts_at, 5, "73.71", "73.06"))

    service.change("mnt-1", request(starts_at, 8, "73.71"))

    assert notices(monitor.outbox.queued())[2:] == [("73.71", CHANGED), ("73.06", CANCELLED)]
    assert records(monitor.outbox.queued()) == [(1, True), (2, True)]


def test_cancelling_drops_the_plan_and_records_it_inactive() -> None:
    clock = FakeClock()
    service, monitor = ready_service(clock)
    service.schedule(request(clock.now + timedelta(hours=1), 5, "73.71"))

    assert service.cancel("mnt-1")

    assert service.plans() == []
    assert records(monitor.outbox.queued()) == [(1, True), (2, False)]
    assert not service.cancel("mnt-1")


def test_a_window_already_over_is_refused_naming_its_end() -> None:
    clock = FakeClock()
    service, _ = ready_service(clock)

    with pytest.raises(InvalidMaintenanceError) as refused:
        service.schedule(request(clock.now - timedelta(hours=3), 1, "73.71"))

    assert refused.value.field == "ends_at"


def test_nothing_is_scheduled_before_the_published_plans_are_read_back() -> None:
    clock = FakeClock()
    monitor, _, _ = fake_monitor(settings(), clock)
    service = MaintenanceService(monitor)

    with pytest.raises(NotReadyError):
        service.schedule(request(clock.now + timedelta(hours=1), 1, "73.71"))


def file_plan(starts_at: datetime, hours: float = 4) -> FileMaintenance:
    return FileMaintenance(
        id="weekly-backup",
        regions=["73.71"],
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        reason="backup",
        message=MESSAGE,
    )


def told(plan: FileMaintenance, *, origin: str = "file", revision: int = 1) -> MaintenancePlanned:
    return MaintenancePlanned(
        maintenance_id=plan.id,
        active=True,
        origin=origin,
        revision=revision,
        regions=plan.regions,
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        reason=plan.reason,
        message=plan.message,
        updated_at=plan.starts_at,
    )


def restored(
    clock: FakeClock, plans: list[FileMaintenance], known: list[MaintenancePlanned]
) -> Any:
    monitor, _, _ = fake_monitor(settings(), clock)
    service = MaintenanceService(monitor, file_plans=plans)
    service.restore({record.maintenance_id: record for record in known})
    return service, monitor


def test_a_new_file_plan_is_announced_once_the_plans_are_read_back() -> None:
    clock = FakeClock()
    plan = file_plan(clock.now + timedelta(days=1))

    service, monitor = restored(clock, [plan], [])

    assert notices(monitor.outbox.queued()) == [("73.71", SCHEDULED)]
    assert records(monitor.outbox.queued()) == [(1, True)]
    with pytest.raises(FilePlanError):
        service.cancel(plan.id)


def test_an_unchanged_file_plan_is_not_announced_again() -> None:
    clock = FakeClock()
    plan = file_plan(clock.now + timedelta(days=1))

    service, monitor = restored(clock, [plan], [told(plan, revision=4)])

    assert monitor.outbox.queued() == []
    (known,) = service.plans()
    assert known.revision == 4


def test_a_changed_file_plan_is_announced_as_changed_and_a_removed_one_as_cancelled() -> None:
    clock = FakeClock()
    before = file_plan(clock.now + timedelta(days=1))
    gone = before.model_copy(update={"id": "old-plan"})

    _, monitor = restored(clock, [file_plan(before.starts_at, hours=6)], [told(before), told(gone)])

    assert notices(monitor.outbox.queued()) == [("73.71", CHANGED), ("73.71", CANCELLED)]
    assert records(monitor.outbox.queued()) == [(2, True), (2, False)]


def test_plans_made_through_the_api_come_back_silently_after_a_restart() -> None:
    clock = FakeClock()
    earlier = file_plan(clock.now + timedelta(hours=2)).model_copy(update={"id": "mnt-9"})

    service, monitor = restored(clock, [], [told(earlier, origin="api", revision=3)])

    assert [(plan.id, plan.origin, plan.revision) for plan in service.plans()] == [
        ("mnt-9", "api", 3)
    ]
    assert monitor.outbox.queued() == []
    assert monitor.watched.upcoming_maintenance("73.71", clock.now) is not None


def test_a_read_back_that_failed_part_way_can_be_run_again_without_doing_anything_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeClock()
    changed = file_plan(clock.now + timedelta(days=1))
    gone = changed.model_copy(update={"id": "old-plan"})
    earlier = changed.model_copy(update={"id": "mnt-9"})
    known = [told(changed), told(gone), told(earlier, origin="api", revision=3)]
    monitor, _, _ = fake_monitor(settings(), clock)
    service = MaintenanceService(monitor, file_plans=[file_plan(changed.starts_at, hours=6)])
    reevaluate = monitor.watched.reevaluate

    def fails_once(at: datetime) -> None:
        monkeypatch.setattr(monitor.watched, "reevaluate", reevaluate)
        raise RuntimeError("failed after the plans were taken back")

    monkeypatch.setattr(monitor.watched, "reevaluate", fails_once)
    with pytest.raises(RuntimeError):
        service.restore({record.maintenance_id: record for record in known})

    service.restore({record.maintenance_id: record for record in known})

    assert service.ready
    assert sorted(plan.id for plan in monitor.watched.calendar.plans()) == [
        "mnt-9",
        "weekly-backup",
    ]
    assert notices(monitor.outbox.queued()) == [("73.71", CHANGED), ("73.71", CANCELLED)]
    assert records(monitor.outbox.queued()) == [(2, True), (2, False)]


# Text an earlier version's API accepted (its rule refused C0, DEL and C1 only), read back from
# what it published: a line separator pasted into a notice, a direction mark after a reason.
_NOTICE_ACCEPTED_BEFORE = MaintenanceText(
    id="Migrasi data SIAK.\u2028Layanan kembali pukul 06.00 WITA.", en="SIAK data migration"
)


@pytest.mark.parametrize(
    "accepted_before",
    [{"message": _NOTICE_ACCEPTED_BEFORE}, {"reason": "data_migration\u200f"}],
    ids=["line-separator-in-notice", "direction-mark-in-reason"],
)
def test_a_plan_published_before_todays_text_rule_is_read_back_as_published(
    accepted_before: dict[str, Any],
) -> None:
    clock = FakeClock()
    earlier = file_plan(clock.now + timedelta(hours=2)).model_copy(
        update={"id": "mnt-9", **accepted_before}
    )

    service, monitor = restored(clock, [], [told(earlier, origin="api", revision=3)])

    assert [plan.id for plan in service.plans()] == ["mnt-9"]
    assert monitor.watched.upcoming_maintenance("73.71", clock.now) is not None


def test_a_removed_file_plan_published_before_todays_text_rule_is_announced_cancelled() -> None:
    clock = FakeClock()
    gone = file_plan(clock.now + timedelta(days=1)).model_copy(
        update={"id": "old-plan", "message": _NOTICE_ACCEPTED_BEFORE}
    )

    _, monitor = restored(clock, [], [told(gone)])

    assert monitor.outbox.queued()
