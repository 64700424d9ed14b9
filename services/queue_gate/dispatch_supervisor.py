"""Runs a dispatcher for every region with work whose lease this replica can take."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from services.queue_gate.adapters.prometheus_metrics import ACTIVE_DISPATCHERS
from services.queue_gate.dispatching import DispatchDeps, RegionDispatcher
from services.queue_gate.ports import DispatchLeases
from shared.supervision import where_it_failed

log = logging.getLogger(__name__)


class DispatchSupervisor:
    """Wake-ups start or nudge a region's dispatcher; a periodic sweep catches the rest
    (regions whose lease another replica held, wake-ups sent while this one was away)."""

    def __init__(
        self,
        deps: DispatchDeps,
        leases: DispatchLeases,
        *,
        max_active_regions: int,
        sweep_interval: timedelta = timedelta(seconds=5),
        may_dispatch: Callable[[str], bool] = lambda _region_code: True,
    ) -> None:
        self.deps = deps
        self.may_dispatch = may_dispatch
        """This replica's view of whether a region's gate lets submissions through now: a new
        submission or the sweep starts no dispatcher for a region it shows closed. News of
        the gate always does (the view may not have taken it in yet)."""
        self.leases = leases
        self.max_active_regions = max_active_regions
        self.sweep_interval = sweep_interval
        self.active: dict[str, RegionDispatcher] = {}
        self._starting: set[str] = set()
        self._closed_until: dict[str, float] = {}
        """Regions whose dispatcher left a closed gate, until when to leave them be."""
        self._pending: dict[str, None] = {}
        """Regions woken while every slot was busy, oldest first."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._woken_while_starting: set[str] = set()
        self._held_back: set[str] = set()
        """Regions woken, or whose dispatcher stopped, while the status consumer caught up."""
        self._stopped = False
        """Set once `run` ends, until it runs again: no dispatcher starts meanwhile, so none
        outlives the supervisor (a finishing dispatcher starts the next pending one)."""

    def wake(self, region_code: str, gate_changed: bool = True) -> None:
        """Nudge or start the region's dispatcher. A new submission to a region whose
        dispatcher just left a closed gate starts nothing: only news of the gate (or the next
        sweeps) can reopen it, so an outage's intake does not cost a dispatcher each."""
        dispatcher = self.active.get(region_code)
        if dispatcher is not None:
            dispatcher.wake(gate_changed)
            return
        if self._stopped:
            return
        if not self.deps.status_caught_up():
            self._held_back.add(region_code)
            return
        if gate_changed:
            self._closed_until.pop(region_code, None)
        elif not self.may_dispatch(region_code) or self._recently_closed(region_code):
            return
        if region_code in self._starting:
            self._woken_while_starting.add(region_code)
            return
        if len(self.active) + len(self._starting) >= self.max_active_regions:
            self._pending.setdefault(region_code)  # a repeated wake keeps its place in line
            return
        self._pending.pop(region_code, None)
        self._starting.add(region_code)
        task = asyncio.create_task(self._dispatch(region_code), name=f"dispatch {region_code}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def resume(self) -> None:
        """The status consumer caught up: start what was held back meanwhile (as news of the
        gate, since its dispatcher may have stopped on the hold and left it `recently closed`);
        the sweep finds the rest."""
        held_back, self._held_back = self._held_back, set()
        for region_code in held_back:
            self.wake(region_code)

    async def catch_up(self) -> None:
        """After wake-ups may have been missed: nudge every dispatcher, start the lines."""
        for region_code in list(self.active):
            self.wake(region_code)
        await self._start_waiting_lines()

    async def _start_waiting_lines(self) -> None:
        for region_code in await self.deps.submissions.regions_with_waiting():
            self.wake(region_code, gate_changed=False)

    async def _clear_flags_over_empty_lines(self) -> None:
        # No dispatcher starts for an empty line, so none would clear a flag left over one
        # (rows removed by hand once the dispatcher had stopped): one cheap statement a sweep.
        for region_code in await self.deps.misconfigurations.clear_where_nothing_waits():
            log.info("region %s: nothing waits, its misconfiguration flag is cleared", region_code)

    def _recently_closed(self, region_code: str) -> bool:
        return self._closed_until.get(region_code, 0.0) > time.monotonic()

    async def run(self) -> None:
        self._stopped = False
        try:
            while True:
                try:
                    await self._start_waiting_lines()
                except Exception:
                    log.exception("sweeping for waiting submissions failed")
                try:
                    await self._clear_flags_over_empty_lines()
                except Exception:
                    log.exception("clearing misconfiguration flags over empty lines failed")
                await asyncio.sleep(self.sweep_interval.total_seconds())
        finally:
            self._stopped = True
            self._pending.clear()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _dispatch(self, region_code: str) -> None:
        # A region with nothing waiting takes no slot and no lease (a session of its own):
        # after a national outage, every region's gate opens, most with an empty line.
        has_work = False
        try:
            has_work = await self.deps.submissions.backlog(region_code) > 0
            lease = await self.leases.try_hold(region_code) if has_work else None
        finally:
            self._starting.discard(region_code)
            woken_meanwhile = region_code in self._woken_while_starting
            self._woken_while_starting.discard(region_code)
        if lease is None:
            if not has_work and woken_meanwhile:
                self.wake(region_code, gate_changed=False)  # work may have come since
            self._start_pending()
            return
        dispatcher = RegionDispatcher(region_code, self.deps, lease)
        self.active[region_code] = dispatcher
        ACTIVE_DISPATCHERS.inc()
        try:
            await dispatcher.run()
        except Exception as error:
            log.error(
                "dispatching region %s failed with %s; the sweep will restart it\n%s",
                region_code,
                type(error).__name__,
                where_it_failed(error),
            )
        finally:
            ACTIVE_DISPATCHERS.dec()
            del self.active[region_code]
            if dispatcher.blocked:
                self._closed_until[region_code] = (
                    time.monotonic() + self.sweep_interval.total_seconds()
                )
            if not self.deps.status_caught_up():
                self._held_back.add(region_code)
            await lease.release()
            self._start_pending()

    def _start_pending(self) -> None:
        while self._pending and len(self.active) + len(self._starting) < self.max_active_regions:
            region_code = next(iter(self._pending))
            del self._pending[region_code]
            self.wake(region_code)
