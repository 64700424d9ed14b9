"""What the monitor needs from the outside world."""

from __future__ import annotations

from typing import Protocol

from services.siak_monitor.domain.probe import ProbeResult
from services.siak_monitor.domain.status_board import PublishedStatus
from shared.events import MonitorHeartbeat, StatusChanged


class Prober(Protocol):
    async def probe(self, region_code: str) -> ProbeResult: ...


class StatusPublisher(Protocol):
    async def publish_status(self, change: StatusChanged) -> None:
        """Return only once the broker has the event durably."""

    async def publish_heartbeat(self, heartbeat: MonitorHeartbeat) -> None: ...


class PublishedStatusLog(Protocol):
    async def latest_by_region(self) -> dict[str, PublishedStatus]:
        """The last status published for each region, so `seq` continues after a restart."""
