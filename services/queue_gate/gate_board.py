"""Every region's gate as this replica knows it, held in memory for the hot paths.

Intake, the regions API and the dispatch supervisor ask for a region's gate on every request;
reading three tables each time would cost more than the submission itself. The board loads
every region's status, the monitor's last heartbeat and the operators' controls at once, and
loads them again whenever any replica signals a gate change (the `:gate` wake-up sent in the
transaction of the change) and at least every `refresh_interval`, so that silence from the
monitor still turns into UNKNOWN on time. A writer in this process awaits `reload()` to read
its own change at once. Dispatchers still read the stores before each batch they send.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from services.queue_gate.domain.region_gate import RegionControl
from services.queue_gate.handlers.region_gate import GatePolicy, RegionGate, region_gate
from services.queue_gate.ports import RegionControlStore, RegionStatusStore, StatusSnapshot

log = logging.getLogger(__name__)


class GateBoard:
    def __init__(
        self,
        statuses: RegionStatusStore,
        controls: RegionControlStore,
        policy: GatePolicy,
        *,
        refresh_interval: timedelta = timedelta(seconds=1),
    ) -> None:
        self.statuses = statuses
        self.controls = controls
        self.policy = policy
        self.refresh_interval = refresh_interval
        self._snapshot = StatusSnapshot(statuses={}, applied_at={}, last_heartbeat_at=None)
        self._controls: dict[str, RegionControl] = {}
        self._changed = asyncio.Event()
        self.reloads = 0

    async def reload(self) -> None:
        snapshot = await self.statuses.snapshot()
        controls = await self.controls.all()
        self._snapshot, self._controls = snapshot, controls
        self.reloads += 1

    def current(self, region_code: str, now: datetime) -> RegionGate:
        return region_gate(
            region_code,
            known=self._snapshot.statuses.get(region_code),
            last_heard_at=self._snapshot.last_heard_at(region_code),
            control=self._controls.get(region_code, RegionControl()),
            policy=self.policy,
            now=now,
        )

    async def gate(self, region_code: str, now: datetime) -> RegionGate:
        return self.current(region_code, now)

    def known_regions(self) -> list[str]:
        return sorted(self._snapshot.statuses)

    def on_wake(self, region_code: str, gate_changed: bool) -> None:
        if gate_changed:
            self._changed.set()

    async def run(self) -> None:
        """Reload on every gate change signalled, and at least every `refresh_interval`."""
        while True:
            # asyncio.timeout, not wait_for, which on Python 3.11 may swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.refresh_interval.total_seconds()):
                    await self._changed.wait()
            # Cleared before reading: a change signalled during the reload triggers another.
            self._changed.clear()
            try:
                await self.reload()
            except Exception:
                log.exception("reloading the gates failed; keeping the last ones read")
