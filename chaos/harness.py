"""One scenario's run: load on, fault in, heal, drain, then every invariant checked."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from chaos import evidence, faults
from chaos.invariants import Verdict, check
from chaos.load import LoadClient, LoadPlan
from chaos.table import Outcome
from chaos.timeline import StatusTimeline
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


class Suite:
    """Runs scenarios one after another on one stack; applicants are never reused."""

    def __init__(
        self, harness: Harness, evidence_dir: Path, *, healthy_within_s: float = HEALTHY_LIMIT_S
    ) -> None:
        self.harness = harness
        self.evidence_dir = evidence_dir
        self.healthy_within_s = healthy_within_s
        self.next_applicant = 0

    async def run(self, scenario: Scenario) -> Outcome:
        h = self.harness
        try:
            await self._settle()
        except (StartError, TimeoutError, httpx.HTTPError) as unsettled:
            return Outcome(scenario.name, Verdict(), None, error=f"could not settle: {unsettled}")
        started = time.time()
        offsets = evidence.log_offsets(h.stack.settings.state_dir / "logs")
        load = LoadClient(
            h.env["GATE_URL"],
            h.env["GATE_API_KEY"],
            LoadPlan(h.regions.all),
            run=f"s{scenario.number}-{int(started)}",
            first_applicant=self.next_applicant,
        )
        error: str | None = None
        recovered: float | None = None
        try:
            async with self._loaded(load), self._flapping():
                await h.lasting(scenario.load_s)
                try:
                    await scenario.inject(h)
                except Exception as failure:  # reported in its row: the next scenario runs
                    error = f"{type(failure).__name__}: {failure}"
                await h.lasting(scenario.load_s)
            await self._heal()
            healed = time.monotonic()
            if await self._drained(load):
                recovered = time.monotonic() - healed
        finally:
            self.next_applicant = load.applicants_used
            await self._stop_extra()
        verdict = await self._verdict(load, started, offsets, scenario.number)
        return Outcome(scenario.name, verdict, recovered, error=error)

    async def _settle(self) -> None:
        """Every component running, SIAK reset, each region's status known to the gate."""
        h = self.harness
        for component in h.stack.components:
            await faults.restart(component)
        await h.http.post(f"{h.env['SIAK_SIM_URL']}/_control/reset")
        await h.siak(h.regions.down, "down")

        async def statuses_known() -> bool:
            up = [await h.gate_status(c) == "UP" for c in (*h.regions.up, h.regions.flapping)]
            down = [await h.gate_status(c) == "DOWN" for c in h.regions.down]
            return all(up) and all(down)

        await h.until(statuses_known, "the gate knowing every region's status", SETTLE_LIMIT_S)
        await self._outbox_emptied()

    async def _outbox_emptied(self) -> None:
        """An earlier scenario may have left the relay stopped (reported in its row): a
        restarted gate relays what is left, so each scenario answers for its own outbox."""
        h = self.harness

        async def empty() -> bool:
            return await evidence.outbox_rows(h.env["DATABASE_URL"]) == 0

        try:
            await h.until(empty, "the outbox emptied", HEALTHY_LIMIT_S)
        except TimeoutError:
            gate = h.component("queue_gate")
            await asyncio.to_thread(gate.stop)
            await faults.restart(gate)
            await h.until(empty, "the outbox emptied by a restarted gate", HEALTHY_LIMIT_S)

    @contextlib.asynccontextmanager
    async def _loaded(self, load: LoadClient) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(load.submit_until(stop))
        try:
            yield
        finally:
            stop.set()
            await task  # a submission under way is retried to its end, as a portal would

    @contextlib.asynccontextmanager
    async def _flapping(self) -> AsyncIterator[None]:
        h = self.harness

        async def flap() -> None:
            state = "down"
            while True:
                await asyncio.sleep(h.flap_period_s)
                with contextlib.suppress(httpx.HTTPError):
                    await h.siak([h.regions.flapping], state)
                state = "up" if state == "down" else "down"

        task = asyncio.create_task(flap())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _heal(self) -> None:
        h = self.harness
        for component in h.stack.components:
            with contextlib.suppress(StartError):
                faults.thaw(component)
            await faults.restart(component)
        await h.siak(h.regions.all, "up")

    async def _drained(self, load: LoadClient) -> bool:
        """Every acknowledged submission received by SIAK or parked, within the limit."""
        h = self.harness
        waiting = {t for s in load.log() for t in s.tickets}

        async def drained() -> bool:
            received = await evidence.siak_received(h.http, h.env["SIAK_SIM_URL"])
            waiting.difference_update(item.key for item in received)
            waiting.difference_update(await evidence.parked(h.http, h.env["GATE_URL"], waiting))
            return not waiting

        try:
            await h.until(drained, "every acknowledged submission received", DRAIN_LIMIT_S)
        except TimeoutError:
            return False
        return True

    def _keep(self, number: int, **evidence: object) -> None:
        """What the verdict was drawn from, free of personal data, for looking into a failure."""
        self.evidence_dir.mkdir(parents=True, exist_ok=True)
        path = self.evidence_dir / f"scenario-{number}.json"
        path.write_text(json.dumps(evidence, default=_as_json, indent=1))

    async def _stop_extra(self) -> None:
        for component in self.harness.extra:
            with contextlib.suppress(StartError):
                faults.thaw(component)
            await asyncio.to_thread(component.stop)
        self.harness.extra.clear()

    async def _verdict(
        self, load: LoadClient, started: float, offsets: dict[Path, int], number: int
    ) -> Verdict:
        h = self.harness
        env = h.env
        urls = {"queue_gate": env["GATE_URL"], "siak_monitor": env["MONITOR_URL"]}
        ready: dict[str, object] = {}
        rows = 0

        async def healthy() -> bool:
            nonlocal ready, rows
            ready = await evidence.readiness(h.http, urls)
            rows = await evidence.outbox_rows(env["DATABASE_URL"])
            return not check(
                [], [], StatusTimeline([]), readiness=ready, outbox_rows=rows
            ).unhealthy

        with contextlib.suppress(TimeoutError):
            await h.until(healthy, "every background task running", self.healthy_within_s)
        log = load.log()
        received = await evidence.siak_received(h.http, env["SIAK_SIM_URL"])
        records = await evidence.read_topics(env["KAFKA_BOOTSTRAP_SERVERS"])
        points, heartbeats = evidence.status_timeline(records)
        tickets = [t for s in log for t in s.tickets]
        answers = await evidence.public_answers(h.http, env["GATE_URL"], tickets)
        parked = await evidence.parked(h.http, env["GATE_URL"], tickets)
        texts = [
            *evidence.log_texts(h.stack.settings.state_dir / "logs", offsets),
            *evidence.event_texts(records, started),
            *answers,
        ]
        received = [r for r in received if r.at >= started]
        self._keep(
            number, log=log, received=received, statuses=points, readiness=ready, outbox_rows=rows
        )
        return check(
            log,
            received,
            StatusTimeline(points, heartbeats, stale_after_s=STALE_AFTER_S),
            parked=parked,
            texts=texts,
            secrets=load.secrets(),
            readiness=ready,
            outbox_rows=rows,
        )


def _as_json(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)
