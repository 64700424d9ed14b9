"""Each region's backlog count kept honest: drift found periodically, repaired and counted.

Dispatch starts a region's dispatcher only when its count says something waits: a count
that drifted low (an old migration's race, a manual fix in the database) would leave a
line waiting for ever.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Protocol

from services.queue_gate.adapters.prometheus_metrics import BACKLOG_DRIFT_REPAIRED

log = logging.getLogger(__name__)


class BacklogCounts(Protocol):
    async def repair_drift(self) -> dict[str, int]:
        """Correct every region's count that differs from its line; the corrections made."""


async def reconcile_backlogs(counts: BacklogCounts) -> dict[str, int]:
    repaired = await counts.repair_drift()
    for region_code, drift in sorted(repaired.items()):
        log.warning("region %s: backlog count was off by %+d; repaired", region_code, drift)
        BACKLOG_DRIFT_REPAIRED.labels(region_code).inc()
    return repaired


async def reconcile_periodically(counts: BacklogCounts, *, every: timedelta) -> None:
    """Until cancelled; a failure ends it (its supervisor starts it again)."""
    while True:
        await reconcile_backlogs(counts)
        await asyncio.sleep(every.total_seconds())
