"""What a running gate holds, assembled once by `bootstrap` and handed to its entrypoints."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.queue_gate.client_keyring import ClientKeyring
from services.queue_gate.dispatch_supervisor import DispatchSupervisor
from services.queue_gate.dispatching import DispatchDeps
from services.queue_gate.domain.gate import GateState
from services.queue_gate.handlers.intake import IntakeDeps
from services.queue_gate.handlers.region_gate import GateReader, RegionGate
from services.queue_gate.handlers.tickets import Pace, assumed_pace
from services.queue_gate.operators.console import ConsoleDeps
from services.queue_gate.settings import GateSettings
from shared.supervision import Supervisor, TaskFactory

Reachable = Callable[[], Awaitable[bool]]

KAFKA_TASKS = frozenset({"kafka", "outbox relay"})
"""Tasks that only Kafka's absence can keep failing: they make the gate `degraded`, not
unready, since intake (and replay to SIAK) need only PostgreSQL. Taking every replica out
of the load balancer while Kafka is down would turn late events into refused submissions."""
DISPATCH_ONLY_TASKS = frozenset({"status catch-up"})
"""Tasks whose failure holds only dispatch (until the status topic is read): `degraded` too,
since intake goes on meanwhile."""
CLOCK_GAP_TOLERATED = timedelta(seconds=5)
"""A gap to the database's clock past this makes the gate `degraded`: an NTP-kept host is
within a second (the gap is measured in whole seconds, round trip included), see
docs/decisions/0032-clock-gap-in-readyz.md."""


@dataclass(frozen=True)
class Readiness:
    ready: bool
    detail: dict[str, object]


@dataclass
class GateRuntime:
    settings: GateSettings
    intake: IntakeDeps
    dispatch: DispatchDeps
    supervisor: DispatchSupervisor
    clock: Callable[[], datetime]
    client_keys: ClientKeyring
    """The intake keys every submission is checked against."""
    console: ConsoleDeps
    background: dict[str, TaskFactory] = field(default_factory=dict)
    """Every long-running task of the gate, by name, run under `tasks`."""
    tasks: Supervisor = field(default_factory=Supervisor)
    database_reachable: Reachable | None = None
    outbox_depth: Callable[[], Awaitable[int]] | None = None
    """How many gate events wait for Kafka (read at each scrape of `/metrics`)."""
    kafka_reachable: Reachable | None = None
    status_catch_up: Callable[[], dict[str, object]] | None = None
    """Whether dispatch waits for the status consumer to catch up (`StatusCatchUp.report`)."""
    topic_misconfiguration: Callable[[], str | None] = lambda: None
    """Why the Kafka topics are unfit, if they are (`KafkaLink.misconfiguration`)."""
    database_clock_gap: Callable[[], timedelta | None] = lambda: None
    """How far this host's clock stood ahead of the database's at the latest read."""
    ready: bool = False

    @property
    def gates(self) -> GateReader:
        return self.intake.gates

    def start_background(self) -> None:
        for name, run in self.background.items():
            self.tasks.start(name, run)

    async def readiness(self) -> Readiness:
        """Ready while every task outside `KAFKA_TASKS` and `DISPATCH_ONLY_TASKS` runs (or
        has failed only briefly) and no topic is unfit: that is a mistake to put right, not
        an outage to ride out."""
        database, kafka = await asyncio.gather(
            _reachable(self.database_reachable), _reachable(self.kafka_reachable)
        )
        failing = self.tasks.failing()
        blocking = [name for name in failing if name not in KAFKA_TASKS | DISPATCH_ONLY_TASKS]
        misconfiguration = self.topic_misconfiguration()
        status_consumer = self.status_catch_up() if self.status_catch_up else None
        # Kafka not answering where the status consumer stands holds dispatch, not intake.
        status_retrying = status_consumer is not None and "retrying" in status_consumer
        clock_gap = self.database_clock_gap()
        clock_off = clock_gap is not None and abs(clock_gap) > CLOCK_GAP_TOLERATED
        if not self.ready:
            state = "starting"
        elif blocking or misconfiguration:
            state = "failing"
        elif failing or kafka != "reachable" or status_retrying or clock_off:
            state = "degraded"
        else:
            state = "ready"
        detail: dict[str, object] = {
            "status": state,
            "failing": failing,
            "postgresql": database,
            "database_clock_gap_s": None if clock_gap is None else clock_gap.total_seconds(),
            "kafka": kafka,
            "status_consumer": status_consumer,
            "tasks": self.tasks.report(),
        }
        if misconfiguration:
            detail["topics"] = misconfiguration
        return Readiness(ready=self.ready and not blocking and not misconfiguration, detail=detail)

    async def database_is_reachable(self) -> bool:
        return await _reachable(self.database_reachable) != "unavailable"

    async def region_gate(self, region_code: str) -> RegionGate:
        return await self.gates.gate(region_code, self.clock())

    def pace(self, gate: RegionGate) -> Pace:
        dispatcher = self.supervisor.active.get(gate.region_code)
        if dispatcher is None or not gate.lets_through:
            return assumed_pace(gate, self.dispatch.pacing)
        pacer = dispatcher.pacer
        state = pacer.state if pacer.state is not GateState.CLOSED else GateState.RECOVERING
        return Pace(state, pacer.rate, pacer.canaries_remaining)


async def _reachable(probe: Reachable | None) -> str:
    if probe is None:
        return "unknown"
    try:
        return "reachable" if await probe() else "unavailable"
    except Exception:
        return "unavailable"
