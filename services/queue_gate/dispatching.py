"""Delivering waiting submissions to SIAK: per region, one at a time, in acceptance order."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.queue_gate.domain.gate import GateState
from services.queue_gate.domain.gate_news import GateSighting
from services.queue_gate.domain.replay_pacing import PacingConfig, ReplayPacer
from services.queue_gate.domain.retry_backoff import BackoffPolicy, retry_delay
from services.queue_gate.domain.siak_answer import (
    Delivered,
    Misconfigured,
    Refused,
    SiakAnswer,
    Unavailable,
)
from services.queue_gate.domain.ticket import SubmissionState
from services.queue_gate.domain.token_bucket import Steady
from services.queue_gate.handlers.region_gate import (
    GatePolicy,
    RegionGate,
    read_region_gate,
    region_pacing,
)
from services.queue_gate.ports import (
    GateAnnouncer,
    Lease,
    MisconfigurationFlags,
    RegionControlStore,
    RegionStatusStore,
    Sealer,
    SiakClient,
    StoredSubmission,
    SubmissionStore,
)

log = logging.getLogger(__name__)

STRETCH_HORIZON = timedelta(milliseconds=10)
"""How far ahead a stretch of the line is read: what the pace lets go in about this time."""
MISCONFIGURED_BACKOFF = BackoffPolicy(base=timedelta(seconds=30), cap=timedelta(minutes=5))
"""How long a region's replay holds off after an answer saying the gate is misconfigured,
before the head of its line tries again: long enough not to hammer, short enough that a
fixed configuration is used within minutes."""


@dataclass(frozen=True)
class Unreadable:
    """A stored payload that cannot be opened: `data_key_unknown` (sealed with a key the
    gate is not configured with) or `payload_unreadable` (it does not open)."""

    reason: str


@dataclass(frozen=True)
class DispatchDeps:
    submissions: SubmissionStore
    statuses: RegionStatusStore
    controls: RegionControlStore
    siak: SiakClient
    sealer: Sealer
    policy: GatePolicy
    pacing: PacingConfig
    clock: Callable[[], datetime]
    misconfigurations: MisconfigurationFlags
    announcer: GateAnnouncer | None = None
    steady: Steady | None = None
    """The clock the pace's tokens refill on (`TokenBucket`); None: `clock`."""
    idle_timeout: timedelta = timedelta(seconds=30)
    batch_size: int = 100
    """The most submissions read from the line (and recorded as delivered) at once."""
    status_caught_up: Callable[[], bool] = lambda: True
    """Whether this replica's status consumer has read what the topic held when it was
    assigned (`StatusCatchUp`): until it has, a status in PostgreSQL may be one the topic
    already supersedes, and nothing is sent."""


class RegionDispatcher:
    """Holds one region's line while its lease is held; returns once idle for a while."""

    def __init__(self, region_code: str, deps: DispatchDeps, lease: Lease) -> None:
        self.region_code = region_code
        self.deps = deps
        self.lease = lease
        self.pacer = ReplayPacer(deps.pacing, now=deps.clock(), steady=deps.steady)
        self.woken = asyncio.Event()
        self.gate_news = asyncio.Event()
        self.blocked = False
        """The last step found the gate closed or the replay paused."""
        self.misconfigured_in_a_row = 0
        """SIAK's answers saying the gate is misconfigured since its last other answer: the
        hold grows with them, not with the head's earlier attempts (SIAK away a while)."""

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        idle_since: float | None = None
        while self.lease.is_held():
            self.woken.clear()
            wait = await self.step()
            if wait is not None:
                idle_since = None
                await self._sleep(wait)
                continue
            # A closed or paused gate holds no slot: what reopens it wakes the supervisor.
            if self.blocked and not self.woken.is_set():
                return
            # Idle time counts from the last send: the sweep's nudges must not prolong it.
            idle_since = loop.time() if idle_since is None else idle_since
            left = self.deps.idle_timeout.total_seconds() - (loop.time() - idle_since)
            if left <= 0:
                return
            await self._sleep(timedelta(seconds=left))

    def wake(self, gate_changed: bool = True) -> None:
        """Something changed: the line (a new submission), or the gate (`gate_changed`), which
        also ends a stretch being sent after the one in flight."""
        self.woken.set()
        if gate_changed:
            self.gate_news.set()

    async def _sleep(self, duration: timedelta) -> bool:
        """Wait for `duration` or a wake-up, whichever comes first; True when woken."""
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that
        # arrives as the event is set, and the dispatcher would outlive its shutdown.
        try:
            async with asyncio.timeout(max(0.0, duration.total_seconds())):
                await self.woken.wait()
        except TimeoutError:
            return False
        return True

    async def step(self) -> timedelta | None:
        """Send the next stretch of the line that the gate and the pace allow; how long to
        wait, or None when there is nothing to do until something changes."""
        deps = self.deps
        now = deps.clock()
        self.gate_news.clear()
        if not deps.status_caught_up():
            self.blocked = True  # the supervisor starts it again once caught up
            return None
        gate = await read_region_gate(
            self.region_code,
            statuses=deps.statuses,
            controls=deps.controls,
            policy=deps.policy,
            now=now,
        )
        if not await self._pace(gate, now):
            return None
        allowance = self.pacer.allowance(now)
        expected = self.pacer.sends_within(STRETCH_HORIZON, now)
        line = await deps.submissions.line(
            self.region_code, limit=max(1, min(expected, deps.batch_size))
        )
        if not line:
            await self._clear_misconfiguration()  # nothing left that SIAK's answer holds
            return None
        head = line[0]
        if head.next_attempt_at is not None and _retry_pending(head, now):
            return head.next_attempt_at - now
        if allowance < 1:
            allowed_at = self.pacer.next_allowed_at(now)
            return allowed_at - now if allowed_at else None
        stretch = [head, *itertools.takewhile(lambda s: not _retry_pending(s, now), line[1:])]
        await self._send_in_order(stretch)
        return timedelta(0)

    async def _pace(self, gate: RegionGate, now: datetime) -> bool:
        self.blocked = not gate.lets_through or gate.control.replay_paused
        if not gate.lets_through:
            self.pacer.on_region_down(now)
            await self.deps.submissions.defer_queued(self.region_code)
            return False
        self.pacer.on_region_up(now)
        ceiling = region_pacing(gate, self.deps.pacing).max_rate
        if ceiling != self.pacer.config.max_rate:
            self.pacer.set_max_rate(ceiling, now)
        return not gate.control.replay_paused

    async def _send_in_order(self, stretch: list[StoredSubmission]) -> None:
        """Send `stretch` one at a time, in order, while the pace allows and no news of the
        gate came; deliveries are recorded together, anything else ends the stretch."""
        deps = self.deps
        await deps.submissions.mark_dispatching([s.ticket_id for s in stretch])
        delivered: list[tuple[str, str | None]] = []
        sent = 0
        cleared = False
        try:
            for item in stretch:
                now = deps.clock()
                if not self.lease.is_held():
                    break  # another replica may hold the line now: send nothing more
                if not deps.status_caught_up():
                    break  # a reassignment: the gate read may be superseded already
                if sent and (self.gate_news.is_set() or self.pacer.allowance(now) < 1):
                    break
                sent += 1
                answer = await self._send(item, now)
                in_a_row = self.misconfigured_in_a_row
                self.misconfigured_in_a_row = (
                    in_a_row + 1 if isinstance(answer, Misconfigured) else 0
                )
                if isinstance(answer, Delivered):
                    delivered.append((item.ticket_id, answer.siak_reference))
                    await self._on_delivered(deps.clock())
                    if not cleared:
                        await self._clear_misconfiguration()
                        cleared = True
                    continue
                await deps.submissions.mark_delivered(delivered)
                delivered = []
                await self._record_undelivered(item, answer, deps.clock())
                if isinstance(answer, Misconfigured):
                    await self._flag_misconfiguration(answer.status)
                elif isinstance(answer, Refused):
                    await self._clear_misconfiguration()
                break
        finally:
            await deps.submissions.mark_delivered(delivered)
            await deps.submissions.release([s.ticket_id for s in stretch[sent:]])

    async def _flag_misconfiguration(self, status: int) -> None:
        """SIAK's answer says the gate is misconfigured: flag the region with `status` at every
        such answer (they come minutes apart, `MISCONFIGURED_BACKOFF`), never trusting an
        earlier flag to stand: an operator may have cleared it meanwhile. Only while this
        dispatcher holds the region: one that lost its lease mid-send must not overwrite what
        the new holder wrote."""
        if self.lease.is_held():
            await self.deps.misconfigurations.flag(self.region_code, status)

    async def _clear_misconfiguration(self) -> None:
        """An answer on a submission's merits (delivered, refused) shows the configuration
        works, and an empty line holds nothing; SIAK away says nothing of it. Cleared at the
        first such answer of every stretch and at every empty line, never trusting an earlier
        clear: a replica whose lease died unseen may have flagged since (decision 36). A
        `DELETE` matching nothing writes no WAL."""
        if self.lease.is_held():
            await self.deps.misconfigurations.clear(self.region_code)

    async def _send(self, item: StoredSubmission, now: datetime) -> SiakAnswer | Unreadable:
        """SIAK's answer; Unreadable when the stored payload cannot be read."""
        payload = self._unsealed(item)
        if isinstance(payload, Unreadable):
            return payload  # SIAK never sees it: it takes no token, and is no canary
        self.pacer.take(now)
        return await self.deps.siak.submit(self.region_code, item.ticket_id, payload)

    async def _on_delivered(self, now: datetime) -> None:
        was_recovering = self.pacer.state is GateState.RECOVERING
        self.pacer.on_siak_answered(now)
        if was_recovering and self.pacer.state is GateState.OPEN:
            await self._announce_open(now)

    def _unsealed(self, head: StoredSubmission) -> bytes | Unreadable:
        if head.sealed_payload is None:
            return Unreadable("payload_unreadable")
        try:
            return self.deps.sealer.unseal(
                head.sealed_payload, ticket_id=head.ticket_id, key_id=head.data_key_id
            )
        except LookupError:
            # Loud, but the line goes on: configure the key and retry the parked ones.
            log.error(
                "ticket %s was sealed with the data key %r, which this gate is not "
                "configured with: parked (data_key_unknown)",
                head.ticket_id,
                head.data_key_id,
            )
            return Unreadable("data_key_unknown")
        except Exception as error:
            # The type only: an error's message is no place to risk personal data.
            log.error(
                "the personal data of ticket %s does not open with the data key %r (%s): parked",
                head.ticket_id,
                head.data_key_id,
                type(error).__name__,
            )
            return Unreadable("payload_unreadable")

    async def _record_undelivered(
        self,
        head: StoredSubmission,
        answer: Refused | Unavailable | Misconfigured | Unreadable,
        now: datetime,
    ) -> None:
        if isinstance(answer, Unreadable):
            # Park it so the rest of the line goes on.
            await self.deps.submissions.move(
                head.ticket_id,
                to=SubmissionState.PARKED,
                expected=SubmissionState.DISPATCHING,
                parked_reason=answer.reason,
            )
        elif isinstance(answer, Refused):
            self.pacer.on_siak_answered(now)
            log.warning("SIAK refused ticket %s: parked (%s)", head.ticket_id, answer.code)
            await self.deps.submissions.move(
                head.ticket_id,
                to=SubmissionState.PARKED,
                expected=SubmissionState.DISPATCHING,
                parked_reason=answer.reason,
            )
        elif isinstance(answer, Misconfigured):
            # Not this submission's fault, and any other would get the same answer: it keeps
            # its place, the region's replay holds off, and only it probes SIAK now and then.
            self.pacer.on_transient_failure(now)
            delay = retry_delay(self.misconfigured_in_a_row, policy=MISCONFIGURED_BACKOFF)
            log.error(
                "SIAK answered HTTP %d for region %s: the gate's SIAK address or credentials "
                "look wrong; replay held, ticket %s tried again in %.0f s",
                answer.status,
                self.region_code,
                head.ticket_id,
                delay.total_seconds(),
            )
            await self._back_in_line(head, answer.reason, now + delay)
        else:
            self.pacer.on_transient_failure(now)
            delay = retry_delay(head.attempts + 1)
            log.info(
                "SIAK unavailable for ticket %s (%s); retrying in %.1f s",
                head.ticket_id,
                answer.reason,
                delay.total_seconds(),
            )
            await self._back_in_line(head, answer.reason, now + delay)

    async def _back_in_line(
        self, head: StoredSubmission, reason: str, next_attempt_at: datetime
    ) -> None:
        # At the head it had: `seq` is unchanged, nothing overtakes it.
        await self.deps.submissions.move(
            head.ticket_id,
            to=SubmissionState.QUEUED,
            expected=SubmissionState.DISPATCHING,
            next_attempt_at=next_attempt_at,
            last_error=reason,
        )

    async def _announce_open(self, now: datetime) -> None:
        if self.deps.announcer is None:
            return
        gate = await read_region_gate(
            self.region_code,
            statuses=self.deps.statuses,
            controls=self.deps.controls,
            policy=self.deps.policy,
            now=now,
        )
        await self.deps.announcer.announce(
            [
                GateSighting(
                    region_code=self.region_code,
                    seen=GateState.OPEN,
                    siak_status=gate.status,
                    cause="replay_at_full_rate",
                    reason=None,
                    at=now,
                )
            ]
        )


def _retry_pending(submission: StoredSubmission, now: datetime) -> bool:
    return submission.next_attempt_at is not None and submission.next_attempt_at > now
