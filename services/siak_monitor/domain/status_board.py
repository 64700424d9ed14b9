"""What the monitor knows of every region, and which of it subscribers have not been told yet."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from services.siak_monitor.domain.health import Transition
from services.siak_monitor.domain.probe import ProbeResult
from shared.events import (
    CentralStatusChanged,
    ProbeEvidence,
    RegionSnapshot,
    SiakStatus,
    StatusChanged,
)
from shared.events.status import MAX_SEQ

Order = tuple[int, int]
"""A region's (`epoch`, `seq`): subscribers apply a change only when it is greater."""


@dataclass(frozen=True)
class PublishedStatus:
    status: SiakStatus
    seq: int
    reason: str | None = None
    expected_return_at: datetime | None = None
    epoch: int = 0
    since: datetime | None = None

    @property
    def order(self) -> Order:
        return self.epoch, self.seq

    @classmethod
    def of(cls, event: StatusChanged | CentralStatusChanged) -> PublishedStatus:
        """What subscribers were told by `event`."""
        return cls(
            event.status,
            event.seq,
            event.reason,
            event.expected_return_at,
            epoch=event.epoch,
            since=event.since,
        )


def last_order(published: PublishedStatus | None, attempted: Order | None) -> Order | None:
    """The greater of what was published and what was attempted: a next order follows it."""
    orders = [published.order] if published is not None else []
    if attempted is not None:
        orders.append(attempted)
    return max(orders, default=None)


def next_order(last: Order | None, epoch: int) -> Order | None:
    """The order of a region's next change after `last` (the greatest published or
    attempted), in `epoch` or `last`'s if later: `seq` goes on growing; once it is at
    `MAX_SEQ`, the region goes on in the next epoch from seq 1 (subscribers take a greater
    epoch whatever its seq). None once even the epoch is at `MAX_SEQ`: nothing the region
    could publish would count."""
    if last is None:
        return epoch, 1
    last_epoch, last_seq = last
    if last_seq < MAX_SEQ:
        return max(epoch, last_epoch), last_seq + 1
    if last_epoch < MAX_SEQ:
        return max(epoch, last_epoch + 1), 1
    return None


def epoch_for(published: Mapping[str, PublishedStatus], now: datetime) -> int:
    """The sequence to go on with: the latest one on the status topic; a new one, greater
    than any before it, when the topic is empty (recreated, or never written)."""
    return max((status.epoch for status in published.values()), default=_epoch_starting(now))


def _epoch_starting(now: datetime) -> int:
    return int(now.timestamp() * 1000)


@dataclass(frozen=True)
class CurrentStatus:
    status: SiakStatus
    since: datetime | None
    reason: str | None = None
    expected_return_at: datetime | None = None
    evidence: ProbeResult | None = None


class StatusBoard:
    """Current status per region beside the last one published.

    Only the latest status of a region is ever pending, so after a broker outage subscribers
    get each region's state once instead of a storm of stale intermediate transitions.
    A new reason or expected return under the same status is owed too (a DOWN region whose
    parent fell over, a maintenance overrun with a later estimate), evidence alone is not.
    `seq` is given at publication: one more than any `seq` published or attempted, since an
    attempt that timed out may still have reached the broker; `epoch` is the one chosen when
    the published statuses were read back (see `epoch_for`), or a later one for a region whose
    `seq` ran out (see `next_order`). A region whose order ran out altogether is `exhausted`:
    it is left out of publishing and heartbeats, so subscribers find it stale, not the others.
    """

    def __init__(
        self, region_codes: list[str], published: dict[str, PublishedStatus] | None = None
    ) -> None:
        self._current = {code: CurrentStatus(SiakStatus.UNKNOWN, None) for code in region_codes}
        self._published = dict(published or {})
        self._attempted: dict[str, Order] = {}
        self.epoch = 0

    def restore(self, published: dict[str, PublishedStatus], *, epoch: int) -> None:
        """What the status log says was published before this process started, and the epoch
        to publish in from now on; regions this board does not watch are left out."""
        self.epoch = epoch
        for code, status in published.items():
            if code not in self._current:
                continue
            known = self._published.get(code)
            if known is None or status.order > known.order:
                self._published[code] = status

    def resume(self, region_code: str, since: datetime) -> None:
        """The region's current status began at `since`, in an earlier run (see
        `RegionStatus.resume`)."""
        self._current[region_code] = replace(self._current[region_code], since=since)

    def record(self, transition: Transition) -> None:
        self._current[transition.region_code] = CurrentStatus(
            status=transition.status,
            since=transition.since,
            reason=transition.reason,
            expected_return_at=transition.expected_return_at,
            evidence=transition.evidence,
        )

    def current(self, region_code: str) -> CurrentStatus:
        return self._current[region_code]

    def published(self, region_code: str) -> PublishedStatus | None:
        return self._published.get(region_code)

    def pending(self) -> list[StatusChanged]:
        """The events still owed to subscribers, one per region at most."""
        return [event for code in self._current if (event := self._pending_event(code)) is not None]

    def note_attempt(self, event: StatusChanged) -> None:
        """Publishing `event` failed, perhaps only after the broker took it: never reuse its seq."""
        attempted = (event.epoch, event.seq)
        self._attempted[event.region_code] = max(
            attempted, self._attempted.get(event.region_code, attempted)
        )

    def mark_published(self, event: StatusChanged) -> None:
        self._published[event.region_code] = PublishedStatus.of(event)

    def exhausted(self) -> list[str]:
        """The regions whose last order is the greatest there is: nothing they publish would
        count (only recreating the status topic starts them afresh)."""
        return [code for code in self._current if next_order(self._last(code), 0) is None]

    def snapshot(self) -> list[RegionSnapshot]:
        exhausted = set(self.exhausted())
        return [
            RegionSnapshot(
                region_code=code,
                status=current.status,
                seq=published.seq if (published := self._published.get(code)) else 0,
            )
            for code, current in self._current.items()
            if code not in exhausted
        ]

    def _last(self, code: str) -> Order | None:
        return last_order(self._published.get(code), self._attempted.get(code))

    def _pending_event(self, code: str) -> StatusChanged | None:
        current = self._current[code]
        published = self._published.get(code)
        if current.since is None:
            return None
        if published is not None and _told(published, current):
            return None
        order = next_order(self._last(code), self.epoch)
        if order is None:
            return None
        epoch, seq = order
        return StatusChanged(
            region_code=code,
            status=current.status,
            previous_status=published.status if published else None,
            since=current.since,
            epoch=epoch,
            seq=seq,
            reason=current.reason,
            expected_return_at=current.expected_return_at,
            evidence=evidence_from_probe(current.evidence),
        )


def evidence_from_probe(probe: ProbeResult | None) -> ProbeEvidence | None:
    if probe is None:
        return None
    return ProbeEvidence(
        checked_at=probe.checked_at,
        ok=probe.ok,
        http_status=probe.http_status,
        latency_ms=probe.latency_ms,
        error=probe.error,
    )


def _told(published: PublishedStatus, current: CurrentStatus) -> bool:
    return (published.status, published.reason, published.expected_return_at) == (
        current.status,
        current.reason,
        current.expected_return_at,
    )
