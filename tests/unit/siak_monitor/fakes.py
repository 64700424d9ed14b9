"""Stand-ins for the monitor's ports, and a monitor built on them, for service-layer tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from services.siak_monitor.bootstrap import (
    build_monitor,
    expose,
    install_routes,
    supervisor_for,
)
from services.siak_monitor.domain.probe import ProbeResult, ProbeTarget
from services.siak_monitor.domain.status_board import PublishedStatus
from services.siak_monitor.entrypoints.metrics import PrometheusMetrics
from services.siak_monitor.maintenance_service import MaintenanceService
from services.siak_monitor.monitoring import Monitor
from services.siak_monitor.ports import Delivery, OutgoingEvent, PublishedState
from services.siak_monitor.running import supervise_monitor
from services.siak_monitor.settings import MonitorSettings
from shared.events import StatusChanged
from shared.supervision import Backoff, Supervisor
from tests.unit.siak_monitor.builders import START


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


class FakeProber:
    """Answers by target name: healthy unless told a target is down, slow or hanging."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.down: set[str] = set()
        self.hanging: set[str] = set()
        self.latency_ms: dict[str, float] = {}
        self.in_flight = 0
        self.most_in_flight = 0
        self.probed: list[str] = []

    async def probe(self, target: ProbeTarget) -> ProbeResult:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)
            if target.name in self.hanging:
                await asyncio.Event().wait()
            self.probed.append(target.name)
            at = self.clock()
            if target.name in self.down:
                return ProbeResult(at, ok=False, http_status=503, error="http_503")
            latency = self.latency_ms.get(target.name, 20.0)
            return ProbeResult(at, ok=True, latency_ms=latency, http_status=200)
        finally:
            self.in_flight -= 1


class FakePublisher:
    """Keeps what it was given; while not `reachable`, takes nothing and answers `failure`."""

    def __init__(self) -> None:
        self.reachable = True
        self.failure = Delivery.NOT_SENT
        self.published: list[OutgoingEvent] = []

    async def publish(self, events: Sequence[OutgoingEvent]) -> list[Delivery]:
        if not self.reachable:
            return [self.failure] * len(events)
        self.published.extend(events)
        return [Delivery.DELIVERED] * len(events)

    def of_type(self, kind: type[Any]) -> list[Any]:
        return [event for event in self.published if isinstance(event, kind)]

    def statuses(self, code: str | None = None) -> list[StatusChanged]:
        changes: list[StatusChanged] = self.of_type(StatusChanged)
        return [c for c in changes if code is None or c.region_code == code]


class FakePublishedLog:
    def __init__(
        self,
        state: PublishedState | None = None,
        *,
        failures: int = 0,
        failure: Exception | None = None,
    ) -> None:
        self.state = state or PublishedState()
        self.failures = failures
        self.failure = failure or ConnectionError("broker not reachable")
        self.reads = 0

    async def read(self) -> PublishedState:
        self.reads += 1
        if self.reads <= self.failures:
            raise self.failure
        return self.state


def settings(watch: str = "73.71,73.06", **overrides: Any) -> MonitorSettings:
    values: dict[str, Any] = {
        "watch": watch,
        "failure_threshold": 2,
        "success_threshold": 2,
        "probe_interval_s": 0.01,
        "probe_jitter_s": 0.0,
        "admin_token": "secret-token",
        **overrides,
    }
    return MonitorSettings.model_validate(values)


def fake_monitor(
    config: MonitorSettings, clock: FakeClock
) -> tuple[Monitor, FakeProber, FakePublisher]:
    prober = FakeProber(clock)
    publisher = FakePublisher()
    monitor = build_monitor(config, prober=prober, publisher=publisher, clock=clock)
    return monitor, prober, publisher


@contextlib.asynccontextmanager
async def supervised(
    monitor: Monitor, supervisor: Supervisor, restore: Callable[[], Awaitable[None]] | None = None
) -> AsyncIterator[Supervisor]:
    """The monitor's loops running under `supervisor` until the block ends; `restore` stands
    for the read-back (by default, an empty published log)."""

    async def read_back_nothing() -> None:
        monitor.restore(PublishedState())
        monitor.mark_restored()

    supervise_monitor(monitor, supervisor, restore or read_back_nothing)
    try:
        yield supervisor
    finally:
        await supervisor.stop()


async def probe_all(monitor: Monitor, clock: FakeClock, rounds: int = 1) -> None:
    """Probe every region (and the parent) `rounds` times, a second apart."""
    for _ in range(rounds):
        clock.advance(1)
        if monitor.parent_target is not None:
            await monitor.probe_parent()
        for code in monitor.region_codes:
            await monitor.probe_region(code)


FAST_BACKOFF = Backoff(initial_s=0.01, max_s=0.05)


def ready_app(config: MonitorSettings, clock: FakeClock, *, restored: bool = True) -> FastAPI:
    """The monitor's routes over a fake monitor whose published log has been read back
    (unless not `restored`: then the test restores it). `app.state` holds the monitor, its
    maintenance service, metrics and supervisor (restarting within tens of milliseconds); no
    task runs until the test starts them (`supervised`)."""
    metrics = PrometheusMetrics(CollectorRegistry())
    monitor = build_monitor(
        config, prober=FakeProber(clock), publisher=FakePublisher(), metrics=metrics, clock=clock
    )
    maintenance = MaintenanceService(monitor)
    supervisor = supervisor_for(config, metrics, backoff=FAST_BACKOFF)
    app = FastAPI()
    install_routes(app, max_body_bytes=config.max_body_bytes)
    expose(
        app, monitor, maintenance, metrics, admin_token=config.admin_token, supervisor=supervisor
    )
    if restored:
        monitor.restore(PublishedState())
        maintenance.restore({})
        monitor.mark_restored()
    return app


class FakeShard:
    """The shard's transactional id at the broker: each claim fences the earlier claimant;
    `committed` is what read_committed readers see."""

    def __init__(self) -> None:
        self.epoch = 0
        self.committed: list[OutgoingEvent] = []
        self.claims: list[str] = []
        """Who claimed, in order (a publisher's name)."""
        self.reads: list[list[str]] = []
        """The claims made by the time of each read-back."""

    def publisher(self, name: str) -> ShardPublisher:
        return ShardPublisher(self, name)

    def log(self) -> ShardLog:
        return ShardLog(self)

    def statuses(self, code: str) -> list[tuple[str, int]]:
        return [
            (event.status.value, event.seq)
            for event in self.committed
            if isinstance(event, StatusChanged) and event.region_code == code
        ]


class ShardPublisher:
    """A term's publisher: publishes only while its claim is the latest; fenced, it is spent."""

    def __init__(self, shard: FakeShard, name: str) -> None:
        self.shard = shard
        self.name = name
        self.spent = asyncio.Event()
        self.epoch: int | None = None
        self.tenure: int | None = None
        self.fenced_batches = 0

    async def claim(self) -> None:
        self.shard.epoch += 1
        self.epoch = self.tenure = self.shard.epoch
        self.shard.claims.append(self.name)

    async def publish(self, events: Sequence[OutgoingEvent]) -> list[Delivery]:
        if self.epoch is None or self.spent.is_set():
            return [Delivery.NOT_SENT] * len(events)
        if self.epoch != self.shard.epoch:
            self.fenced_batches += 1
            self.spent.set()
            return [Delivery.NOT_SENT] * len(events)
        self.shard.committed.extend(events)
        return [Delivery.DELIVERED] * len(events)

    async def stop(self) -> None:
        self.spent.set()


class ShardLog:
    """Reads back the latest committed status of each region, as the Kafka log does."""

    def __init__(self, shard: FakeShard) -> None:
        self.shard = shard

    async def read(self) -> PublishedState:
        self.shard.reads.append(list(self.shard.claims))
        state = PublishedState()
        for event in self.shard.committed:
            if isinstance(event, StatusChanged):
                state.statuses[event.region_code] = PublishedStatus(
                    event.status, event.seq, event.reason, epoch=event.epoch, since=event.since
                )
        return state
