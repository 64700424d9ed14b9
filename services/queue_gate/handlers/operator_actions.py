"""What an operator does to regions and parked submissions, from the admin API or the console."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.queue_gate.domain.region_gate import RegionControl
from services.queue_gate.domain.ticket import SubmissionState
from services.queue_gate.handlers.region_gate import GateReader
from services.queue_gate.operators.ports import ActionAudit, AuditEntry
from services.queue_gate.ports import RegionControlStore, SubmissionStore

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
    current = await controls.get(region_code)
    updated: RegionControl = dataclasses.replace(current, **given, reason=reason)
    await controls.update(region_code, updated, actor=actor)
    await gates.reload()  # intake on this replica follows the change at once


async def move_parked(
    ticket_id: str,
    *,
    to: SubmissionState,
    reason: str,
    actor: str,
    submissions: SubmissionStore,
    audit: ActionAudit,
    now: datetime,
) -> bool:
    """Retry (back in line, at the place it had) or cancel a parked submission; False when
    it is not parked."""
    moved = await submissions.move(ticket_id, to=to, expected=SubmissionState.PARKED)
    if moved:
        await audit.record(AuditEntry(now, actor, PARKED_MOVES[to], ticket_id, reason))
        log.info("%s moved parked ticket %s to %s", actor, ticket_id, to)
    return moved
