"""Scheduling, changing and cancelling maintenance, and announcing each at once."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Literal

from services.siak_monitor.domain.maintenance import MaintenancePlan, MaintenanceWindow
from services.siak_monitor.domain.maintenance_calendar import MaintenanceCalendar
from services.siak_monitor.domain.maintenance_reconciliation import tell_difference
from services.siak_monitor.maintenance_requests import (
    FileMaintenance,
    InvalidMaintenanceError,
    MaintenanceRequest,
    first_start,
    plan_from_request,
)
from services.siak_monitor.monitoring import Monitor
from shared.events import MaintenancePlanned
from shared.operator_text import AS_PUBLISHED

log = logging.getLogger(__name__)
Origin = Literal["file", "api"]
START_GRACE = timedelta(days=1)
"""How far in the past a window made through the API may start: one just begun can be recorded."""


@dataclass(frozen=True)
class KnownPlan:
    id: str
    request: MaintenanceRequest
    origin: Origin
    revision: int
    """Of the plan's record on `siak.maintenance.plans.v1`."""


class NotReadyError(RuntimeError):
    """The plans published earlier have not been read back yet, or never will be here: this
    replica stands by."""


class FilePlanError(ValueError):
    """The plan comes from the config file, so only the file can change it."""


def new_plan_id() -> str:
    return f"mnt-{uuid.uuid4().hex[:12]}"


class MaintenanceService:
    """Plans from the config file and the admin API, each kept with where it came from.

    File plans apply from the start; once the plans topic has been read back, API plans are
    restored and file plans that differ from what subscribers were told are announced.
    """

    def __init__(
        self,
        monitor: Monitor,
        *,
        file_plans: Iterable[FileMaintenance] = (),
        new_id: Callable[[], str] = new_plan_id,
    ) -> None:
        self.monitor = monitor
        self.new_id = new_id
        self._known: dict[str, KnownPlan] = {}
        self._ready = False
        self._not_ready = "the maintenance plans published earlier are not read back yet"
        self._restored: set[str] = set()
        """Plans `restore` has taken back or announced, should it have to run again."""
        at = monitor.clock()
        for entry in file_plans:
            request = MaintenanceRequest.model_validate(entry.model_dump(exclude={"id"}))
            # Announced once the plans topic says whether subscribers know it already.
            self._calendar.schedule(self._plan(request, entry.id), at=at)
            self._known[entry.id] = KnownPlan(entry.id, request, "file", revision=0)
        self.monitor.watched.reevaluate(at)
        self.monitor.calendar_changed()

    @property
    def ready(self) -> bool:
        return self._ready

    def stand_by(self) -> None:
        """This service belongs to a standby replica: it refuses changes, saying where to go."""
        self._not_ready = "this replica stands by: the publishing replica takes maintenance changes"

    def plans(self) -> list[KnownPlan]:
        return list(self._known.values())

    def get(self, plan_id: str) -> KnownPlan | None:
        return self._known.get(plan_id)

    def schedule(self, request: MaintenanceRequest) -> KnownPlan:
        self._require_ready()
        at = self.monitor.clock()
        known = KnownPlan(self.new_id(), request, "api", revision=1)
        plan = self._plan(request, known.id)
        self._refuse_past(plan, request, at)
        events = self.monitor.watched.schedule(plan, at)
        self._keep(known, at, active=True)
        self.monitor.announce(events, at)
        self.monitor.calendar_changed()
        return known

    def change(self, plan_id: str, request: MaintenanceRequest) -> KnownPlan | None:
        """The changed plan, or None when there is no such plan."""
        self._require_ready()
        known = self._changeable(plan_id)
        if known is None:
            return None
        at = self.monitor.clock()
        plan = self._plan(request, plan_id)
        self._refuse_past(plan, request, at, kept_start=known.request.starts_at)
        events = self.monitor.watched.change(plan, at)
        known = replace(known, request=request, revision=known.revision + 1)
        self._keep(known, at, active=True)
        self.monitor.announce(events, at)
        self.monitor.calendar_changed()
        return known

    def cancel(self, plan_id: str) -> bool:
        """Whether there was such a plan."""
        self._require_ready()
        known = self._changeable(plan_id)
        if known is None:
            return False
        at = self.monitor.clock()
        events = self.monitor.watched.cancel(plan_id, at)
        self._keep(replace(known, revision=known.revision + 1), at, active=False)
        self.monitor.announce(events, at)
        self.monitor.calendar_changed()
        return True

    def restore(self, told: Mapping[str, MaintenancePlanned]) -> None:
        """Take back the API plans and announce what changed in the file since last time.

        Run again after failing part way (its task is restarted), it does not repeat what the
        failed run did: each plan is taken back or announced once.
        """
        at = self.monitor.clock()
        active = [record for record in told.values() if record.active]
        file_ids = [plan.id for plan in self._known.values() if plan.origin == "file"]
        for record in active:
            if record.origin == "api" and record.maintenance_id not in file_ids:
                self._once(record.maintenance_id, partial(self._restore_api_plan, record, at))
        for plan_id in file_ids:
            known, record_of_plan = self._known[plan_id], told.get(plan_id)
            self._once(plan_id, partial(self._announce_file_plan, known, record_of_plan, at))
        for record in active:
            if record.origin == "file" and record.maintenance_id not in file_ids:
                self._once(
                    record.maintenance_id, partial(self._announce_removed_file_plan, record, at)
                )
        self.monitor.watched.reevaluate(at)
        self.monitor.calendar_changed()
        self._ready = True

    def _once(self, plan_id: str, step: Callable[[], None]) -> None:
        if plan_id not in self._restored:
            step()
            self._restored.add(plan_id)

    def _restore_api_plan(self, record: MaintenancePlanned, at: datetime) -> None:
        told = self._told(record)
        if told is None:
            return
        request, plan = told
        self._calendar.schedule(plan, at=at)  # announced when it was made
        known = KnownPlan(record.maintenance_id, request, "api", record.revision)
        self._known[known.id] = known

    def _announce_file_plan(
        self, known: KnownPlan, record: MaintenancePlanned | None, at: datetime
    ) -> None:
        if record is not None and _records_file_plan(record, known):
            self._known[known.id] = replace(known, revision=record.revision)
            return
        told = self._told_plan(record) if record is not None and record.active else None
        known = replace(known, revision=record.revision + 1 if record else 1)
        self._keep(known, at, active=True)
        plan = self._calendar.get(known.id)
        self.monitor.announce(tell_difference(plan, told, self._calendar.zones, at), at)

    def _announce_removed_file_plan(self, record: MaintenancePlanned, at: datetime) -> None:
        told = self._told(record)
        if told is None:
            return
        request, plan = told
        known = KnownPlan(record.maintenance_id, request, "file", record.revision + 1)
        self._keep(known, at, active=False)
        self.monitor.announce(tell_difference(None, plan, self._calendar.zones, at), at)

    def _told_plan(self, record: MaintenancePlanned) -> MaintenancePlan | None:
        told = self._told(record)
        return told[1] if told is not None else None

    def _told(
        self, record: MaintenancePlanned
    ) -> tuple[MaintenanceRequest, MaintenancePlan] | None:
        """The plan a record read back describes; None (with a warning, counted) for a record
        that cannot be a plan today, such as one outside the range from before it existed."""
        try:
            request = _request_of(record)
            return request, self._plan(request, record.maintenance_id)
        except ValueError as error:  # InvalidMaintenanceError, or the request's own checks
            log.warning("maintenance %s read back is ignored: %s", record.maintenance_id, error)
            self.monitor.metrics.maintenance_plan_ignored()
            return None

    def _changeable(self, plan_id: str) -> KnownPlan | None:
        known = self._known.get(plan_id)
        if known is not None and known.origin == "file":
            raise FilePlanError(
                f"maintenance {plan_id} comes from the config file; change it there"
            )
        return known

    def _keep(self, known: KnownPlan, at: datetime, *, active: bool) -> None:
        """Hold the plan (or drop it) and queue its record for the plans topic."""
        if not active:
            self._known.pop(known.id, None)
        else:
            self._known[known.id] = known
        request = known.request
        record = MaintenancePlanned(
            maintenance_id=known.id,
            active=active,
            origin=known.origin,
            revision=known.revision,
            regions=request.regions,
            starts_at=request.starts_at,
            ends_at=request.ends_at,
            recurrence=request.recurrence,
            reason=request.reason,
            message=request.message,
            updated_at=at,
        )
        self.monitor.queue([record])

    def _plan(self, request: MaintenanceRequest, plan_id: str) -> MaintenancePlan:
        return plan_from_request(request, plan_id, self._calendar.zones)

    @property
    def _calendar(self) -> MaintenanceCalendar:
        return self.monitor.watched.calendar

    def _refuse_past(
        self,
        plan: MaintenancePlan,
        request: MaintenanceRequest,
        at: datetime,
        *,
        kept_start: datetime | None = None,
    ) -> None:
        if isinstance(plan, MaintenanceWindow) and plan.ends_at <= at:
            raise InvalidMaintenanceError("ends_at", "is in the past")
        if request.starts_at == kept_start:
            return  # a window under way can still be changed, e.g. made longer
        if first_start(request, self._calendar.zones) < at - START_GRACE:
            raise InvalidMaintenanceError("starts_at", "must be no earlier than a day ago")

    def _require_ready(self) -> None:
        if not self._ready:
            raise NotReadyError(self._not_ready)


def _records_file_plan(record: MaintenancePlanned, known: KnownPlan) -> bool:
    """Whether the record says exactly what the config file says now."""
    if not (record.active and record.origin == "file"):
        return False
    try:
        return _request_of(record) == known.request
    except ValueError:
        return False


def _request_of(record: MaintenancePlanned) -> MaintenanceRequest:
    """The request a published plan was made from; its text as published (`AS_PUBLISHED`)."""
    return MaintenanceRequest.model_validate(
        {
            "regions": record.regions,
            "starts_at": record.starts_at,
            "ends_at": record.ends_at,
            "reason": record.reason,
            "message": record.message,
            "recurrence": record.recurrence,
        },
        context=AS_PUBLISHED,
    )
