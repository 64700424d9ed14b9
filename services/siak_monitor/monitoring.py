"""The monitor at work: probing every watched region and publishing what changed."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from services.siak_monitor.domain.health import HealthThresholds, RegionHealth
from services.siak_monitor.domain.status_board import StatusBoard
from services.siak_monitor.ports import Prober, StatusPublisher
from shared.events import MonitorHeartbeat

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    probe_interval_s: float = 5.0
    probe_jitter_s: float = 0.5
    max_concurrent_probes: int = 64
    heartbeat_period_s: float = 10.0
    publish_retry_s: float = 1.0


def utc_now() -> datetime:
    return datetime.now(UTC)


class Monitor:
    """Probes regions on a jittered interval and keeps subscribers told of each change."""

    def __init__(
        self,
        *,
        monitor_id: str,
        region_codes: list[str],
        prober: Prober,
        publisher: StatusPublisher,
        board: StatusBoard,
        thresholds: HealthThresholds,
        schedule: Schedule,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.monitor_id = monitor_id
        self.region_codes = region_codes
        self.prober = prober
        self.publisher = publisher
        self.board = board
        self.schedule = schedule
        self.clock = clock
        self.health = {code: RegionHealth(code, thresholds) for code in region_codes}
        self.publish_failures = 0
        self._changed = asyncio.Event()
        self._probe_slots = asyncio.Semaphore(schedule.max_concurrent_probes)

    async def probe_region(self, region_code: str) -> None:
        async with self._probe_slots:
            result = await self.prober.probe(region_code)
        transition = self.health[region_code].observe(result)
        if transition is not None:
            log.info(
                "region %s: %s -> %s (%s)",
                region_code,
                transition.previous_status,
                transition.status,
                transition.reason,
            )
            self.board.record(transition)
            self._changed.set()

    async def publish_pending(self) -> int:
        """Publish each region's latest unpublished status; how many were published."""
        published = 0
        for change in self.board.pending():
            await self.publisher.publish_status(change)
            self.board.mark_published(change)
            published += 1
        return published

    async def publish_heartbeat(self) -> None:
        await self.publisher.publish_heartbeat(
            MonitorHeartbeat(
                monitor_id=self.monitor_id,
                emitted_at=self.clock(),
                period_seconds=self.schedule.heartbeat_period_s,
                regions=self.board.snapshot(),
            )
        )

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            for code in self.region_codes:
                tasks.create_task(self._probe_forever(code), name=f"probe {code}")
            tasks.create_task(self._publish_forever(), name="publisher")
            tasks.create_task(self._heartbeat_forever(), name="heartbeat")

    async def _probe_forever(self, region_code: str) -> None:
        # Spread the first probes over one interval so 514 regions do not fire at once.
        await asyncio.sleep(random.uniform(0, self.schedule.probe_interval_s))
        while True:
            try:
                await self.probe_region(region_code)
            except Exception:
                log.exception("probing region %s failed", region_code)
            jitter = random.uniform(-self.schedule.probe_jitter_s, self.schedule.probe_jitter_s)
            await asyncio.sleep(max(0.0, self.schedule.probe_interval_s + jitter))

    async def _publish_forever(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            try:
                await self.publish_pending()
            except Exception as error:
                self.publish_failures += 1
                log.warning("publishing status changes failed, will retry: %s", error)
                await asyncio.sleep(self.schedule.publish_retry_s)
                self._changed.set()

    async def _heartbeat_forever(self) -> None:
        while True:
            try:
                await self.publish_heartbeat()
            except Exception as error:
                log.warning("publishing the heartbeat failed: %s", error)
            await asyncio.sleep(self.schedule.heartbeat_period_s)
