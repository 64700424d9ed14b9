"""Applying a status change to the gate's status store as the gate does, for the store's tests."""

from __future__ import annotations

from services.queue_gate.domain.gate_news import GateSighting
from services.queue_gate.domain.region_gate import Override
from services.queue_gate.ports import RegionStatusStore
from shared.events import StatusChanged


async def store_change(
    store: RegionStatusStore, change: StatusChanged, *, announce: GateSighting | None = None
) -> bool:
    """True when `change` superseded what was stored. As `record_status_change` does, the news
    of `announce` (the gate seen after the change) is told in its transaction when the region's
    override is `auto`."""
    told = {} if announce is None else {Override.AUTO: announce}
    return await store.apply_controlled(change, announce=told) is not None
