"""The retention purge: every due submission, in batches each short enough to finish."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from prometheus_client import REGISTRY

from services.queue_gate.domain.ticket import SubmissionState
from services.queue_gate.retention import purge_expired, purge_periodically
from tests.support.polling import eventually
from tests.unit.queue_gate.fakes import FakePorts, FakeSubmissionStore

MAKASSAR = "73.71"
RETENTION = timedelta(days=30)


class CountingPurges(FakeSubmissionStore):
    def __init__(self, ports: FakePorts) -> None:
        super().__init__(ports.clock)
        self.limits: list[int] = []

    async def purge_personal_data(self, *, finished_before: datetime, limit: int) -> int:
        self.limits.append(limit)
        return await super().purge_personal_data(finished_before=finished_before, limit=limit)


async def test_every_due_submission_is_purged_a_batch_at_a_time() -> None:
    ports = FakePorts()
    store = ports.submissions = CountingPurges(ports)
    finished = [await ports.waiting(MAKASSAR, f"applicant-{n}") for n in range(5)]
    for ticket in finished:
        await store.move(ticket, to=SubmissionState.CANCELLED)
    ports.clock.advance(RETENTION + timedelta(days=1))

    purged = await purge_expired(store, retention=RETENTION, now=ports.clock(), batch_size=2)

    assert purged == 5
    assert store.limits == [2, 2, 2]  # the last batch came back short: nothing more is due
    assert all(store.stored(ticket).sealed_payload is None for ticket in finished)


class PurgeBroken(FakeSubmissionStore):
    """A purge that fails every time (a lock held, a timeout, a bug)."""

    async def purge_personal_data(self, *, finished_before: datetime, limit: int) -> int:
        raise TimeoutError("canceling statement due to statement timeout")


def overdue_seconds() -> float | None:
    return REGISTRY.get_sample_value("queue_gate_personal_data_overdue_seconds")


async def purging_until(
    ports: FakePorts, purging: FakeSubmissionStore, overdue: float
) -> float | None:
    """Run the purge loop (its rounds a moment apart) until the gauge says `overdue`."""
    loop = asyncio.create_task(
        purge_periodically(
            purging,
            ports.submissions,
            retention=RETENTION,
            clock=ports.clock,
            every=timedelta(milliseconds=10),
        )
    )

    async def reads() -> bool:
        return overdue_seconds() == overdue

    try:
        await eventually(reads, within=5, what=f"the gauge at {overdue}")
    finally:
        loop.cancel()
    return overdue_seconds()


async def test_personal_data_kept_past_retention_is_measured_even_when_the_purge_fails() -> None:
    """An alert can say "personal data kept past retention" whatever stops the purge."""
    ports = FakePorts()
    ticket = await ports.waiting(MAKASSAR, "applicant-1")
    await ports.submissions.move(ticket, to=SubmissionState.DELIVERED)
    ports.clock.advance(RETENTION + timedelta(hours=3))

    stuck = await purging_until(ports, PurgeBroken(ports.clock), overdue=3 * 3600)
    purged = await purging_until(ports, ports.submissions, overdue=0)

    assert (stuck, purged) == (3 * 3600, 0)
    assert ports.submissions.stored(ticket).sealed_payload is None
