"""Every background task of the monitor: killed by an unexpected error, it comes back, is
counted, and `/readyz` names it while it keeps failing."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from services.siak_monitor.domain.probe import ProbeResult, ProbeTarget
from services.siak_monitor.entrypoints.metrics import PrometheusMetrics
from services.siak_monitor.maintenance_service import MaintenanceService
from services.siak_monitor.monitoring import Monitor
from services.siak_monitor.replica import restore
from shared.events import MonitorHeartbeat
from shared.supervision import Supervisor
from tests.support.polling import eventually
from tests.unit.siak_monitor.fakes import (
    FakeClock,
    FakePublishedLog,
    FakePublisher,
    ready_app,
    settings,
    supervised,
)

FAST = {
    "probe_interval_s": 0.01,
    "heartbeat_period_s": 0.01,
    "tick_period_s": 0.01,
    "task_unhealthy_after_s": 0.1,
    "parent": {"url": "http://central.invalid/health"},
}


@dataclass
class Fault:
    """Raises while on; counts the calls that went through once it is off."""

    on: bool = True
    calls_since_repair: int = 0

    def hit(self) -> None:
        if self.on:
            raise RuntimeError("an error nobody planned for")
        self.calls_since_repair += 1


@dataclass
class Service:
    monitor: Monitor
    maintenance: MaintenanceService
    metrics: PrometheusMetrics
    supervisor: Supervisor
    http: httpx.AsyncClient
    fault: Fault = field(default_factory=Fault)

    def restarts(self, kind: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "siak_monitor_task_restarts_total", {"task": kind}
        )
        return value or 0.0


def _break_probe(service: Service, target: str) -> None:
    prober = service.monitor.prober
    real = prober.probe

    async def probe(probed: ProbeTarget) -> ProbeResult:
        if probed.name == target:
            service.fault.hit()
        return await real(probed)

    setattr(prober, "probe", probe)  # noqa: B010 - replacing a method of this one object


def _break_sync(service: Service, owner: object, name: str) -> None:
    real = getattr(owner, name)

    def broken(*args: Any) -> Any:
        service.fault.hit()
        return real(*args)

    setattr(owner, name, broken)


def _break_async(service: Service, owner: object, name: str) -> None:
    real = getattr(owner, name)

    async def broken(*args: Any) -> Any:
        service.fault.hit()
        return await real(*args)

    setattr(owner, name, broken)


BREAKS: dict[str, tuple[str, Callable[[Service], None]]] = {
    # task name: (its kind in the metric, how to make it raise)
    "probe 73.71": ("probes", lambda s: _break_probe(s, "73.71")),
    "parent probe": ("parent probe", lambda s: _break_probe(s, "central")),
    "tick": ("tick", lambda s: _break_sync(s, s.monitor, "tick")),
    "publisher": ("publisher", lambda s: _break_async(s, s.monitor, "publish_owed")),
    "heartbeat": ("heartbeat", lambda s: _break_async(s, s.monitor, "publish_heartbeat")),
    # After reading the log back: recovering from an unreachable broker is the read's own job.
    "restore": ("restore", lambda s: _break_sync(s, s.maintenance, "restore")),
}


@pytest.mark.parametrize("task", list(BREAKS))
async def test_a_task_killed_by_an_unexpected_error_comes_back_and_readyz_names_it(
    task: str,
) -> None:
    app = ready_app(settings(watch="73.71,73.06", **FAST), FakeClock(), restored=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://monitor") as http:
        state = app.state
        service = Service(state.monitor, state.maintenance, state.metrics, state.supervisor, http)
        kind, breaking = BREAKS[task]
        breaking(service)
        # The monitor's own read-back, over a published log that has nothing yet.
        reading_back = functools.partial(
            restore, service.monitor, service.maintenance, FakePublishedLog()
        )

        async with supervised(service.monitor, service.supervisor, reading_back):
            failing = await eventually(
                functools.partial(_readyz_naming, service, task), within=5, what=f"{task} named"
            )
            restarts_while_broken = service.restarts(kind)
            service.fault.on = False
            ready = await eventually(
                functools.partial(_readyz_ready, service), within=5, what="ready again"
            )
            await eventually(
                functools.partial(_came_back, service, task), within=5, what=f"{task} at work"
            )

    assert failing.status_code == 503
    assert restarts_while_broken >= 1
    assert ready["tasks"].keys() == {"parent probe", "tick", "publisher", "heartbeat", "restore"}
    assert ready["probes"]["running"] == 2 and ready["probes"]["failing"] == []
    if task.startswith("probe "):
        assert failing.json()["probes"]["failing"] == ["73.71"]
    else:
        detail = failing.json()["tasks"][task]
        assert detail["failing"] and detail["restarts"] >= 1


async def _readyz_naming(service: Service, task: str) -> httpx.Response | None:
    response = await service.http.get("/readyz")
    return response if task in response.json()["failing"] else None


async def _readyz_ready(service: Service) -> dict[str, Any] | None:
    response = await service.http.get("/readyz")
    body: dict[str, Any] = response.json()
    return body if response.status_code == 200 else None


async def _came_back(service: Service, task: str) -> bool:
    """The task does its work again: the repaired call went through."""
    if task == "restore":
        return service.monitor.restored.is_set()
    if task == "heartbeat":
        publisher = service.monitor.publication.publisher
        assert isinstance(publisher, FakePublisher)
        return service.fault.calls_since_repair >= 1 and bool(publisher.of_type(MonitorHeartbeat))
    return service.fault.calls_since_repair >= 1


async def test_readyz_keeps_its_fields_and_details_every_task() -> None:
    app = ready_app(settings(watch="73.71", **FAST), FakeClock())
    async with (
        supervised(app.state.monitor, app.state.supervisor),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://monitor"
        ) as http,
    ):

        async def all_running() -> dict[str, Any] | None:
            body: dict[str, Any] = (await http.get("/readyz")).json()
            return (
                body
                if body["probes"]["running"] == 1 and body["tasks"]["tick"]["running"]
                else None
            )

        body = await eventually(all_running, within=5, what="every task running")

    assert body["status"] == "ready" and body["pending_events"] >= 0 and body["failing"] == []
    assert body["tasks"]["tick"] == {
        "running": True,
        "restarts": 0,
        "failing": False,
        "last_error": None,
    }
    assert body["probes"] == {"running": 1, "restarts": 0, "failing": []}
