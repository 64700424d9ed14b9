"""Whether this replica runs the monitor: one term per ownership of the regions' shard.

Replicas join one consumer group; the one assigned the ownership topic's partition owns the
shard. A term starts with a fresh monitor whose first task claims the shard's transactional
id (fencing the previous owner's producer, so nothing it still sends becomes visible) and only
then reads back what was published, so `seq` and epochs go on from the last committed record.
A term ends when the assignment goes elsewhere or its publisher is spent (fenced or broken);
this replica then waits, probing and publishing nothing, until the group assigns it again.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from services.siak_monitor.maintenance_service import MaintenanceService
from services.siak_monitor.monitoring import Monitor
from services.siak_monitor.ports import ClaimingPublisher, PublishedLog
from services.siak_monitor.running import supervise_monitor
from shared.supervision import Supervisor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Term:
    """What runs while this replica owns the shard; built fresh for each term."""

    monitor: Monitor
    maintenance: MaintenanceService
    publisher: ClaimingPublisher
    supervisor: Supervisor


class Standing(StrEnum):
    JOINING = "joining"
    """Not told yet by the group whether this replica owns the shard."""
    STANDBY = "standby"
    """Another replica owns the shard."""
    ACTIVE = "active"
    """This replica owns the shard and runs the monitor."""


class Replica:
    """Starts and ends terms as the group's assignment says; `on_change` is told each one
    (None when the term ends) so the routes show the term's monitor."""

    def __init__(
        self,
        new_term: Callable[[], Term],
        published_log: PublishedLog,
        *,
        on_change: Callable[[Term | None], None] = lambda _term: None,
    ) -> None:
        self.new_term = new_term
        self.published_log = published_log
        self.on_change = on_change
        self.term: Term | None = None
        self.standing = Standing.JOINING

    def tenure(self) -> int | None:
        """The running term's claim, while it can still publish: told to the group, so that
        a rebalance leaves the shard with the latest claimant, not a woken former owner."""
        term = self.term
        if term is None or term.publisher.spent.is_set():
            return None
        return term.publisher.tenure

    def spent(self) -> bool:
        """Whether the running term's publisher can publish no more: the term must end and
        the shard be asked for again."""
        return self.term is not None and self.term.publisher.spent.is_set()

    async def owns(self, owned: bool) -> None:
        """The group's latest word on whether this replica owns the shard."""
        if owned and self.term is None:
            self._begin()
        elif not owned:
            await self.step_down()
            self.standing = Standing.STANDBY

    async def step_down(self) -> None:
        """End the running term, if any: its tasks stop, its producer too."""
        term, self.term = self.term, None
        if term is None:
            return
        log.info("no longer publishing: the shard is another replica's or must be claimed again")
        await term.supervisor.stop()
        await term.publisher.stop()
        self.standing = Standing.JOINING
        self.on_change(None)

    def _begin(self) -> None:
        log.info("this replica owns the shard: claiming it, then reading back")
        term = self.new_term()
        self.term = term
        self.standing = Standing.ACTIVE
        supervise_monitor(
            term.monitor, term.supervisor, functools.partial(claim_then_restore, term, self)
        )
        self.on_change(term)


async def claim_then_restore(term: Term, replica: Replica) -> None:
    """Fence the shard's earlier holder, then read back what it committed, then publish."""
    schedule = term.monitor.schedule
    delay = schedule.publish_retry_s
    while True:
        try:
            await term.publisher.claim()
        except Exception as error:
            if term.publisher.spent.is_set():
                raise
            log.warning("cannot claim the shard yet (%s); retrying", type(error).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, schedule.max_publish_retry_s)
            continue
        break
    await restore(term.monitor, term.maintenance, replica.published_log)


async def restore(
    monitor: Monitor, maintenance: MaintenanceService, published_log: PublishedLog
) -> None:
    """Read back what was published, then let publishing start."""
    state = await monitor.recover(published_log)
    maintenance.restore(state.plans)
    monitor.mark_restored()
    log.info("published statuses read back; publishing")
