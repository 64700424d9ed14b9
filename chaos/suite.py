"""One scenario's run: load on, fault in, heal, drain, then every invariant checked."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from chaos import evidence, faults
from chaos.harness import (
    DRAIN_LIMIT_S,
    HEALTHY_LIMIT_S,
    SETTLE_LIMIT_S,
    STALE_AFTER_S,
    Harness,
    Scenario,
)
from chaos.invariants import Verdict, check
from chaos.load import LoadClient, LoadPlan
from chaos.table import Outcome
from chaos.timeline import StatusTimeline
from deploy.local.processes import StartError


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
        """The scenario's row; whatever stops it early is the row's error, not the suite's."""
        h = self.harness
        try:
            await self._settle()
        except Exception as unsettled:
            return Outcome(scenario.name, Verdict(), None, error=f"could not settle: {unsettled!r}")
        h.notes.clear()
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
                except Exception as failure:
                    error = f"fault: {failure!r}"
                await h.lasting(scenario.load_s)
            await self._heal()
            healed = time.monotonic()
            if await self._drained(load):
                recovered = time.monotonic() - healed
        except Exception as failure:
            error = error or f"healing: {failure!r}"
        finally:
            self.next_applicant = load.applicants_used
            await self._stop_extra()
        try:
            verdict = await self._verdict(load, started, offsets, scenario.number)
        except Exception as failure:
            return Outcome(scenario.name, Verdict(), recovered, error=f"checking: {failure!r}")
        return Outcome(scenario.name, verdict, recovered, error=error, notes=dict(h.notes))

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
        if h.siak_line is not None:
            await h.siak_line.mend()
        h.reset_monitor_clock()
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
            number,
            log=log,
            received=received,
            statuses=points,
            readiness=ready,
            outbox_rows=rows,
            fault_seen=h.notes,
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
