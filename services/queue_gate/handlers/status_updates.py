"""Applying the monitor's status changes to the gate, telling subscribers when a gate turns."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from services.queue_gate.domain.gate_news import GateSighting
from services.queue_gate.domain.region_gate import Override, RegionControl
from services.queue_gate.domain.region_status import RegionStatus
from services.queue_gate.handlers.region_gate import GatePolicy, region_gate, sighting_of
from services.queue_gate.ports import RegionStatusStore
from shared.events import StatusChanged

log = logging.getLogger(__name__)

Took = Callable[[RegionStatus, GateSighting], None]
"""Told of a status change this process committed, and of the gate seen after it."""


async def record_status_change(
    change: StatusChanged,
    *,
    store: RegionStatusStore,
    policy: GatePolicy,
    now: datetime,
    took: Took | None = None,
) -> bool:
    """Store a region's new status; duplicates and stale changes are ignored. `took` is
    handed each change applied, once committed, with the gate seen after it."""
    # The gate as it stands once the change is applied, under each override operators may
    # have set: the store reads the region's in the change's transaction (no round trip of
    # its own) and tells the news of that one.
    status = RegionStatus.from_event(change)
    seen = {
        override: sighting_of(
            region_gate(
                change.region_code,
                known=status,
                last_heard_at=now,
                control=RegionControl(override=override),
                policy=policy,
                now=now,
            ),
            now,
        )
        for override in Override
    }
    controlled = await store.apply_controlled(change, announce=seen)
    if controlled is not None:
        if took is not None:
            took(status, seen[controlled])
        log.info("region %s is now %s (seq %d)", change.region_code, change.status, change.seq)
    else:
        log.info("ignored stale status of region %s (seq %d)", change.region_code, change.seq)
    return controlled is not None
