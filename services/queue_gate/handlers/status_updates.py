"""Applying the monitor's status changes to the gate."""

from __future__ import annotations

import logging

from services.queue_gate.ports import RegionStatusStore
from shared.events import StatusChanged

log = logging.getLogger(__name__)


async def record_status_change(change: StatusChanged, *, store: RegionStatusStore) -> bool:
    """Store a region's new status; duplicates and stale changes are ignored."""
    applied = await store.apply(change)
    if applied:
        log.info("region %s is now %s (seq %d)", change.region_code, change.status, change.seq)
    else:
        log.info("ignored stale status of region %s (seq %d)", change.region_code, change.seq)
    return applied
