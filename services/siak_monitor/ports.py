"""What the monitor needs from the outside world."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from services.siak_monitor.domain.probe import ProbeResult, ProbeTarget
from services.siak_monitor.domain.status_board import PublishedStatus
from shared.events import (
    CentralStatusChanged,
    MaintenanceNotice,
    MaintenancePlanned,
    MonitorHeartbeat,
    StatusChanged,
)

OutgoingEvent = (
    StatusChanged | CentralStatusChanged | MaintenanceNotice | MaintenancePlanned | MonitorHeartbeat
)


class Prober(Protocol):
    async def probe(self, target: ProbeTarget) -> ProbeResult:
        """Ask once; failures are results (`ok` false, `error` says which kind), not exceptions."""


class Delivery(StrEnum):
    DELIVERED = "delivered"
    """The broker has the event durably."""
    NOT_SENT = "not_sent"
    """The event never left this process."""
    UNCERTAIN = "uncertain"
    """Sent, but not acknowledged: the broker may have it, or may get it later."""


class EventPublisher(Protocol):
    async def publish(self, events: Sequence[OutgoingEvent]) -> list[Delivery]:
        """Send in order; per event, what became of it. Never raises."""


class ClaimingPublisher(EventPublisher, Protocol):
    """A publisher that must first claim the right to publish, which takes it from whoever
    held it; once `spent` (that right lost, or its connection broken) it publishes nothing."""

    spent: asyncio.Event
    tenure: int | None
    """Once claimed, the claim's place among all claims (a later claim is greater)."""

    async def claim(self) -> None:
        """Take the right to publish; raises while the broker cannot be reached."""

    async def stop(self) -> None:
        """Publish nothing more; `spent` is set."""


@dataclass(frozen=True)
class PublishedState:
    """What earlier runs of the monitor published, read back before publishing anything."""

    statuses: dict[str, PublishedStatus] = field(default_factory=dict)
    """The last status of each region, by region code."""
    central: dict[str, PublishedStatus] = field(default_factory=dict)
    """The last status of each parent target, by its name."""
    plans: dict[str, MaintenancePlanned] = field(default_factory=dict)
    """The last record of each maintenance plan, by its id."""


class PublishedLog(Protocol):
    async def read(self) -> PublishedState:
        """Read back the compacted topics; raises while the broker cannot be reached."""


class MonitorMetrics(Protocol):
    def probe_finished(self, target: ProbeTarget, result: ProbeResult, *, parent: bool) -> None: ...

    def event_published(self, event: OutgoingEvent) -> None: ...

    def event_failed(self, event: OutgoingEvent) -> None: ...

    def maintenance_plan_ignored(self) -> None:
        """A plan read back from the plans topic cannot be a plan any more."""


class NoMetrics:
    """For a monitor nobody scrapes."""

    def probe_finished(self, target: ProbeTarget, result: ProbeResult, *, parent: bool) -> None:
        pass

    def event_published(self, event: OutgoingEvent) -> None:
        pass

    def event_failed(self, event: OutgoingEvent) -> None:
        pass

    def maintenance_plan_ignored(self) -> None:
        pass
