"""Applying the monitor's status changes to the gate, telling subscribers when a gate turns."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from services.queue_gate.domain.gate_news import GateSighting
from services.queue_gate.domain.region_gate import Override, RegionControl
from services.queue_gate.domain.region_status import RegionStatus
from services.queue_gate.handlers.region_gate import GatePolicy, region_gate, sighting_of
from services.queue_gate.ports import GateAnnouncer, RegionStatusStore
from shared.events import StatusChanged

log = logging.getLogger(__name__)

Took = Callable[[RegionStatus, GateSighting], None]
"""Told of a status change this process committed, and of the gate seen after it."""


async def record_status_change(
    change: StatusChanged,
    *,
    store: RegionStatusStore,
    announcer: GateAnnouncer,
    policy: GatePolicy,
    now: datetime,
    took: Took | None = None,
) -> bool:
    """Store a region's new status; duplicates and stale changes are ignored. `took` is
    handed each change applied, once committed, with the gate seen after it."""
    status = RegionStatus.from_event(change)

    def seen_under(override: Override) -> GateSighting:
        # The gate as it stands once the change is applied: the news is fresh.
        after = region_gate(
            change.region_code,
            known=status,
            last_heard_at=now,
            control=RegionControl(override=override),
            policy=policy,
            now=now,
        )
        return sighting_of(after, now)

    # The store reads the region's override in the change's transaction (no round trip of
    # its own) and tells the news only if it is `auto`. Operators' overrides are rare: the
    # news under one is told after, in a transaction of its own, rather than encoding the
    # news under every override for every change.
    seen = seen_under(Override.AUTO)
    controlled = await store.apply_controlled(change, announce={Override.AUTO: seen})
    if controlled is None:
        log.info("ignored stale status of region %s (seq %d)", change.region_code, change.seq)
        return False
    if controlled is not Override.AUTO:
        seen = seen_under(controlled)
        await announcer.announce([seen])
    if took is not None:
        took(status, seen)
    log.info("region %s is now %s (seq %d)", change.region_code, change.status, change.seq)
    return True
