"""The parent target every region depends on: its status and what subscribers were told of it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from services.siak_monitor.domain.health import RegionHealth, Transition
from services.siak_monitor.domain.probe import ProbeResult
from services.siak_monitor.domain.region_status import RegionStatus, ResolvedStatus
from services.siak_monitor.domain.status_board import PublishedStatus, evidence_from_probe
from shared.events import CentralStatusChanged


class ParentStatus:
    """The parent target's probe-driven status, published as one root-cause record per change.

    Like a region on the status board, only its latest status is ever owed, and `seq` is one
    more than any `seq` published or attempted.
    """

    def __init__(self, name: str, health: RegionHealth, *, affected_regions: int) -> None:
        self.name = name
        self.affected_regions = affected_regions
        self._status = RegionStatus(health)
        self._published: PublishedStatus | None = None
        self._attempted_seq = 0
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

    def restore(self, published: PublishedStatus | None) -> None:
        known = self._published
        if published is not None and (known is None or published.seq > known.seq):
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
        return CentralStatusChanged(
            target=self.name,
            status=current.status,
            previous_status=published.status if published else None,
            since=current.since,
            seq=max(published.seq if published else 0, self._attempted_seq) + 1,
            reason=current.reason,
            expected_return_at=current.expected_return_at,
            evidence=evidence_from_probe(current.evidence),
            affected_regions=self.affected_regions,
        )

    def note_attempt(self, event: CentralStatusChanged) -> None:
        self._attempted_seq = max(self._attempted_seq, event.seq)

    def mark_published(self, event: CentralStatusChanged) -> None:
        self._published = PublishedStatus(
            event.status, event.seq, event.reason, event.expected_return_at, since=event.since
        )
