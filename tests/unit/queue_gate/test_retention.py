"""The retention purge: every due submission, in batches each short enough to finish."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.queue_gate.domain.ticket import SubmissionState
from services.queue_gate.retention import purge_expired
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
