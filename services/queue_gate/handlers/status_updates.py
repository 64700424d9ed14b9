"""Applying the monitor's status changes to the gate, telling subscribers when a gate turns."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from services.queue_gate.domain.region_gate import lets_through
from services.queue_gate.handlers.region_gate import GatePolicy
from services.queue_gate.ports import RegionControlStore, RegionStatusStore
from shared.events import SiakStatus, StatusChanged
from shared.events.gate import GateStateChanged

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
    known, control = await asyncio.gather(
        store.get(change.region_code), controls.get(change.region_code)
    )
    before = known.status if known else SiakStatus.UNKNOWN
    was_open = lets_through(before, control, degraded_is_open=policy.degraded_is_open)
    opens = lets_through(change.status, control, degraded_is_open=policy.degraded_is_open)
    turn = None
    if was_open != opens:
        turn = GateStateChanged(
            region_code=change.region_code,
            # Back from an outage, a gate recovers (canaries, then a ramp) before it is open.
            gate_state="recovering" if opens else "closed",
            previous_gate_state="open" if was_open else "closed",
            siak_status=change.status,
            reason=change.reason,
            at=now,
        )
    applied = await store.apply(change, announce=turn)
    if applied:
        log.info("region %s is now %s (seq %d)", change.region_code, change.status, change.seq)
    else:
        log.info("ignored stale status of region %s (seq %d)", change.region_code, change.seq)
    return applied
