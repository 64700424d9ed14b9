"""Every region's gate as this replica knows it, held in memory for the hot paths.

Intake, the regions API and the dispatch supervisor ask for a region's gate on every request;
reading three tables each time would cost more than the submission itself. The board loads
every region's status, when a heartbeat last listed it and the operators' controls at once; when
any replica signals a gate change (the `:gate` wake-up sent in the transaction of the change)
it reads that region again, and it reads everything again at least every `refresh_interval`,
so that silence from the monitor still turns into UNKNOWN on time and a missed wake-up is
made up for. A writer in this process awaits `reload()` to read its own change at once, but
for the status changes it applies: those it hands over (`took`) as soon as they are committed.
Dispatchers still read the stores before each stretch they send. After each reading, the
board tells subscribers of every gate it sees turned (by staleness and overrides as much as
by status); the announcer makes sure each turn is told once among all replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.gate_news import GateSighting
from services.queue_gate.domain.region_gate import RegionControl
from services.queue_gate.domain.region_status import RegionStatus
from services.queue_gate.handlers.region_gate import (
    GatePolicy,
    RegionGate,
    region_gate,
    sighting_of,
)
from services.queue_gate.ports import (
    GateAnnouncer,
    RegionControlStore,
    RegionStatusStore,
    StatusSnapshot,
)
from shared.clock import utc_now

log = logging.getLogger(__name__)


class GateBoard:
    def __init__(
        self,
        statuses: RegionStatusStore,
        controls: RegionControlStore,
        policy: GatePolicy,
        *,
        announcer: GateAnnouncer | None = None,
        clock: Callable[[], datetime] = utc_now,
        refresh_interval: timedelta = timedelta(seconds=1),
    ) -> None:
        self.statuses = statuses
        self.controls = controls
        self.policy = policy
        self.announcer = announcer
        self.clock = clock
        self.refresh_interval = refresh_interval
        self._seen: dict[str, GateState] = {}
        """How this board last saw each gate, once the announcer has taken it in."""
        self._snapshot = StatusSnapshot(statuses={}, applied_at={}, heartbeat_at={})
        self._controls: dict[str, RegionControl] = {}
        self._changed = asyncio.Event()
        self._signalled: set[str] = set()
        self.reloads = 0

    async def reload(self, region_codes: list[str] | None = None) -> None:
        """Read the gates again: every region, or only `region_codes`."""
        snapshot = await self.statuses.snapshot(region_codes)
        controls = await self.controls.all(region_codes)
        if region_codes is not None:
            snapshot, controls = self._merged(set(region_codes), snapshot, controls)
        self._snapshot, self._controls = self._newest(snapshot), controls
        self.reloads += 1
        await self._tell_turns(region_codes)

    async def _tell_turns(self, region_codes: list[str] | None) -> None:
        if self.announcer is None:
            return
        now = self.clock()
        regions = set(self._snapshot.statuses) | set(self._controls)
        if region_codes is not None:
            regions &= set(region_codes)
        sightings = [
            sighting
            for code in sorted(regions)
            if self._seen.get(code) != (sighting := sighting_of(self.current(code, now), now)).seen
        ]
        if not sightings:
            return
        try:
            await self.announcer.announce(sightings)
        except Exception:
            log.exception(
                "telling of %d gates failed; trying again at the next reading", len(sightings)
            )
            return
        self._seen.update((sighting.region_code, sighting.seen) for sighting in sightings)

    def _merged(
        self, regions: set[str], fresh: StatusSnapshot, controls: dict[str, RegionControl]
    ) -> tuple[StatusSnapshot, dict[str, RegionControl]]:
        def kept(held: dict[str, Any]) -> dict[str, Any]:
            return {code: value for code, value in held.items() if code not in regions}

        snapshot = StatusSnapshot(
            statuses=kept(self._snapshot.statuses) | fresh.statuses,
            applied_at=kept(self._snapshot.applied_at) | fresh.applied_at,
            heartbeat_at=kept(self._snapshot.heartbeat_at) | fresh.heartbeat_at,
        )
        return snapshot, kept(self._controls) | controls

    def _newest(self, fresh: StatusSnapshot) -> StatusSnapshot:
        """`fresh`, in dictionaries of the board's own, but for statuses it holds newer by
        (epoch, seq) or that `fresh` lacks: handed over by `took` while a reading taken before
        their commit was under way (a region's first status is not in that reading at all;
        statuses are never deleted, so a missing one is one the reading is too old for)."""
        held = self._snapshot
        statuses, applied_at = dict(fresh.statuses), dict(fresh.applied_at)
        for code, mine in held.statuses.items():
            known = fresh.statuses.get(code)
            if known is None or (mine.epoch, mine.seq) > (known.epoch, known.seq):
                statuses[code] = mine
                if code in held.applied_at:
                    applied_at[code] = held.applied_at[code]
        return StatusSnapshot(statuses, applied_at, dict(fresh.heartbeat_at))

    def took(self, status: RegionStatus, sighting: GateSighting) -> None:
        """A status change this process committed, and the gate it saw after it, which the
        same transaction told subscribers of: held at once, without reading them back."""
        code = status.region_code
        known = self._snapshot.statuses.get(code)
        if known is not None and (known.epoch, known.seq) >= (status.epoch, status.seq):
            return  # a reading since had it, or newer
        self._snapshot.statuses[code] = status
        self._snapshot.applied_at[code] = sighting.at
        self._seen[code] = sighting.seen

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

    def on_wake(self, region_code: str, gate_changed: bool, own_status: bool = False) -> None:
        # A status change this process applied was handed over (`took`): nothing to read.
        if gate_changed and not own_status:
            self._signalled.add(region_code)
            self._changed.set()

    async def run(self) -> None:
        """Reload the regions whose gate news came, and every region at least every
        `refresh_interval` (news may be missed, and the heartbeat's silence has none)."""
        loop = asyncio.get_running_loop()
        full_at = loop.time() + self.refresh_interval.total_seconds()
        while True:
            # asyncio.timeout, not wait_for, which on Python 3.11 may swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(full_at):
                    await self._changed.wait()
            # Taken before reading: news arriving during the reload triggers another.
            self._changed.clear()
            regions, self._signalled = self._signalled, set()
            everything = loop.time() >= full_at
            try:
                await self.reload(None if everything else sorted(regions))
            except Exception:
                log.exception("reloading the gates failed; keeping the last ones read")
            if everything:
                full_at = loop.time() + self.refresh_interval.total_seconds()
