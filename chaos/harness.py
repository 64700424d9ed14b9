"""What a scenario acts on: the stack's components, SIAK's faults, the regions under load."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from chaos import evidence, faults
from chaos.tcp_line import TcpLine
from deploy.local.component import Component, Paths
from deploy.local.processes import StartError
from deploy.local.python_service import PythonService
from deploy.local.stack import Stack

STALE_AFTER_S = 5.0
FAST = {
    "MONITOR_PROBE_INTERVAL_S": "0.5",
    "MONITOR_PROBE_JITTER_S": "0.1",
    "MONITOR_PROBE_TIMEOUT_S": "1",
    "MONITOR_FAILURE_THRESHOLD": "2",
    "MONITOR_SUCCESS_THRESHOLD": "2",
    "MONITOR_HEARTBEAT_PERIOD_S": "1",
    "GATE_STALE_AFTER_S": str(STALE_AFTER_S),
    "GATE_SIAK_TIMEOUT_S": "2",
    "GATE_CANARY_COUNT": "2",
    "GATE_INITIAL_RATE": "20",
    "GATE_MAX_RATE": "200",
    "GATE_RAMP_INTERVAL_S": "1",
}
CLOCK_OFFSET_VARIABLE = "MONITOR_CHAOS_CLOCK_OFFSET_FILE"
"""Names the file whose seconds siak_monitor adds to its clock (set in chaos runs only)."""
SETTLE_LIMIT_S = 90.0
DRAIN_LIMIT_S = 120.0
HEALTHY_LIMIT_S = 20.0
FLAP_PERIOD_S = 2.0


@dataclass(frozen=True)
class Regions:
    """Where the load goes: regions SIAK serves, regions it does not, and one that flaps."""

    up: tuple[str, ...] = ("73.71", "73.72")
    down: tuple[str, ...] = ("73.06", "73.09")
    flapping: str = "73.73"

    @property
    def all(self) -> tuple[str, ...]:
        return (*self.up, *self.down, self.flapping)


@dataclass
class Harness:
    """What a scenario acts on: the stack's components, SIAK's faults, the load's pace."""

    stack: Stack
    http: httpx.AsyncClient
    regions: Regions = field(default_factory=Regions)
    flap_period_s: float = FLAP_PERIOD_S
    extra: list[Component] = field(default_factory=list)
    """Components a scenario added (a second gate); stopped when it ends."""
    siak_line: TcpLine | None = None
    """The line between queue_gate and SIAK, where the stack was started with one."""
    notes: dict[str, object] = field(default_factory=dict)
    """What a scenario saw of its fault biting (counts of refusals), kept with its evidence."""

    @property
    def env(self) -> dict[str, str]:
        return self.stack.environment()

    def component(self, name: str) -> Component:
        found = [c for c in (*self.stack.components, *self.extra) if c.name == name]
        if not found:
            raise StartError(f"no component named {name}")
        return found[0]

    async def siak(self, regions: tuple[str, ...] | list[str], state: str, **kw: int) -> None:
        await faults.siak_condition(self.http, self.env["SIAK_SIM_URL"], regions, state, **kw)

    async def kill(self, name: str) -> None:
        faults.kill(self.component(name))

    async def restart(self, name: str) -> None:
        await faults.restart(self.component(name))

    async def crash_and_restart(self, name: str) -> None:
        await self.kill(name)
        await self.restart(name)

    async def frozen_for(self, name: str, seconds: float) -> None:
        component = self.component(name)
        faults.freeze(component)
        try:
            await asyncio.sleep(seconds)  # the fault's length, not synchronisation
        finally:
            faults.thaw(component)

    async def gate_metric(self, name: str, **labels: str) -> float:
        return await evidence.metric_total(self.http, self.env["GATE_URL"], name, **labels)

    def gate_log_lines(self, since: dict[Path, int], containing: str) -> int:
        """How many lines of queue_gate's log written after `since` contain `containing`."""
        logs = self.stack.settings.state_dir / "logs"
        lines = evidence.log_texts(logs, since)
        return sum(containing in t.content for t in lines if t.source.startswith("queue_gate."))

    def log_offsets(self) -> dict[Path, int]:
        return evidence.log_offsets(self.stack.settings.state_dir / "logs")

    async def lasting(self, seconds: float) -> None:
        """Let the load (and the fault in place) go on for `seconds`."""
        await asyncio.sleep(seconds)

    async def until(
        self, probe: Callable[[], Awaitable[bool]], what: str, within: float = 60
    ) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if await probe():
                    return
            await asyncio.sleep(0.25)
        raise TimeoutError(f"{what}: not within {within:.0f} s")

    async def received_count(self, regions: tuple[str, ...]) -> int:
        items = await evidence.siak_received(self.http, self.env["SIAK_SIM_URL"])
        return sum(item.region in regions for item in items)

    async def gate_status(self, code: str) -> str:
        answer = await self.http.get(f"{self.env['GATE_URL']}/v1/regions/{code}")
        return str(answer.json().get("siak_status")) if answer.status_code == 200 else "?"

    def step_monitor_clock(self, seconds: float) -> None:
        """Set siak_monitor's clock `seconds` off the true time, while it runs."""
        path = self._monitor_clock_offset()
        if path is None:
            raise StartError(f"siak_monitor was started without {CLOCK_OFFSET_VARIABLE}")
        path.write_text(f"{seconds}\n")

    def reset_monitor_clock(self) -> None:
        if (path := self._monitor_clock_offset()) is not None:
            path.unlink(missing_ok=True)

    def _monitor_clock_offset(self) -> Path | None:
        monitor = self.component("siak_monitor")
        path = (
            monitor.env.get(CLOCK_OFFSET_VARIABLE) if isinstance(monitor, PythonService) else None
        )
        return Path(path) if path else None

    def second_gate(self, port: int) -> Component:
        """Another queue_gate replica on the same database and broker."""
        first = self.component("queue_gate")
        assert isinstance(first, PythonService)
        replica = PythonService(
            Paths(self.stack.settings.state_dir),
            name="queue_gate_2",
            module="services.queue_gate",
            port=port,
            ready_path="/readyz",
            env={**first.env, "GATE_PORT": str(port)},
        )
        self.extra.append(replica)
        return replica


Inject = Callable[[Harness], Awaitable[None]]


class FaultEvidenceError(Exception):
    """What a scenario saw of its fault says the system never met it (the scenario would
    prove nothing) or met it wrongly."""


@dataclass(frozen=True)
class Scenario:
    number: int
    title: str
    inject: Inject
    load_s: float = 6.0
    """How long the load runs before the fault, and again after it."""

    @property
    def name(self) -> str:
        return f"{self.number} {self.title}"
