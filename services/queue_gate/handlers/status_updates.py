"""Applying the monitor's status changes to the gate, telling subscribers when a gate turns."""

from __future__ import annotations

import logging
from datetime import datetime

from services.queue_gate.domain.region_status import RegionStatus
from services.queue_gate.handlers.region_gate import GatePolicy, region_gate, sighting_of
from services.queue_gate.ports import RegionControlStore, RegionStatusStore
from shared.events import StatusChanged

log = logging.getLogger(__name__)


async def record_status_change(
    change: StatusChanged,
    *,
    store: RegionStatusStore,
    controls: RegionControlStore,
    policy: GatePolicy,
    now: datetime,
) -> bool:
    """Store a region's new status; duplicates and stale changes are ignored."""
    # The gate as it stands once the change is applied: the news is fresh.
    after = region_gate(
        change.region_code,
        known=RegionStatus.from_event(change),
        last_heard_at=now,
        control=await controls.get(change.region_code),
        policy=policy,
        now=now,
    )
    applied = await store.apply(change, announce=sighting_of(after, now))
    if applied:
        log.info("region %s is now %s (seq %d)", change.region_code, change.status, change.seq)
    else:
        log.info("ignored stale status of region %s (seq %d)", change.region_code, change.seq)
    return applied
