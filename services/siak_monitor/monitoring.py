"""The monitor at work: probing, letting time pass, and keeping subscribers told."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.siak_monitor.domain.health import Transition
from services.siak_monitor.domain.maintenance_events import MaintenanceEvent
from services.siak_monitor.domain.maintenance_notices import notices_for
from services.siak_monitor.domain.probe import ProbeResult, ProbeTarget
from services.siak_monitor.domain.status_board import epoch_for
from services.siak_monitor.domain.watched_regions import WatchedRegions
from services.siak_monitor.outbox import Announcement, Outbox
from services.siak_monitor.ports import (
    Delivery,
    EventPublisher,
    MonitorMetrics,
    NoMetrics,
    Prober,
    PublishedLog,
    PublishedState,
)
from services.siak_monitor.publishing import Publication
from shared.clock import utc_now
from shared.events import MonitorHeartbeat
from shared.topics import TopicMisconfiguredError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    probe_interval_s: float = 5.0
    probe_jitter_s: float = 0.5
    max_concurrent_probes: int = 64
    heartbeat_period_s: float = 10.0
    tick_period_s: float = 1.0
    """Re-evaluation at least this often (overrun estimates, parent), besides window edges."""
    publish_retry_s: float = 0.5
    max_publish_retry_s: float = 5.0


class Monitor:
    """Probes regions and the parent, lets time pass over the calendar, and publishes what
    subscribers are owed once the log of earlier publications has been read back.

    `running.supervise_monitor` decides when each of these happens.
    """

    def __init__(
        self,
        *,
        monitor_id: str,
        watched: WatchedRegions,
        targets: Mapping[str, ProbeTarget],
        parent_target: ProbeTarget | None,
        prober: Prober,
        publisher: EventPublisher,
        schedule: Schedule,
        metrics: MonitorMetrics | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if set(targets) != set(watched.region_codes):
            raise ValueError("need exactly one probe target per watched region")
        if (parent_target is None) != (watched.parent is None):
            raise ValueError("a parent target and the parent's status go together")
        self.monitor_id = monitor_id
        self.watched = watched
        self.targets = dict(targets)
        self.parent_target = parent_target
        self.prober = prober
        self.schedule = schedule
        self.metrics = metrics or NoMetrics()
        self.clock = clock
        self.outbox = Outbox()
        self.topic_misconfiguration: str | None = None
        """Why a topic is unfit to read back from or publish to, until it is put right."""
        self.publication = Publication(watched, self.outbox, publisher, self.metrics)
        self.restored = asyncio.Event()
        """Set once what earlier runs published has been read back: publishing may start."""
        self.owed = asyncio.Event()
        """Set when subscribers may be owed something new."""
        self.calendar_moved = asyncio.Event()
        """Set when the next maintenance edge may have moved."""
        self._probe_slots = asyncio.Semaphore(schedule.max_concurrent_probes)

    @property
    def region_codes(self) -> list[str]:
        return self.watched.region_codes

    def pending_count(self) -> int:
        """Events owed to subscribers and not published yet (the backlog)."""
        return len(self.publication.owed())

    # Probing

    async def probe_region(self, code: str) -> None:
        result = await self._probe(self.targets[code], parent=False)
        self.watched.observe(code, result, self.clock())
        self.note_transitions()

    async def probe_parent(self) -> None:
        assert self.parent_target is not None
        result = await self._probe(self.parent_target, parent=True)
        transition = self.watched.observe_parent(result, self.clock())
        if transition is not None:
            _log_transition(transition)
            self.owed.set()
        self.note_transitions()

    async def _probe(self, target: ProbeTarget, *, parent: bool) -> ProbeResult:
        async with self._probe_slots:
            checked_at = self.clock()
            started = asyncio.get_running_loop().time()
            try:
                # The deadline is kept here, whatever the prober does, so nothing hangs a slot.
                async with asyncio.timeout(target.timeout_s):
                    result = await self.prober.probe(target)
            except TimeoutError:
                elapsed_ms = (asyncio.get_running_loop().time() - started) * 1000
                result = ProbeResult(checked_at, ok=False, latency_ms=elapsed_ms, error="timeout")
        self.metrics.probe_finished(target, result, parent=parent)
        return result

    # Time and the calendar

    def tick(self) -> None:
        """Let time pass: maintenance windows open and close, overrun estimates move on."""
        now = self.clock()
        self.announce(self.watched.advance(now), now)
        self.note_transitions()

    def announce(self, events: list[MaintenanceEvent], at: datetime) -> None:
        self.queue(notices_for(events, self.watched.calendar.zones, at))

    def queue(self, announcements: Sequence[Announcement]) -> None:
        if announcements:
            self.outbox.add(announcements)
            self.owed.set()

    def calendar_changed(self) -> None:
        """Statuses may have moved, and so may the next window edge."""
        self.note_transitions()
        self.calendar_moved.set()

    def note_transitions(self) -> None:
        transitions = self.watched.take_transitions()
        for transition in transitions:
            _log_transition(transition)
        if transitions:
            self.owed.set()

    # Publishing

    def restore(self, state: PublishedState) -> None:
        """Continue from what earlier runs published; publishing may start once this is done."""
        self.watched.restore(state.statuses, epoch=epoch_for(state.statuses, self.clock()))
        if exhausted := self.watched.board.exhausted():
            log.error(
                "regions %s were read back at the greatest (epoch, seq): their changes cannot "
                "be published (left out of heartbeats, so subscribers find them stale) until "
                "the status topic is recreated",
                ", ".join(exhausted),
            )
        if (parent := self.watched.parent) is not None:
            parent.restore(
                state.central.get(parent.name), epoch=epoch_for(state.central, self.clock())
            )
            if parent.exhausted:
                log.error(
                    "the parent %s was read back at the greatest (epoch, seq): its changes "
                    "cannot be published until the central status topic is recreated",
                    parent.name,
                )

    def mark_restored(self) -> None:
        self.restored.set()
        self.owed.set()

    async def publish_owed(self) -> bool:
        """Whether everything owed reached the broker."""
        return await self.publication.publish_owed()

    def until_next_edge(self) -> float:
        """Seconds until the next tick is due: the tick period, or sooner at a window edge."""
        now = self.clock()
        edge = self.watched.next_boundary(now)
        wait = self.schedule.tick_period_s
        if edge is not None:
            # A millisecond late rather than early, so the edge has passed when we look.
            wait = min(wait, max(0.0, (edge - now).total_seconds()) + 0.001)
        return wait

    async def recover(self, published_log: PublishedLog) -> PublishedState:
        """Read the published log back, retrying for as long as the broker is unreachable or
        a topic is unfit (which an operator must put right: said in `/readyz`)."""
        delay = self.schedule.publish_retry_s
        while True:
            try:
                state = await published_log.read()
            except Exception as error:
                if isinstance(error, TopicMisconfiguredError):
                    self.topic_misconfiguration = str(error)
                    log.error("not publishing until put right: %s", error)
                else:
                    log.warning("cannot read back published statuses yet (%s); retrying", error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.schedule.max_publish_retry_s)
                continue
            self.topic_misconfiguration = None
            self.restore(state)
            return state

    async def publish_heartbeat(self) -> None:
        heartbeat = MonitorHeartbeat(
            monitor_id=self.monitor_id,
            emitted_at=self.clock(),
            period_seconds=self.schedule.heartbeat_period_s,
            regions=self.watched.board.snapshot(),
        )
        (delivery,) = await self.publication.publisher.publish([heartbeat])
        if delivery == Delivery.DELIVERED:
            self.metrics.event_published(heartbeat)
        else:
            self.metrics.event_failed(heartbeat)


def _log_transition(transition: Transition) -> None:
    log.info(
        "%s: %s -> %s (%s)",
        transition.region_code,
        transition.previous_status,
        transition.status,
        transition.reason,
    )
