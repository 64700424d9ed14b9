"""Applying the monitor's status changes to the gate, telling subscribers when a gate turns."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from services.queue_gate.domain.gate_news import GateSighting
from services.queue_gate.domain.region_status import RegionStatus
from services.queue_gate.handlers.region_gate import GatePolicy, region_gate, sighting_of
from services.queue_gate.ports import RegionControlStore, RegionStatusStore
from shared.events import StatusChanged

log = logging.getLogger(__name__)

Took = Callable[[RegionStatus, GateSighting], None]
"""Told of a status change this process committed, and of the gate seen after it."""


async def record_status_change(
    change: StatusChanged,
    *,
    store: RegionStatusStore,
    controls: RegionControlStore,
    policy: GatePolicy,
    now: datetime,
    took: Took | None = None,
) -> bool:
    """Store a region's new status; duplicates and stale changes are ignored. `took` is
    handed each change applied, once committed, with the gate seen after it."""
    # The gate as it stands once the change is applied: the news is fresh.
    status = RegionStatus.from_event(change)
    after = region_gate(
        change.region_code,
        known=status,
        last_heard_at=now,
        control=await controls.get(change.region_code),
        policy=policy,
        now=now,
    )
    sighting = sighting_of(after, now)
    applied = await store.apply(change, announce=sighting)
    if applied:
        if took is not None:
            took(status, sighting)
        log.info("region %s is now %s (seq %d)", change.region_code, change.status, change.seq)
    else:
        log.info("ignored stale status of region %s (seq %d)", change.region_code, change.seq)
    return applied
