"""The gauges the alert rules need: each region's backlog and the outbox's depth."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY

from services.queue_gate.adapters.postgres.outbox import OutboxRelay
from tests.unit.queue_gate.fake_gate import running_gate
from tests.unit.queue_gate.fakes import FakePorts


def backlog(region: str) -> float | None:
    return REGISTRY.get_sample_value("queue_gate_backlog", {"region": region})


async def test_metrics_report_each_region_backlog_and_forget_an_emptied_line() -> None:
    ports = FakePorts()
    async with running_gate(ports=ports) as gate:
        for applicant in ("a", "b", "c"):
            await ports.waiting("73.71", applicant)
        delivered = await ports.waiting("73.06", "d")
        text = (await gate.http.get("/metrics")).text
        assert 'queue_gate_backlog{region="73.71"} 3.0' in text
        assert backlog("73.06") == 1

        await ports.submissions.mark_dispatching([delivered])
        await ports.submissions.mark_delivered([(delivered, None)])
        await gate.http.get("/metrics")
        assert backlog("73.06") is None
        assert backlog("73.71") == 3


async def test_metrics_still_answer_when_postgresql_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ports = FakePorts()
    async with running_gate(ports=ports) as gate:
        await ports.waiting("73.71", "a")
        await gate.http.get("/metrics")

        async def unreachable() -> dict[str, int]:
            raise ConnectionRefusedError

        monkeypatch.setattr(ports.submissions, "backlogs", unreachable)
        response = await gate.http.get("/metrics")

    assert response.status_code == 200
    assert "queue_gate_task_restarts_total" in response.text
    assert backlog("73.71") is None  # no number rather than a stale one


class FakeOutboxConnection:
    """What the relay asks of its connection, over a list of stored rows."""

    def __init__(self, rows: int) -> None:
        self.rows = [
            {"id": n, "topic": "queue-gate.events.v1", "key": b"k", "value": b"v"}
            for n in range(rows)
        ]
        self.counted = 0

    async def fetch(self, _query: str, limit: int) -> list[dict[str, Any]]:
        return self.rows[:limit]

    async def fetchval(self, query: str) -> int:
        assert query == "SELECT count(*) FROM outbox"
        self.counted += 1
        return len(self.rows)

    async def execute(self, _query: str, ids: list[int]) -> None:
        self.rows = [row for row in self.rows if row["id"] not in ids]


async def _acknowledged(*_record: object) -> Any:
    async def done() -> None:
        return None

    return done()


async def _broker_away(*_record: object) -> Any:
    raise ConnectionError


async def test_the_relay_reports_the_outbox_depth_counting_only_when_a_batch_is_full() -> None:
    depths: list[int] = []
    relay = OutboxRelay(_unused_connect, _acknowledged, batch=4, on_depth=depths.append)
    connection = FakeOutboxConnection(rows=10)

    while await relay.relay_batch(connection):
        pass

    assert depths == [10, 6, 2, 0]
    assert connection.counted == 2  # the short batches were the whole outbox


async def test_the_depth_is_reported_before_a_broker_that_is_away_fails_the_relay() -> None:
    depths: list[int] = []
    relay = OutboxRelay(_unused_connect, _broker_away, batch=4, on_depth=depths.append)

    with pytest.raises(ConnectionError):
        await relay.relay_batch(FakeOutboxConnection(rows=7))

    assert depths == [7]


async def _unused_connect() -> Any:
    raise AssertionError("relay_batch is given its connection")
