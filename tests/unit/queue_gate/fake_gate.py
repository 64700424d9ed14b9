"""The whole gate app on fakes: its routes, Kafka subscribers and background tasks, no I/O."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.queue_gate.adapters.kafka_link import Record, Subscription
from services.queue_gate.adapters.postgres.wakeups import OnWake
from services.queue_gate.bootstrap import ConnectAdapters, GateAdapters, create_app
from services.queue_gate.runtime import GateRuntime
from services.queue_gate.settings import GateSettings
from services.queue_gate.status_catch_up import PartitionSpan, StatusCatchUp
from shared.supervision import TaskFactory
from shared.topics import TopicMisconfiguredError
from tests.unit.queue_gate.fakes import FakePorts, Progress

API_KEY = "unit-intake-key"
ADMIN_TOKEN = "unit-admin-token"


def gate_settings(**overrides: Any) -> GateSettings:
    values: dict[str, Any] = {
        "api_key": API_KEY,
        "admin_token": ADMIN_TOKEN,
        "data_key": "A" * 43,
        "applicant_key_secret": "s" * 32,
        "kafka_start_grace_s": 1.0,
        "sweep_interval_s": 0.05,
        **overrides,
    }
    return GateSettings.model_validate(values)


def tamper_with_task(
    monkeypatch: pytest.MonkeyPatch, task: str, wrap: Callable[[TaskFactory], TaskFactory]
) -> None:
    """Gates started from now on run `wrap(task)` in place of `task`."""
    start_background = GateRuntime.start_background

    def start_tampered(runtime: GateRuntime) -> None:
        runtime.background[task] = wrap(runtime.background[task])
        start_background(runtime)

    monkeypatch.setattr(GateRuntime, "start_background", start_tampered)


class FakeRelay:
    """Stands for the outbox relay: runs until cancelled, counting its runs."""

    def __init__(self) -> None:
        self.runs = 0
        self.progress = Progress()

    async def run(self) -> None:
        self.runs += 1
        self.progress.mark()
        await asyncio.Event().wait()


class FakeOutbox:
    """Stands for the outbox table, as far as counting it goes."""

    def __init__(self) -> None:
        self.depth = 0
        self.reachable = True
        self.stalled = False
        """Counting never answers (every pooled connection busy, a query blocked)."""

    async def count(self) -> int:
        if self.stalled:
            await asyncio.Event().wait()
        if not self.reachable:
            raise ConnectionRefusedError
        return self.depth


class FakeWakeups:
    """Stands for LISTEN: `send` delivers a wake-up; `lose_connection` ends the listening."""

    def __init__(self) -> None:
        self.connections = 0
        self.progress = Progress()
        self._on_wake: OnWake | None = None
        self._lost = asyncio.Event()

    async def listen(self, on_wake: OnWake, on_connected: Callable[[], Awaitable[None]]) -> None:
        self._lost.clear()
        self._on_wake = on_wake
        await on_connected()
        self.connections += 1
        self.progress.mark()
        await self._lost.wait()
        self._on_wake = None
        raise ConnectionError("the LISTEN connection was closed")

    def lose_connection(self) -> None:
        self._lost.set()

    def send(self, region_code: str, *, gate_changed: bool, own_status: bool = False) -> None:
        """A wake-up from some replica: heard only while listening."""
        if self._on_wake is not None:
            self._on_wake(region_code, gate_changed, own_status)


class FakeKafka:
    """Stands for the Kafka link: starts after `prepare`, like the real one; `deliver` hands a
    record to the handlers subscribed to its topic, and `published` keeps what was sent."""

    def __init__(self) -> None:
        self.prepare: Callable[[], Awaitable[None]] = _topics_exist
        self.subscriptions: list[Subscription] = []
        self.published: list[tuple[str, bytes | None, bytes, list[tuple[str, bytes]]]] = []
        self._started = asyncio.Event()
        self._offsets = itertools.count()
        self.misconfiguration: str | None = None

    @property
    def started(self) -> bool:
        return self._started.is_set()

    def subscribe(self, subscription: Subscription) -> None:
        self.subscriptions.append(subscription)

    async def run(self) -> None:
        try:
            try:
                await self.prepare()
            except TopicMisconfiguredError as error:  # as the real link tells it
                self.misconfiguration = str(error)
                raise
            self.misconfiguration = None
            self._started.set()
            await asyncio.Event().wait()
        finally:
            self._started.clear()

    async def wait_started(self) -> None:
        await self._started.wait()

    async def publish(
        self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]
    ) -> Awaitable[Any]:
        await self._started.wait()
        self.published.append((topic, key, value, headers))
        delivered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        delivered.set_result(None)
        return delivered

    async def reachable(self, *, timeout_s: float) -> bool:
        return self.started

    async def deliver(self, topic: str, key: bytes, value: bytes) -> None:
        await self._started.wait()
        record = Record(topic, 0, next(self._offsets), key, value, [])
        for subscription in self.subscriptions:
            if subscription.topic == topic:
                await subscription.handle(record)


class FakeBacklogCounts:
    """The fakes count nothing apart from the line: no drift unless a test sets some."""

    def __init__(self) -> None:
        self.drift: dict[str, int] = {}
        self.checks = 0
        self.progress = Progress()

    async def repair_drift(self) -> dict[str, int]:
        self.checks += 1
        self.progress.mark()
        repaired, self.drift = self.drift, {}
        return repaired


class FakeDatabase:
    def __init__(self) -> None:
        self.up = True
        self.clock_gap: timedelta | None = timedelta(0)
        """How far the gate's clock stands ahead of the database's, as the store measured it."""

    async def reachable(self) -> bool:
        return self.up

    async def flushed(self) -> bool:
        """The fakes' commits are durable at once; nothing is known while the database is down."""
        return self.up


async def _topics_exist() -> None:
    return None


@dataclass
class FakeEdges:
    """The fakes behind the gate's adapters other than its ports."""

    kafka: FakeKafka = field(default_factory=FakeKafka)
    relay: FakeRelay = field(default_factory=FakeRelay)
    outbox: FakeOutbox = field(default_factory=FakeOutbox)
    wakeups: FakeWakeups = field(default_factory=FakeWakeups)
    backlog_counts: FakeBacklogCounts = field(default_factory=FakeBacklogCounts)
    database: FakeDatabase = field(default_factory=FakeDatabase)
    status_catch_up: StatusCatchUp = field(default_factory=lambda: caught_up_on({}))
    """Caught up on an assignment of no partitions unless a test says otherwise: the fake
    link assigns nothing."""


def caught_up_on(spans: dict[int, PartitionSpan]) -> StatusCatchUp:
    catch_up = StatusCatchUp()
    catch_up.assigned(spans)
    return catch_up


def fake_adapters(
    ports: FakePorts,
    edges: FakeEdges,
    *,
    prepare_kafka: Callable[[], Awaitable[None]] = _topics_exist,
) -> ConnectAdapters:
    """Connects the gate to `ports` and `edges`; the link starts after `prepare_kafka`."""
    edges.kafka.prepare = prepare_kafka

    @contextlib.asynccontextmanager
    async def connect(_settings: GateSettings) -> AsyncIterator[GateAdapters]:
        yield GateAdapters(
            submissions=ports.submissions,
            statuses=ports.statuses,
            controls=ports.controls,
            client_keys=ports.client_keys,
            announcer=ports.announcer,
            sealer=ports.sealer,
            siak=ports.siak,
            misconfigurations=ports.misconfigurations,
            leases=ports.leases,
            kafka=edges.kafka,
            status_catch_up=edges.status_catch_up,
            relay=edges.relay,
            wakeups=edges.wakeups,
            backlog_counts=edges.backlog_counts,
            kept_personal_data=ports.submissions,
            outbox_depth=edges.outbox.count,
            database_reachable=edges.database.reachable,
            database_clock_gap=lambda: edges.database.clock_gap,
            status_changes_flushed=edges.database.flushed,
            console=ports.console.stores(),
        )

    return connect


def gate_app(
    settings: GateSettings,
    ports: FakePorts,
    *,
    scene: Callable[[FakePorts], Awaitable[None]] | None = None,
) -> FastAPI:
    """The gate app on `ports`, each run of its lifespan on fresh edges, after `scene` set on
    the ports: for a client that runs the lifespan itself (schemathesis does)."""

    @contextlib.asynccontextmanager
    async def connect(settings: GateSettings) -> AsyncIterator[GateAdapters]:
        if scene is not None:
            await scene(ports)
        async with fake_adapters(ports, FakeEdges())(settings) as adapters:
            yield adapters

    return create_app(settings, adapters=connect, clock=ports.clock, steady=ports.clock.steady)


@dataclass
class FakeGate:
    http: httpx.AsyncClient
    runtime: GateRuntime
    ports: FakePorts
    edges: FakeEdges

    async def readyz(self) -> httpx.Response:
        return await self.http.get("/readyz")


@contextlib.asynccontextmanager
async def running_gate(
    settings: GateSettings | None = None,
    *,
    ports: FakePorts | None = None,
    prepare_kafka: Callable[[], Awaitable[None]] = _topics_exist,
    edges: FakeEdges | None = None,
) -> AsyncIterator[FakeGate]:
    """The gate app, its lifespan run, on `ports` and `edges` (fresh fakes by default)."""
    ports = ports or FakePorts()
    edges = edges or FakeEdges()
    connect = fake_adapters(ports, edges, prepare_kafka=prepare_kafka)
    app = create_app(
        settings or gate_settings(), adapters=connect, clock=ports.clock, steady=ports.clock.steady
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gate") as http,
    ):
        yield FakeGate(http, app.state.runtime, ports, edges)
