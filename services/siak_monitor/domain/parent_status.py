"""The parent target every region depends on: its status and what subscribers were told of it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from services.siak_monitor.domain.health import RegionHealth, Transition
from services.siak_monitor.domain.probe import ProbeResult
from services.siak_monitor.domain.region_status import RegionStatus, ResolvedStatus
from services.siak_monitor.domain.status_board import (
    Order,
    PublishedStatus,
    evidence_from_probe,
    last_order,
    next_order,
)
from shared.events import CentralStatusChanged


class ParentStatus:
    """The parent target's probe-driven status, published as one root-cause record per change.

    Like a region on the status board, only its latest status is ever owed, and its
    (`epoch`, `seq`) follows the greatest published or attempted (see `next_order`): in the
    epoch read back, or the next one once `seq` runs out.
    """

    def __init__(self, name: str, health: RegionHealth, *, affected_regions: int) -> None:
        self.name = name
        self.affected_regions = affected_regions
        self._status = RegionStatus(health)
        self._published: PublishedStatus | None = None
        self._attempted: Order | None = None
        self.epoch = 0
        self._last_transition: Transition | None = None

    @property
    def current(self) -> ResolvedStatus:
        return self._status.current

    @property
    def since(self) -> datetime | None:
        return self._status.since

    @property
    def last_probe(self) -> ProbeResult | None:
        return self._status.health.last_probe

    @property
    def published(self) -> PublishedStatus | None:
        return self._published

    def observe(self, probe: ProbeResult) -> Transition | None:
        transition = self._status.observe(probe)
        if transition is not None:
            self._last_transition = transition
        return transition

    @property
    def exhausted(self) -> bool:
        """Whether its last order is the greatest there is: nothing it publishes would count."""
        return next_order(self._last(), 0) is None

    def restore(self, published: PublishedStatus | None, *, epoch: int) -> None:
        """What the central status log says was published, and the epoch to publish in."""
        self.epoch = epoch
        known = self._published
        if published is not None and (known is None or published.order > known.order):
            self._published = published
        # Still the status published, so still since the time published with it.
        if published is not None and published.since is not None:
            resumed = self._status.resume(published.status, published.since)
            if resumed and self._last_transition is not None:
                self._last_transition = replace(self._last_transition, since=published.since)

    def pending(self) -> CentralStatusChanged | None:
        current = self._last_transition
        published = self._published
        if current is None:
            return None
        told = published is not None and (
            published.status,
            published.reason,
            published.expected_return_at,
        ) == (current.status, current.reason, current.expected_return_at)
        if told:
            return None
        order = next_order(self._last(), self.epoch)
        if order is None:
            return None
        epoch, seq = order
        return CentralStatusChanged(
            target=self.name,
            status=current.status,
            previous_status=published.status if published else None,
            since=current.since,
            epoch=epoch,
            seq=seq,
            reason=current.reason,
            expected_return_at=current.expected_return_at,
            evidence=evidence_from_probe(current.evidence),
            affected_regions=self.affected_regions,
        )

    def note_attempt(self, event: CentralStatusChanged) -> None:
        """Publishing `event` failed, maybe after the broker took it: never reuse its order."""
        attempted = (event.epoch, event.seq)
        self._attempted = max(attempted, self._attempted or attempted)

    def mark_published(self, event: CentralStatusChanged) -> None:
        self._published = PublishedStatus.of(event)

    def _last(self) -> Order | None:
        return last_order(self._published, self._attempted)
