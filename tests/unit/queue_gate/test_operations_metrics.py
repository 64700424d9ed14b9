"""The gauges the alert rules need: each region's backlog, the outbox's depth, the regions whose
replay SIAK's misconfigured answers hold."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from services.queue_gate.adapters import prometheus_metrics
from tests.unit.queue_gate.fake_gate import running_gate
from tests.unit.queue_gate.fakes import FakePorts

SCRAPE_TIMEOUT_S = 10.0
"""The ServiceMonitor's scrapeTimeout (deploy/k8s/monitoring/servicemonitor.yaml)."""


async def unreachable() -> dict[str, int]:
    """PostgreSQL, as the gate's stores meet it while it is away."""
    raise ConnectionRefusedError


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

        monkeypatch.setattr(ports.submissions, "backlogs", unreachable)
        response = await gate.http.get("/metrics")

    assert response.status_code == 200
    assert "queue_gate_task_restarts_total" in response.text
    assert backlog("73.71") is None  # no number rather than a stale one


def outbox_depth() -> float | None:
    return REGISTRY.get_sample_value("queue_gate_outbox_depth")


async def test_metrics_follow_the_outbox_depth_while_kafka_is_away() -> None:
    async def kafka_down() -> None:
        raise ConnectionRefusedError

    async with running_gate(prepare_kafka=kafka_down) as gate:
        gate.edges.outbox.depth = 3
        await gate.http.get("/metrics")
        assert outbox_depth() == 3

        gate.edges.outbox.depth = 5000  # intake keeps writing events meanwhile
        text = (await gate.http.get("/metrics")).text

        assert "queue_gate_outbox_depth 5000.0" in text
        assert not gate.edges.kafka.started


async def test_the_outbox_depth_stays_as_last_read_while_postgresql_does_not_answer() -> None:
    async with running_gate() as gate:
        gate.edges.outbox.depth = 12
        await gate.http.get("/metrics")
        gate.edges.outbox.reachable = False
        response = await gate.http.get("/metrics")

    assert response.status_code == 200
    assert outbox_depth() == 12


def misconfigured(region: str, status: int) -> float | None:
    return REGISTRY.get_sample_value(
        "queue_gate_siak_misconfigured", {"region": region, "status": str(status)}
    )


async def test_metrics_report_the_misconfigured_regions_as_stored_for_every_replica() -> None:
    ports = FakePorts()
    async with running_gate(ports=ports) as gate:
        await ports.misconfigurations.flag("73.71", 401)  # whichever replica got the answer
        text = (await gate.http.get("/metrics")).text
        assert 'queue_gate_siak_misconfigured{region="73.71",status="401"} 1.0' in text

        await ports.misconfigurations.clear("73.71")  # whichever delivered next
        await gate.http.get("/metrics")

    assert misconfigured("73.71", 401) is None


async def test_the_misconfigured_regions_stay_as_last_read_while_postgresql_does_not_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ports = FakePorts()
    async with running_gate(ports=ports) as gate:
        await ports.misconfigurations.flag("73.06", 403)
        await gate.http.get("/metrics")

        monkeypatch.setattr(ports.misconfigurations, "flagged", unreachable)
        response = await gate.http.get("/metrics")

    assert response.status_code == 200
    assert misconfigured("73.06", 403) == 1


async def never_answers() -> dict[str, int]:
    """PostgreSQL, as the gate's stores meet it while every pooled connection is busy."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def read_failed(read: str) -> float | None:
    return REGISTRY.get_sample_value("queue_gate_read_at_scrape_failed", {"read": read})


async def test_a_scrape_answers_with_the_last_values_while_postgresql_never_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(prometheus_metrics, "READ_AT_SCRAPE_BUDGET", timedelta(milliseconds=50))
    ports = FakePorts()
    async with running_gate(ports=ports) as gate:
        await ports.waiting("73.71", "a")
        await ports.misconfigurations.flag("73.06", 404)
        gate.edges.outbox.depth = 7
        await gate.http.get("/metrics")
        assert read_failed("misconfigured") == 0

        monkeypatch.setattr(ports.submissions, "backlogs", never_answers)
        monkeypatch.setattr(ports.misconfigurations, "flagged", never_answers)
        gate.edges.outbox.stalled = True
        # Only a bound on the hang: what is asserted is that the scrape answers at all.
        async with asyncio.timeout(SCRAPE_TIMEOUT_S):
            response = await gate.http.get("/metrics")

    assert response.status_code == 200
    assert misconfigured("73.06", 404) == 1  # as last read
    assert outbox_depth() == 7
    assert backlog("73.71") is None  # no number rather than a stale one, as when unreachable
    assert {read: read_failed(read) for read in ("backlog", "outbox_depth", "misconfigured")} == {
        "backlog": 1,
        "outbox_depth": 1,
        "misconfigured": 1,
    }
