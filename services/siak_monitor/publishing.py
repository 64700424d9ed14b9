"""Publishing what subscribers are owed: the parent's status, announcements, region statuses."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from services.siak_monitor.domain.watched_regions import WatchedRegions
from services.siak_monitor.outbox import Outbox
from services.siak_monitor.ports import Delivery, EventPublisher, MonitorMetrics, OutgoingEvent
from shared.events import CentralStatusChanged, StatusChanged

log = logging.getLogger(__name__)


class Publication:
    """One pass publishes everything owed, in one batch, root cause first.

    The parent's record comes first so a subscriber reading the regions' `parent_down` finds
    the cause already there; then announcements in order; then each region's latest status
    in region-code order. Statuses are state: a failed one is recomputed on the next pass,
    with a new `seq` if the failed one may have reached the broker after all.
    """

    def __init__(
        self,
        watched: WatchedRegions,
        outbox: Outbox,
        publisher: EventPublisher,
        metrics: MonitorMetrics,
    ) -> None:
        self.watched = watched
        self.outbox = outbox
        self.publisher = publisher
        self.metrics = metrics

    def owed(self) -> list[OutgoingEvent]:
        parent = self.watched.parent
        central = parent.pending() if parent is not None else None
        return [
            *([central] if central is not None else []),
            *self.outbox.queued(),
            *self.watched.board.pending(),
        ]

    async def publish_owed(self) -> bool:
        """Publish what is owed; whether all of it reached the broker."""
        batch = self.owed()
        if not batch:
            return True
        try:
            deliveries = await self.publisher.publish(batch)
        except Exception:
            log.exception("the publisher failed unexpectedly")
            deliveries = [Delivery.UNCERTAIN] * len(batch)
        self._settle(batch, deliveries)
        failed = sum(delivery != Delivery.DELIVERED for delivery in deliveries)
        if failed:
            log.warning("%d of %d events not published yet; will retry", failed, len(batch))
        return failed == 0

    def _settle(self, batch: Sequence[OutgoingEvent], deliveries: Sequence[Delivery]) -> None:
        announcements_in_order = 0
        in_order = True
        for event, delivery in zip(batch, deliveries, strict=True):
            if delivery == Delivery.DELIVERED:
                self.metrics.event_published(event)
            else:
                self.metrics.event_failed(event)
            match event:
                case StatusChanged():
                    self._settle_status(event, delivery)
                case CentralStatusChanged():
                    self._settle_central(event, delivery)
                case _:
                    in_order = in_order and delivery == Delivery.DELIVERED
                    announcements_in_order += 1 if in_order else 0
        self.outbox.delivered(announcements_in_order)

    def _settle_status(self, event: StatusChanged, delivery: Delivery) -> None:
        board = self.watched.board
        if delivery == Delivery.DELIVERED:
            board.mark_published(event)
        elif delivery == Delivery.UNCERTAIN:
            board.note_attempt(event)

    def _settle_central(self, event: CentralStatusChanged, delivery: Delivery) -> None:
        parent = self.watched.parent
        assert parent is not None
        if delivery == Delivery.DELIVERED:
            parent.mark_published(event)
        elif delivery == Delivery.UNCERTAIN:
            parent.note_attempt(event)
