"""What an operator does to regions, parked submissions and maintenance, from any entrypoint."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.queue_gate.domain.ticket import SubmissionState
from services.queue_gate.handlers.region_gate import GateReader
from services.queue_gate.operators.ports import (
    ActionAudit,
    AuditEntry,
    MaintenanceCalendar,
    MaintenancePlan,
    MaintenanceWindow,
)
from services.queue_gate.ports import ParkedSubmission, RegionControlStore, SubmissionStore

log = logging.getLogger(__name__)

PARKED_MOVES = {SubmissionState.QUEUED: "retry", SubmissionState.CANCELLED: "cancel"}


async def change_region_control(
    region_code: str,
    given: Mapping[str, Any],
    *,
    reason: str,
    actor: str,
    controls: RegionControlStore,
    gates: GateReader,
) -> None:
    """Only the fields `given` change; the store audits who and why."""
    await controls.change(region_code, given, reason=reason, actor=actor)
    await gates.reload()  # intake on this replica follows the change at once


@dataclasses.dataclass(frozen=True)
class ParkedPage:
    submissions: list[ParkedSubmission]
    next_after: int | None
    """Where the next page starts (`after`); None on the last page."""


async def parked_page(
    submissions: SubmissionStore, region_code: str | None, *, after: int | None, limit: int
) -> ParkedPage:
    """A page of parked submissions in acceptance order, and whether another follows."""
    found = await submissions.parked(region_code, after=after, limit=limit + 1)
    shown = found[:limit]
    return ParkedPage(shown, shown[-1].seq if len(found) > limit else None)


async def move_parked(
    ticket_id: str,
    *,
    to: SubmissionState,
    reason: str,
    actor: str,
    submissions: SubmissionStore,
    now: datetime,
) -> bool:
    """Retry (back in line, at the place it had) or cancel a parked submission, audited in
    the same transaction; False when it is not parked."""
    entry = AuditEntry(now, actor, PARKED_MOVES[to], ticket_id, reason)
    moved = await submissions.move_parked(ticket_id, to=to, entry=entry)
    if moved:
        log.info("%s moved parked ticket %s to %s", actor, ticket_id, to)
    return moved


async def schedule_maintenance(
    window: MaintenanceWindow,
    *,
    actor: str,
    calendar: MaintenanceCalendar,
    audit: ActionAudit,
    now: datetime,
) -> MaintenancePlan:
    plan = await calendar.schedule(window)
    await audit.record(
        AuditEntry(now, actor, "maintenance_scheduled", plan.id, window.reason, _detail(window))
    )
    return plan


async def change_maintenance(
    plan_id: str,
    window: MaintenanceWindow,
    *,
    actor: str,
    calendar: MaintenanceCalendar,
    audit: ActionAudit,
    now: datetime,
) -> MaintenancePlan | None:
    plan = await calendar.change(plan_id, window)
    if plan is not None:
        await audit.record(
            AuditEntry(now, actor, "maintenance_changed", plan_id, window.reason, _detail(window))
        )
    return plan


async def cancel_maintenance(
    plan_id: str,
    *,
    reason: str,
    actor: str,
    calendar: MaintenanceCalendar,
    audit: ActionAudit,
    now: datetime,
) -> bool:
    cancelled = await calendar.cancel(plan_id)
    if cancelled:
        await audit.record(AuditEntry(now, actor, "maintenance_cancelled", plan_id, reason))
    return cancelled


def _detail(window: MaintenanceWindow) -> dict[str, object]:
    return {
        "regions": window.regions,
        "starts_at": window.starts_at.isoformat(),
        "ends_at": window.ends_at.isoformat(),
        "recurrence": window.recurrence,
    }
